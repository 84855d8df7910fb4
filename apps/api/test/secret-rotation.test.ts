// Rotating SESSION_SECRET and CODE_SECRET: the new secret goes first in the list, the old one
// stays after it, and nobody is logged out, no code in flight is voided. Three instances share
// one Redis prefix, as the instances of a rolling deploy do.
import { randomBytes } from 'node:crypto';
import { Code, SMS_MESSAGES } from '@register/contracts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { SMS_KEYS } from '../src/modules/sms/sms.service.ts';
import { buildTestApp, PASSWORD, randomMobile, randomUsername, readOutbox, Visitor } from './helper.ts';

const secret = (name: string) => `${name}-${randomBytes(24).toString('hex')}`;
const [OLD_SESSION, NEW_SESSION, OLD_CODE, NEW_CODE] = ['old-session', 'new-session', 'old-code', 'new-code'].map(secret);

let before: FastifyInstance; // the old secrets only
let during: FastifyInstance; // the new ones first, the old ones still accepted
let after: FastifyInstance; // the old ones dropped
let codeDropped: FastifyInstance; // sessions still rotating, the old code secret dropped
let accepting: FastifyInstance; // the first deploy of a rotation: still signs with the old ones, accepts the new
beforeAll(async () => {
  const shared = { REDIS_KEY_PREFIX: `${inject('redisPrefix')}rotation-${randomBytes(3).toString('hex')}:` };
  [before, during, after, codeDropped, accepting] = await Promise.all([
    buildTestApp({ ...shared, SESSION_SECRET: OLD_SESSION, CODE_SECRET: OLD_CODE }),
    buildTestApp({ ...shared, SESSION_SECRET: `${NEW_SESSION},${OLD_SESSION}`, CODE_SECRET: `${NEW_CODE}, ${OLD_CODE}` }),
    buildTestApp({ ...shared, SESSION_SECRET: NEW_SESSION, CODE_SECRET: NEW_CODE }),
    buildTestApp({ ...shared, SESSION_SECRET: `${NEW_SESSION},${OLD_SESSION}`, CODE_SECRET: NEW_CODE }),
    buildTestApp({ ...shared, SESSION_SECRET: `${OLD_SESSION},${NEW_SESSION}`, CODE_SECRET: `${OLD_CODE},${NEW_CODE}` }),
  ]);
});
afterAll(() => Promise.all([before, during, after, codeDropped, accepting].map((app) => app.close())));

/** The same browser (its cookies) talking to another instance. */
function moveTo(app: FastifyInstance, visitor: Visitor): Visitor {
  const moved = new Visitor(app);
  for (const [name, value] of visitor.cookies) moved.cookies.set(name, value);
  return moved;
}

describe('SESSION_SECRET rotation', () => {
  it('keeps a session signed with the old secret while the old secret is still listed', async () => {
    const visitor = new Visitor(before);
    expect((await visitor.register(randomUsername(), randomMobile())).status).toBe(200);
    expect((await moveTo(during, visitor).get('/api/user/me/')).status).toBe(200);
    // Once the old secret is dropped, its cookies are no longer accepted.
    expect((await moveTo(after, visitor).get('/api/user/me/')).body.errno).toBe(Code.SESSIONERR);
  });

  it('signs new sessions with the first secret of the list', async () => {
    const visitor = new Visitor(during);
    expect((await visitor.register(randomUsername(), randomMobile())).status).toBe(200);
    expect((await moveTo(after, visitor).get('/api/user/me/')).status).toBe(200);
    expect((await moveTo(before, visitor).get('/api/user/me/')).body.errno).toBe(Code.SESSIONERR);
  });
});

describe('a rolling deploy', () => {
  it('first deploys OLD,NEW: what it signs the old instances accept, and it accepts what NEW will sign', async () => {
    const visitor = new Visitor(accepting);
    const mobile = randomMobile();
    expect((await visitor.requestSmsCode(mobile)).status).toBe(200);
    const code = await readOutbox(accepting, mobile);
    const form = { username: randomUsername(), password: PASSWORD, password_repeat: PASSWORD, mobile, sms_code: code };
    // An instance not yet redeployed (the old secrets alone) takes the session and the code.
    expect((await moveTo(before, visitor).post('/api/user/register/', form)).status).toBe(200);

    const later = new Visitor(after); // signed with the new secrets only
    expect((await later.register(randomUsername(), randomMobile())).status).toBe(200);
    expect((await moveTo(accepting, later).get('/api/user/me/')).status).toBe(200);
  });
});

