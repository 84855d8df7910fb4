// The account page's changes: the password (a guess counted like a login's; the success rotates
// this session and ends every other, on every instance) and the mobile (a code of purpose
// change_mobile, the password, the unique number).
import { AUTH_MESSAGES, Code, en, type UserView } from '@register/contracts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../src/errors.ts';
import { userSessionsKey } from '../src/modules/auth/user-sessions.ts';
import type { Seams } from '../src/services.ts';
import type { KvStore } from '../src/store/kv-store.ts';
import { buildTestApp, CAPTCHA, manualClock, PASSWORD, randomMobile, randomUsername, readOutbox, Visitor } from './helper.ts';

const MAX_FAILURES = 3;
const NEW_PASSWORD = 'a brand new passphrase';
const clock = manualClock();
/** Store failures the seam injects. */
const faults = { attempt: false, sessionWrites: false };
const storeDown = () => new AppError(Code.SERVERERR, { status: 503, message: (c) => c.service.storeDown });
const seams: Seams = {
  store: (store): KvStore => ({
    ...store,
    attempt: (...args) => (faults.attempt ? Promise.reject(storeDown()) : store.attempt(...args)),
    set: (key, value, ttl) =>
      faults.sessionWrites && (key.startsWith('sess:') || key.startsWith('sess-valid-after:'))
        ? Promise.reject(storeDown())
        : store.set(key, value, ttl),
  }),
};

let app: FastifyInstance;
/** A second API instance on the same PostgreSQL and Redis, as behind a load balancer. */
let other: FastifyInstance;
beforeAll(async () => {
  app = await buildTestApp({ LOGIN_MAX_FAILURES: String(MAX_FAILURES) }, { clock, seams });
  other = await buildTestApp(
    { LOGIN_MAX_FAILURES: String(MAX_FAILURES), REDIS_KEY_PREFIX: app.config.redis.keyPrefix },
    { clock },
  );
});
afterAll(() => Promise.all([app.close(), other.close()]));

let ips = 0;
const nextIp = () => `198.51.100.${++ips}`;
const login = (visitor: Visitor, account: string, password = PASSWORD) =>
  visitor.post<UserView>('/api/user/login/', { account, password });
const me = (visitor: Visitor) => visitor.get<UserView>('/api/user/me/');
const changePassword = (visitor: Visitor, old: string, password = NEW_PASSWORD) =>
  visitor.post<UserView>('/api/user/password/', { old_password: old, password, password_repeat: password });

async function registered(visitor = new Visitor(app, nextIp())) {
  const username = randomUsername('Acct');
  const mobile = randomMobile();
  expect((await visitor.register(username, mobile)).status).toBe(200);
  return { visitor, username, mobile };
}

describe('GET /api/user/me/', () => {
  it('answers the email and whether it is verified', async () => {
    const { visitor, username } = await registered();
    const res = await me(visitor);
    expect(res.body.data).toMatchObject({ username, email: '', emailActive: false });
  });
});

