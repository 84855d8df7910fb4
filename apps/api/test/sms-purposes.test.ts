// SMS codes by purpose (POST /api/sms_code/ `purpose`), on the real PostgreSQL and Redis: a code
// serves only the flow it was sent for, both ways; a reset answers and spends the same for a
// number with an active account, an inactive one and none, and texts only the active account;
// change_mobile needs a logged-in session; the dev outbox shows each message's purpose.
import { Code, type Envelope, en, type OutboxMessage, SMS_MESSAGES, USER_MESSAGES } from '@register/contracts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDigest } from '../src/lib/digest.ts';
import type { EventKind } from '../src/modules/security-events/events.service.ts';
import { eventDigests } from '../src/modules/security-events/events.service.ts';
import { createPasswordHasher } from '../src/modules/users/passwords.ts';
import { createUsersRepository } from '../src/modules/users/users.repository.ts';
import type { KvStore } from '../src/store/kv-store.ts';
import { buildTestApp, manualClock, PASSWORD, type Reply, randomMobile, randomUsername, readOutbox, Visitor } from './helper.ts';

const HOUR_MS = 3_600_000;

/** The outbox's writes, so a test can wait for the texts sent after their answer. */
const outboxWrites: Promise<unknown>[] = [];
const clock = manualClock();
let app: FastifyInstance;
let hmac: ReturnType<typeof eventDigests>;

beforeAll(async () => {
  app = await buildTestApp(
    {},
    {
      clock,
      seams: {
        store: (store): KvStore => ({
          ...store,
          set: (key, value, ttlMs) => {
            const written = store.set(key, value, ttlMs);
            if (key.startsWith('outbox:')) outboxWrites.push(written.catch(() => {}));
            return written;
          },
        }),
      },
    },
  );
  hmac = eventDigests(createDigest(app.config.codeSecret));
});
afterAll(() => app.close());

/** Every text handed to the outbox so far has been written. */
const textsWritten = () => Promise.all(outboxWrites);
/** The cooldown of a number is over (each number here gets one code per minute). */
const afterCooldown = () => clock.advance(61_000);

async function outboxOf(mobile: string): Promise<OutboxMessage | null> {
  await textsWritten();
  const res = await app.inject({ method: 'GET', url: `/api/__dev/sms/${mobile}/` });
  return (res.json() as Envelope<OutboxMessage>).data;
}
/** The last text to a mobile once it is one of this purpose (a reset code is texted after its answer). */
async function textOf(mobile: string, purpose: OutboxMessage['purpose']): Promise<OutboxMessage> {
  return vi.waitFor(
    async () => {
      const message = await outboxOf(mobile);
      expect(message?.purpose).toBe(purpose);
      return message as OutboxMessage;
    },
    { timeout: 5000, interval: 20 },
  );
}

const hasher = () => createPasswordHasher(app.config.argon2);
/** An account straight in the database (registration has tests of its own). */
async function makeUser(options: { active?: boolean } = {}) {
  const mobile = randomMobile();
  const username = randomUsername('Pur');
  const user = await createUsersRepository(app.db).create({ username, mobile, passwordHash: await hasher().hash(PASSWORD) });
  if (options.active === false) await app.db.prisma.user.update({ where: { id: user.id }, data: { isActive: false } });
  return { ...user, username, mobile };
}

/** A captcha, then a code of that purpose. */
async function askCode(visitor: Visitor, mobile: string, purpose?: 'register' | 'reset' | 'change_mobile') {
  await visitor.get('/api/image_code/');
  return visitor.post<{ expiresIn: number; resendIn: number; codeLength: number }>('/api/sms_code/', {
    mobile,
    captcha: 'ABCD',
    ...(purpose ? { purpose } : {}),
  });
}

const resetForm = (mobile: string, code: string, password = 'a brand new passphrase') => ({
  mobile,
  sms_code: code,
  password,
  password_repeat: password,
});
const registerForm = (mobile: string, code: string) => ({
  username: randomUsername('Reg'),
  password: PASSWORD,
  password_repeat: PASSWORD,
  mobile,
  sms_code: code,
});

/** The answer without what differs between any two answers (its request id, its date, the session cookie's value). */
const shape = (res: Reply) => ({
  status: res.status,
  body: res.body,
  headers: Object.keys(res.headers)
    .filter((name) => !['date', 'x-request-id'].includes(name))
    .sort(),
});

async function eventsOf(mobile: string, kinds: EventKind[]) {
  await app.events.flush();
  return app.db.prisma.securityEvent.findMany({
    where: { mobileHmac: hmac.mobile(mobile), kind: { in: kinds } },
    orderBy: { id: 'asc' },
  });
}