describe('CODE_SECRET rotation', () => {
  it('accepts a captcha answer and an SMS code stored under the old secret', async () => {
    const visitor = new Visitor(before);
    await visitor.get('/api/image_code/');
    // The answer was stored by the old instance; the new one checks it.
    const mobile = randomMobile();
    const sent = await moveTo(during, visitor).post('/api/sms_code/', { mobile, captcha: 'ABCD' });
    expect(sent.status).toBe(200);

    // A code sent under the old secret, tried once wrongly and then rightly under the new list.
    const early = new Visitor(before);
    const mobile2 = randomMobile();
    expect((await early.requestSmsCode(mobile2)).status).toBe(200);
    const code = await readOutbox(before, mobile2);
    const moved = moveTo(during, early);
    const form = { username: randomUsername(), password: PASSWORD, password_repeat: PASSWORD, mobile: mobile2 };
    const wrong = await moved.post('/api/user/register/', { ...form, sms_code: code === '000000' ? '111111' : '000000' });
    expect(wrong.body.data?.fields?.sms_code).toBe(SMS_MESSAGES.wrong(4)); // one attempt spent, not one per secret
    expect((await moved.post('/api/user/register/', { ...form, sms_code: code })).status).toBe(200);
  });

  it('replaces a code sent under the old secret when a new one is sent: never two codes, never twice the attempts', async () => {
    const visitor = new Visitor(before);
    const mobile = randomMobile();
    expect((await visitor.requestSmsCode(mobile)).status).toBe(200);
    const first = await readOutbox(before, mobile);
    await during.store.delete(SMS_KEYS.cooldown(mobile)); // as if the resend wait had passed
    const moved = moveTo(during, visitor);
    expect((await moved.requestSmsCode(mobile)).status).toBe(200);
    const second = await readOutbox(during, mobile);
    const form = { username: randomUsername(), password: PASSWORD, password_repeat: PASSWORD, mobile };
    const wrong = [first, second].includes('000000') ? '999999' : '000000';
    for (let left = 4; left > 0; left--) {
      const res = await moved.post('/api/user/register/', { ...form, sms_code: first === second ? wrong : first });
      expect(res.body.data?.fields?.sms_code).toBe(SMS_MESSAGES.wrong(left));
    }
    expect((await moved.post('/api/user/register/', { ...form, sms_code: wrong })).body.data?.fields?.sms_code).toBe(
      SMS_MESSAGES.exhausted,
    );
    // The first code went with the first slot: nothing is left to try.
    expect((await moved.post('/api/user/register/', { ...form, sms_code: first })).body.data?.fields?.sms_code).toBe(
      SMS_MESSAGES.expired,
    );
  });

  it('issues codes under the new secret: an instance that knows only the new one reads them', async () => {
    const visitor = new Visitor(during);
    const mobile = randomMobile();
    expect((await visitor.requestSmsCode(mobile)).status).toBe(200);
    const code = await readOutbox(during, mobile);
    const form = { username: randomUsername(), password: PASSWORD, password_repeat: PASSWORD, mobile, sms_code: code };
    expect((await moveTo(after, visitor).post('/api/user/register/', form)).status).toBe(200);
  });

  it('voids codes from a secret that is no longer listed', async () => {
    const visitor = new Visitor(before);
    const mobile = randomMobile();
    expect((await visitor.requestSmsCode(mobile)).status).toBe(200);
    const code = await readOutbox(before, mobile);
    const moved = moveTo(codeDropped, visitor);
    const form = { username: randomUsername(), password: PASSWORD, password_repeat: PASSWORD, mobile, sms_code: code };
    const refused = await moved.post('/api/user/register/', form);
    expect(refused.body.data?.fields).toEqual({ sms_code: SMS_MESSAGES.expired });
    // The same session and code are fine where the old code secret is still listed.
    expect((await moveTo(during, visitor).post('/api/user/register/', form)).status).toBe(200);
  });
});

describe('the secret lists', () => {
  it('refuses a short secret anywhere in a list, and a secret listed twice', () => {
    const good = secret('good');
    expect(() => loadConfig({ SESSION_SECRET: `${good},short` })).toThrow(/every secret in the list must be 32\+/);
    expect(() => loadConfig({ CODE_SECRET: `${good},${good}` })).toThrow(/names a secret twice/);
  });
});