describe('POST /api/user/password/', () => {
  it('a wrong current password is 401 PWDERR on old_password, and counts in the login budget', async () => {
    const ip = nextIp();
    const { visitor, username } = await registered(new Visitor(app, ip));
    for (let i = 0; i < MAX_FAILURES; i++) {
      const res = await changePassword(visitor, 'not my password');
      expect(res.status).toBe(401);
      expect(res.body).toEqual({
        errno: Code.PWDERR,
        errmsg: en.account.oldPasswordWrong,
        data: { fields: { old_password: en.account.oldPasswordWrong } },
      });
    }
    // The budget is the login's: spent, the right password is refused here and at the login.
    const throttled = await changePassword(visitor, PASSWORD);
    expect([throttled.status, throttled.body.errno]).toEqual([429, Code.THROTTLED]);
    const viaLogin = await login(new Visitor(app, ip), username);
    expect([viaLogin.status, viaLogin.body.errno]).toEqual([429, Code.THROTTLED]);
    expect((await me(visitor)).status).toBe(200); // still logged in; nothing changed
  });

  it('refuses a weak password, one like the username, the same as the old one, and a repeat that differs', async () => {
    const { visitor, username } = await registered();
    const cases: [Record<string, string>, string][] = [
      [{ old_password: PASSWORD, password: 'password1', password_repeat: 'password1' }, 'password'],
      [{ old_password: PASSWORD, password: `${username}1`, password_repeat: `${username}1` }, 'password'],
      [{ old_password: PASSWORD, password: PASSWORD, password_repeat: PASSWORD }, 'password'],
      [{ old_password: PASSWORD, password: NEW_PASSWORD, password_repeat: `${NEW_PASSWORD}!` }, 'password_repeat'],
    ];
    for (const [form, field] of cases) {
      const res = await visitor.post('/api/user/password/', form);
      expect([res.status, res.body.errno, Object.keys(res.body.data?.fields ?? {})]).toEqual([400, Code.PARAMERR, [field]]);
    }
    expect((await login(new Visitor(app, nextIp()), username)).status).toBe(200);
  });

  it('answers 401 SESSIONERR without a session', async () => {
    const res = await changePassword(new Visitor(app, nextIp()), PASSWORD);
    expect([res.status, res.body.errno]).toEqual([401, Code.SESSIONERR]);
  });

  it('changes it: this session gets a new id and stays, every other ends, on this instance and the other', async () => {
    // The registration's session on the other instance (it records no credential fingerprint:
    // only the epoch ends it), a login there, and two logins here.
    const onOther = new Visitor(other, nextIp());
    const { username, mobile } = await registered(onOther);
    const loginOnOther = new Visitor(other, nextIp());
    const changer = new Visitor(app, nextIp());
    const sibling = new Visitor(app, nextIp());
    for (const visitor of [loginOnOther, changer, sibling]) expect((await login(visitor, username)).status).toBe(200);
    const oldCookie = changer.cookies.get('sid') ?? '';
    // Lost from the index (a session from before it, a key Redis evicted): only the epoch ends it.
    const { id } = await app.db.prisma.user.findFirstOrThrow({ where: { username } });
    const sid = decodeURIComponent(onOther.cookies.get('sid') ?? '');
    await app.store.removeMember(userSessionsKey(id), sid.slice(0, sid.lastIndexOf('.')));

    clock.advance(1000);
    const res = await changePassword(changer, PASSWORD);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ errno: '0', errmsg: en.account.passwordChanged, data: { username, mobile } });
    expect(JSON.stringify(res.body)).not.toContain('argon2');

    // This browser: a new session id that works; the old cookie does not.
    expect(changer.cookies.get('sid')).not.toBe(oldCookie);
    expect((await me(changer)).status).toBe(200);
    const replay = new Visitor(app, nextIp());
    replay.cookies.set('sid', oldCookie);
    expect((await me(replay)).status).toBe(401);
    // Every other session, whichever instance holds it.
    for (const visitor of [onOther, loginOnOther, sibling]) expect((await me(visitor)).status).toBe(401);
    expect((await onOther.get('/api/user/session/')).body.data).toBeNull();
    const listed = await changer.get<{ sessions: { current: boolean }[] }>('/api/user/sessions/');
    expect(listed.body.data?.sessions.map((s) => s.current)).toEqual([true]);

    // The password itself, on both instances.
    expect((await login(new Visitor(other, nextIp()), username)).status).toBe(401);
    expect((await login(new Visitor(other, nextIp()), username, NEW_PASSWORD)).status).toBe(200);
    expect((await login(new Visitor(app, nextIp()), mobile, NEW_PASSWORD)).body.errmsg).toBe(AUTH_MESSAGES.loggedIn);

    await app.events.flush();
    expect(await app.db.prisma.securityEvent.count({ where: { kind: 'password_changed', userId: id } })).toBe(1);
  });
});

describe('POST /api/user/password/ with the store failing', () => {
  it('before anything is written: 503, and the password is unchanged', async () => {
    const { visitor, username } = await registered();
    faults.attempt = true;
    try {
      const res = await changePassword(visitor, PASSWORD);
      expect([res.status, res.body]).toEqual([503, { errno: Code.SERVERERR, errmsg: en.service.storeDown, data: null }]);
    } finally {
      faults.attempt = false;
    }
    expect((await login(new Visitor(app, nextIp()), username)).status).toBe(200);
  });

  it('once the new hash is in: the answer says so truly, this browser logs in again, every older session is refused', async () => {
    const { visitor, username } = await registered();
    const sibling = new Visitor(app, nextIp());
    expect((await login(sibling, username)).status).toBe(200);
    // The registration's session, lost from the index: with no epoch written, only its
    // credential fingerprint can refuse it.
    const { id } = await app.db.prisma.user.findFirstOrThrow({ where: { username } });
    const sid = decodeURIComponent(visitor.cookies.get('sid') ?? '');
    await app.store.removeMember(userSessionsKey(id), sid.slice(0, sid.lastIndexOf('.')));
    faults.sessionWrites = true;
    let res: Awaited<ReturnType<typeof changePassword>>;
    try {
      res = await changePassword(sibling, PASSWORD);
    } finally {
      faults.sessionWrites = false;
    }
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ errno: '0', errmsg: en.account.passwordChangedLoggedOut, data: { username } });
    expect(sibling.cookies.has('sid')).toBe(false);
    expect((await me(sibling)).status).toBe(401);
    expect((await login(new Visitor(app, nextIp()), username)).status).toBe(401);
    expect((await login(sibling, username, NEW_PASSWORD)).status).toBe(200);
    expect((await me(visitor)).status).toBe(401);
  });
});