describe('codes are bound to their purpose', () => {
  it('a registration code never resets a password; a reset code does, for the same number and session', async () => {
    const visitor = new Visitor(app);
    const mobile = randomMobile();
    expect((await askCode(visitor, mobile)).status).toBe(200);
    const registerCode = await readOutbox(app, mobile);
    expect((await outboxOf(mobile))?.purpose).toBe('register');
    // The number gets an account meanwhile (another browser registered it).
    await createUsersRepository(app.db).create({ username: randomUsername('Took'), mobile, passwordHash: 'x' });
    const refused = await visitor.post('/api/password/reset/', resetForm(mobile, registerCode));
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({
      errno: Code.PARAMERR,
      errmsg: en.reset.codeInvalid,
      data: { fields: { sms_code: en.reset.codeInvalid } },
    });
    afterCooldown();
    expect((await askCode(visitor, mobile, 'reset')).status).toBe(200);
    const message = await textOf(mobile, 'reset');
    expect(message).toMatchObject({ mobile, purpose: 'reset', text: SMS_MESSAGES.resetText(message.code, 5) });
    expect((await visitor.post('/api/password/reset/', resetForm(mobile, message.code))).status).toBe(200);
  });

  it('a reset code never registers, and stays good for the reset', async () => {
    const user = await makeUser();
    const visitor = new Visitor(app);
    expect((await askCode(visitor, user.mobile, 'reset')).status).toBe(200);
    const { code } = await textOf(user.mobile, 'reset');
    expect(code).toMatch(/^\d{6}$/);
    // Registration checks the code before the number: a reset code is not found at all.
    const register = await visitor.post('/api/user/register/', registerForm(user.mobile, code));
    expect(register.status).toBe(400);
    expect(register.body.data?.fields).toEqual({ sms_code: SMS_MESSAGES.expired });
    expect((await visitor.post('/api/password/reset/', resetForm(user.mobile, code))).status).toBe(200);
  });

  it('a change_mobile code neither registers nor resets; a register code for the number then does register', async () => {
    const user = await makeUser();
    const visitor = new Visitor(app);
    expect((await visitor.post('/api/user/login/', { account: user.username, password: PASSWORD })).status).toBe(200);
    const mobile = randomMobile();
    const sent = await askCode(visitor, mobile, 'change_mobile');
    expect(sent).toMatchObject({ status: 200, body: { errmsg: SMS_MESSAGES.sent, data: { expiresIn: 300, codeLength: 6 } } });
    const message = await outboxOf(mobile);
    expect(message).toMatchObject({ mobile, purpose: 'change_mobile' });
    expect(message?.text).toBe(SMS_MESSAGES.changeMobileText(message?.code ?? '', 5));
    const code = message?.code ?? '';
    const register = await visitor.post('/api/user/register/', registerForm(mobile, code));
    expect(register.body.data?.fields).toEqual({ sms_code: SMS_MESSAGES.expired });
    const reset = await visitor.post('/api/password/reset/', resetForm(mobile, code));
    expect(reset.body.data?.fields).toEqual({ sms_code: en.reset.codeInvalid });
    // A code of the right purpose for the same number, in a visitor's session, registers.
    afterCooldown();
    const other = new Visitor(app);
    expect((await askCode(other, mobile)).status).toBe(200);
    expect((await outboxOf(mobile))?.purpose).toBe('register');
    const registered = await other.post('/api/user/register/', registerForm(mobile, await readOutbox(app, mobile)));
    expect(registered.body.errmsg).toBe(USER_MESSAGES.registered);
  });
});

describe('change_mobile codes', () => {
  it('need a logged-in session (401 before the captcha is spent), and a number no account has', async () => {
    const visitor = new Visitor(app);
    const mobile = randomMobile();
    await visitor.get('/api/image_code/');
    const refused = await visitor.post('/api/sms_code/', { mobile, captcha: 'ABCD', purpose: 'change_mobile' });
    expect(refused).toMatchObject({ status: 401, body: { errno: Code.SESSIONERR, errmsg: SMS_MESSAGES.loginFirst } });
    // The captcha still stands: the same answer sends a registration code.
    expect((await visitor.post('/api/sms_code/', { mobile, captcha: 'ABCD' })).status).toBe(200);
    expect(await outboxOf(mobile)).toMatchObject({ purpose: 'register' });

    const user = await makeUser();
    const other = await makeUser();
    const member = new Visitor(app);
    await member.post('/api/user/login/', { account: user.username, password: PASSWORD });
    const taken = await askCode(member, other.mobile, 'change_mobile');
    expect(taken).toMatchObject({
      status: 409,
      body: { errno: Code.DATAEXIST, data: { fields: { mobile: SMS_MESSAGES.registered } } },
    });
    expect(await outboxOf(other.mobile)).toBeNull();
  });
});