describe('POST /api/user/mobile/', () => {
  /** Asks for a code to `mobile` from the visitor's session (a captcha first), and reads it from the outbox. */
  async function codeFor(visitor: Visitor, mobile: string, purpose?: string) {
    clock.advance(120_000); // past the resend wait for the number
    await visitor.get('/api/image_code/');
    const sent = await visitor.post('/api/sms_code/', { mobile, captcha: CAPTCHA, ...(purpose ? { purpose } : {}) });
    expect(sent.status).toBe(200);
    return readOutbox(app, mobile);
  }
  const changeMobile = (visitor: Visitor, mobile: string, code: string, password = PASSWORD) =>
    visitor.post<UserView>('/api/user/mobile/', { mobile, sms_code: code, password });

  it('changes it with a change_mobile code and the password: the row changes, the old number no longer logs in', async () => {
    const { visitor, username, mobile: old } = await registered();
    const mobile = randomMobile();
    // A register code for the very number is no change_mobile code.
    const registerCode = await codeFor(visitor, mobile);
    const wrongPurpose = await changeMobile(visitor, mobile, registerCode);
    expect([wrongPurpose.status, Object.keys(wrongPurpose.body.data?.fields ?? {})]).toEqual([400, ['sms_code']]);

    const code = await codeFor(visitor, mobile, 'change_mobile');
    const wrongPassword = await changeMobile(visitor, mobile, code, 'not my password');
    expect(wrongPassword.status).toBe(401);
    expect(wrongPassword.body).toMatchObject({ errno: Code.PWDERR, data: { fields: { password: en.account.oldPasswordWrong } } });

    // The code survived the wrong password.
    const res = await changeMobile(visitor, mobile, code);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ errno: '0', errmsg: en.account.mobileChanged, data: { username, mobile } });
    expect((await app.db.prisma.user.findFirstOrThrow({ where: { username } })).mobile).toBe(mobile);
    expect((await me(visitor)).body.data?.mobile).toBe(mobile);
    expect((await login(new Visitor(app, nextIp()), old)).status).toBe(401);
    expect((await login(new Visitor(app, nextIp()), mobile)).status).toBe(200);
    // Used up.
    expect((await changeMobile(visitor, randomMobile(), code)).status).toBe(400);
    expect((await changeMobile(visitor, mobile, code)).status).toBe(400);
  });

  it('a number taken meanwhile answers 409 DATAEXIST on mobile, as registration does', async () => {
    const { visitor, username } = await registered();
    const mobile = randomMobile();
    const code = await codeFor(visitor, mobile, 'change_mobile');
    // Another account gets the number between the code and the change.
    const { mobile: theirs } = await registered();
    await app.db.prisma.user.update({ where: { mobile: theirs }, data: { mobile } });
    const res = await changeMobile(visitor, mobile, code);
    expect(res.status).toBe(409);
    expect(res.body).toEqual({
      errno: Code.DATAEXIST,
      errmsg: en.user.mobileTaken,
      data: { fields: { mobile: en.user.mobileTaken } },
    });
    expect((await app.db.prisma.user.findFirstOrThrow({ where: { username } })).mobile).not.toBe(mobile);
  });

  it('counts a wrong password in the login budget too', async () => {
    const { visitor } = await registered();
    const mobile = randomMobile();
    const code = await codeFor(visitor, mobile, 'change_mobile');
    for (let i = 0; i < MAX_FAILURES; i++) expect((await changeMobile(visitor, mobile, code, 'nope nope')).status).toBe(401);
    const res = await changeMobile(visitor, mobile, code);
    expect([res.status, res.body.errno]).toEqual([429, Code.THROTTLED]);
  });

  it('answers 401 SESSIONERR without a session', async () => {
    const res = await changeMobile(new Visitor(app, nextIp()), randomMobile(), '123456');
    expect([res.status, res.body.errno]).toEqual([401, Code.SESSIONERR]);
  });
});