describe('reset codes say nothing of the number', () => {
  it('answer alike for an active account, an inactive one and none, and text only the active account', async () => {
    const active = await makeUser();
    const inactive = await makeUser({ active: false });
    const unknown = randomMobile();
    const answers = [];
    for (const mobile of [active.mobile, inactive.mobile, unknown])
      answers.push(await askCode(new Visitor(app), mobile, 'reset'));
    const [first, ...others] = answers.map(shape);
    expect(first).toMatchObject({
      status: 200,
      body: { errno: '0', errmsg: SMS_MESSAGES.sentIfRegistered, data: { expiresIn: 300, resendIn: 60, codeLength: 6 } },
    });
    for (const other of others) expect(other).toEqual(first);
    // The answers only ever set the session cookie, the same one for each.
    expect(answers.map((a) => a.raw.cookies.map((c) => c.name))).toEqual([['sid'], ['sid'], ['sid']]);

    // Only the active account gets a text, with the reset sentence.
    const message = await textOf(active.mobile, 'reset');
    expect(message).toMatchObject({ mobile: active.mobile, purpose: 'reset' });
    expect(message.text).toBe(SMS_MESSAGES.resetText(message.code, 5));
    expect(await outboxOf(inactive.mobile)).toBeNull();
    expect(await outboxOf(unknown)).toBeNull();

    // The log tells operators what the answer did not.
    const requested = await Promise.all(
      [active.mobile, inactive.mobile, unknown].map((m) => eventsOf(m, ['reset_requested', 'sms_sent'])),
    );
    expect(requested.map((rows) => rows.map((r) => [r.kind, r.detail]))).toEqual([
      [
        ['reset_requested', { door: 'image', account: 'active' }],
        ['sms_sent', { gateway: 'outbox', door: 'image', purpose: 'reset' }],
      ],
      [['reset_requested', { door: 'image', account: 'inactive' }]],
      [['reset_requested', { door: 'image', account: 'none' }]],
    ]);
    expect(requested[0]?.[0]?.userId).toBe(active.id);
    expect(requested[1]?.[0]?.userId).toBe(inactive.id);
    expect(requested[2]?.[0]?.userId).toBeNull();
  });

  it('spend the cooldown and every budget alike: the later 429s are the same', async () => {
    // At the start of an hour, so the hourly window holds the whole test.
    clock.advance(HOUR_MS - (clock() % HOUR_MS) + 1000);
    const registered = (await makeUser()).mobile;
    const unknown = randomMobile();
    const visitors = { [registered]: new Visitor(app, '198.51.100.44'), [unknown]: new Visitor(app, '198.51.100.44') };
    const round = async () =>
      Promise.all([registered, unknown].map(async (m) => shape(await askCode(visitors[m] as Visitor, m, 'reset'))));

    const [sent] = await round();
    expect(sent?.status).toBe(200);
    // The cooldown at once, for both.
    const [coolA, coolB] = await round();
    expect(coolA).toMatchObject({ status: 429, body: { errmsg: SMS_MESSAGES.cooldown(60), data: { retryAfter: 60 } } });
    expect(coolB).toEqual(coolA);
    // SMS_PER_MOBILE_PER_HOUR (5) per (number, client): the sixth is refused, alike.
    for (let i = 2; i <= 5; i++) {
      afterCooldown();
      const [a, b] = await round();
      expect([a?.status, b?.status]).toEqual([200, 200]);
    }
    afterCooldown();
    const [limitA, limitB] = await round();
    expect(limitA).toMatchObject({ status: 429, body: { errno: Code.THROTTLED, errmsg: SMS_MESSAGES.hourlyLimit } });
    expect(limitB).toEqual(limitA);
    await textsWritten();
    const refusals = await Promise.all([registered, unknown].map((m) => eventsOf(m, ['sms_refused'])));
    expect(refusals[0]?.map((r) => r.detail)).toEqual([
      { budget: 'cooldown', door: 'image', purpose: 'reset' },
      { budget: 'mobile_hour', door: 'image', purpose: 'reset' },
    ]);
    expect(refusals[1]?.map((r) => r.detail)).toEqual(refusals[0]?.map((r) => r.detail));
  });

  it('share the per-mobile budgets with registration codes: the reset flow is no cheaper way to text a number', async () => {
    clock.advance(HOUR_MS - (clock() % HOUR_MS) + 1000);
    const mobile = randomMobile();
    const visitor = new Visitor(app, '198.51.100.45');
    // The cooldown is one per number, whatever the purpose.
    expect((await askCode(visitor, mobile)).status).toBe(200);
    expect((await askCode(visitor, mobile, 'reset')).status).toBe(429);
    for (let i = 2; i <= 5; i++) {
      afterCooldown();
      expect((await askCode(visitor, mobile, i % 2 ? 'register' : 'reset')).status).toBe(200);
    }
    afterCooldown();
    const refused = await askCode(visitor, mobile, 'reset');
    expect(refused.body.errmsg).toBe(SMS_MESSAGES.hourlyLimit);
  });
});
