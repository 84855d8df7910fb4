// Password reset by SMS code (POST /api/password/reset/), on the real PostgreSQL and Redis, with
// a second API instance on the same database and Redis: the new password, every session of the
// user ended on both instances, nobody logged in; one answer for every kind of wrong; the code's
// attempt cap and single use, also under a race; and nothing half-done when the new hash cannot
// be written (the code survives for the retry) or the sessions cannot be ended at once.
import { AUTH_MESSAGES, Code, type Envelope, en, type OutboxMessage, text } from '@register/contracts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AppError } from '../src/errors.ts';
import { createDigest } from '../src/lib/digest.ts';
import { sessionKey, sessionsValidAfterKey, userSessionsKey } from '../src/modules/auth/user-sessions.ts';
import { type EventKind, eventDigests } from '../src/modules/security-events/events.service.ts';
import { createPasswordHasher } from '../src/modules/users/passwords.ts';
import type { Seams } from '../src/services.ts';
import type { KvStore } from '../src/store/kv-store.ts';
import { buildTestApp, manualClock, PASSWORD, randomMobile, randomUsername, Visitor } from './helper.ts';

const NEW_PASSWORD = 'a brand new passphrase';
const INVALID = {
  errno: Code.PARAMERR,
  errmsg: en.reset.codeInvalid,
  data: { fields: { sms_code: en.reset.codeInvalid } },
};

/** Backend failures the seams inject, each at the step its test names. */
const faults = { setPasswordFails: 0, epochFails: 0 };
/** The outbox's writes: reset codes are texted after their answer. */
const outboxWrites: Promise<unknown>[] = [];
const seams: Seams = {
  usersRepository: (repository) => ({
    ...repository,
    async setPassword(id, hash, from) {
      if (faults.setPasswordFails > 0) {
        faults.setPasswordFails--;
        throw new AppError(Code.DBERR, {
          message: text.service.databaseDown,
          cause: Object.assign(new Error('injected: database down'), { code: 'ECONNREFUSED' }),
        });
      }
      return repository.setPassword(id, hash, from);
    },
  }),
  store: (store): KvStore => ({
    ...store,
    set: (key, value, ttlMs) => {
      if (key.startsWith('sess-valid-after:') && faults.epochFails > 0) {
        faults.epochFails--;
        return Promise.reject(new AppError(Code.SERVERERR, { status: 503, message: text.service.storeDown }));
      }
      const written = store.set(key, value, ttlMs);
      if (key.startsWith('outbox:')) outboxWrites.push(written.catch(() => {}));
      return written;
    },
  }),
};

const clock = manualClock();
let app: FastifyInstance;
/** Another API process, as behind a load balancer: same PostgreSQL, same Redis (and key prefix), same clock. */
let second: FastifyInstance;
let hmac: ReturnType<typeof eventDigests>;
beforeAll(async () => {
  app = await buildTestApp({}, { clock, seams });
  second = await buildTestApp({ REDIS_KEY_PREFIX: app.config.redis.keyPrefix }, { clock });
  hmac = eventDigests(createDigest(app.config.codeSecret));
});
afterAll(async () => {
  await second?.close();
  await app?.close();
});

async function lastText(mobile: string): Promise<OutboxMessage | null> {
  await Promise.all(outboxWrites);
  const res = await app.inject({ method: 'GET', url: `/api/__dev/sms/${mobile}/` });
  return (res.json() as Envelope<OutboxMessage>).data;
}

/** A user registered through the second instance: that browser holds the registration's session. */
async function registeredUser() {
  const username = randomUsername('Rst');
  const mobile = randomMobile();
  const browser = new Visitor(second);
  const registered = await browser.register(username, mobile);
  expect(registered.status).toBe(200);
  // Time passes between registering and forgetting the password (past the number's SMS cooldown).
  clock.advance(61_000);
  return { id: registered.body.data?.id as number, username, mobile, browser };
}

/**
 * A captcha and a reset code in this visitor's session: the code as the phone got it (texted
 * after the answer: waited for), or null when no text is due and none came.
 */
async function askResetCode(visitor: Visitor, mobile: string, texted = true): Promise<string | null> {
  await visitor.get('/api/image_code/');
  const sent = await visitor.post('/api/sms_code/', { mobile, captcha: 'ABCD', purpose: 'reset' });
  expect(sent.status).toBe(200);
  if (!texted) {
    const message = await lastText(mobile);
    return message?.purpose === 'reset' ? message.code : null;
  }
  return vi.waitFor(
    async () => {
      const message = await lastText(mobile);
      expect(message?.purpose).toBe('reset');
      return message?.code ?? '';
    },
    { timeout: 5000, interval: 20 },
  );
}

const form = (mobile: string, code: string, password = NEW_PASSWORD) => ({
  mobile,
  sms_code: code,
  password,
  password_repeat: password,
});
const wrongOf = (code: string) => (code === '000000' ? '111111' : '000000');
const login = (instance: FastifyInstance, account: string, password: string) =>
  new Visitor(instance).post('/api/user/login/', { account, password });
async function passwordIs(mobile: string, password: string): Promise<boolean> {
  const user = await app.db.prisma.user.findUniqueOrThrow({ where: { mobile } });
  return (await createPasswordHasher(app.config.argon2).verify(user.password, password)).ok;
}
async function eventsOf(mobile: string, kinds: EventKind[]) {
  await app.events.flush();
  const rows = await app.db.prisma.securityEvent.findMany({
    where: { mobileHmac: hmac.mobile(mobile), kind: { in: kinds } },
    orderBy: { id: 'asc' },
  });
  return rows.map((r) => ({ kind: r.kind, userId: r.userId, detail: r.detail }));
}

describe('a password reset', () => {
  it('sets the new password, ends every session of the user on both instances, and logs nobody in', async () => {
    const user = await registeredUser();
    const onSecond = new Visitor(second);
    const onFirst = new Visitor(app);
    expect((await onSecond.post('/api/user/login/', { account: user.username, password: PASSWORD })).status).toBe(200);
    expect((await onFirst.post('/api/user/login/', { account: user.mobile, password: PASSWORD })).status).toBe(200);
    for (const browser of [user.browser, onSecond, onFirst]) expect((await browser.get('/api/user/me/')).status).toBe(200);
    clock.advance(1000);

    // The browser logged in on the first instance asks (a visitor's would do as well).
    const visitor = onFirst;
    const code = (await askResetCode(visitor, user.mobile)) ?? '';
    expect(code).toMatch(/^\d{6}$/);
    const reset = await visitor.post('/api/password/reset/', form(user.mobile, code));
    expect(reset.status).toBe(200);
    expect(reset.body).toEqual({ errno: '0', errmsg: en.reset.done, data: null });
    // No session: no cookie, and the browser is nobody now (its own session ended with the rest).
    expect(reset.headers['set-cookie']).toBeUndefined();
    expect((await visitor.get('/api/user/session/')).body.data).toBeNull();

    // The registration's session and both logins are over, on either instance.
    for (const browser of [user.browser, onSecond, onFirst]) {
      expect((await browser.get('/api/user/me/')).status).toBe(401);
    }
    expect((await login(second, user.username, PASSWORD)).body.errno).toBe(Code.LOGINERR);
    expect((await login(second, user.username, NEW_PASSWORD)).body.errmsg).toBe(AUTH_MESSAGES.loggedIn);
    expect(await passwordIs(user.mobile, NEW_PASSWORD)).toBe(true);

    // Used once: the same code again is refused like any wrong one.
    expect((await visitor.post('/api/password/reset/', form(user.mobile, code, 'yet another passphrase'))).body).toEqual(INVALID);
    expect(await passwordIs(user.mobile, NEW_PASSWORD)).toBe(true);
    expect(await eventsOf(user.mobile, ['reset_requested', 'password_reset', 'reset_failed'])).toEqual([
      { kind: 'reset_requested', userId: user.id, detail: { door: 'image', account: 'active' } },
      { kind: 'password_reset', userId: user.id, detail: {} },
      { kind: 'reset_failed', userId: null, detail: { reason: 'code' } },
    ]);
  });

  it('answers the same for a wrong code, an unknown number, an inactive account, a code of another purpose', async () => {
    const active = await registeredUser();
    const inactive = await registeredUser();
    await app.db.prisma.user.update({ where: { id: inactive.id }, data: { isActive: false } });
    const unknown = randomMobile();

    const wrongCode = new Visitor(app);
    const code = (await askResetCode(wrongCode, active.mobile)) ?? '';
    const unknownWithCode = new Visitor(app);
    expect(await askResetCode(unknownWithCode, unknown, false)).toBeNull(); // stored, never texted
    const inactiveWithCode = new Visitor(app);
    expect(await askResetCode(inactiveWithCode, inactive.mobile, false)).toBeNull();
    const otherPurpose = new Visitor(app);
    const fresh = randomMobile();
    await otherPurpose.requestSmsCode(fresh); // a registration code
    const registerCode = (await lastText(fresh))?.code ?? '';

    const answers = await Promise.all([
      wrongCode.post('/api/password/reset/', form(active.mobile, wrongOf(code))),
      unknownWithCode.post('/api/password/reset/', form(unknown, '123456')),
      new Visitor(app).post('/api/password/reset/', form(randomMobile(), '123456')),
      inactiveWithCode.post('/api/password/reset/', form(inactive.mobile, '123456')),
      otherPurpose.post('/api/password/reset/', form(fresh, registerCode)),
    ]);
    for (const answer of answers) {
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual(INVALID);
    }
    expect(await eventsOf(active.mobile, ['reset_failed'])).toEqual([
      { kind: 'reset_failed', userId: null, detail: { reason: 'code' } },
    ]);
    // The right code still works after the one wrong try.
    expect((await wrongCode.post('/api/password/reset/', form(active.mobile, code))).status).toBe(200);
  });

  it('answers the same for a right code whose account is gone or deactivated meanwhile, and uses the code up', async () => {
    const deactivated = await registeredUser();
    const gone = await registeredUser();
    const first = new Visitor(app);
    const second_ = new Visitor(app);
    const code = (await askResetCode(first, deactivated.mobile)) ?? '';
    const goneCode = (await askResetCode(second_, gone.mobile)) ?? '';
    await app.db.prisma.user.update({ where: { id: deactivated.id }, data: { isActive: false } });
    await app.db.prisma.user.update({ where: { id: gone.id }, data: { mobile: randomMobile() } });
    expect((await first.post('/api/password/reset/', form(deactivated.mobile, code))).body).toEqual(INVALID);
    expect((await second_.post('/api/password/reset/', form(gone.mobile, goneCode))).body).toEqual(INVALID);
    // Used up: reactivated, the account still needs a new code.
    await app.db.prisma.user.update({ where: { id: deactivated.id }, data: { isActive: true } });
    expect((await first.post('/api/password/reset/', form(deactivated.mobile, code))).body).toEqual(INVALID);
    expect(await passwordIs(deactivated.mobile, PASSWORD)).toBe(true);
    expect((await eventsOf(deactivated.mobile, ['reset_failed'])).map((e) => e.detail)).toEqual([
      { reason: 'inactive' },
      { reason: 'code' },
    ]);
    expect((await eventsOf(gone.mobile, ['reset_failed'])).map((e) => e.detail)).toEqual([{ reason: 'unknown' }]);
  });

  it('allows 5 wrong codes, after which even the right one is refused', async () => {
    const user = await registeredUser();
    const visitor = new Visitor(app);
    const code = (await askResetCode(visitor, user.mobile)) ?? '';
    for (let i = 0; i < 5; i++) {
      expect((await visitor.post('/api/password/reset/', form(user.mobile, wrongOf(code)))).body).toEqual(INVALID);
    }
    expect((await visitor.post('/api/password/reset/', form(user.mobile, code))).body).toEqual(INVALID);
    expect(await passwordIs(user.mobile, PASSWORD)).toBe(true);
    expect((await eventsOf(user.mobile, ['code_failed', 'code_exhausted'])).map((e) => [e.kind, e.detail])).toEqual([
      ['code_failed', { attemptsLeft: 4, purpose: 'reset' }],
      ['code_failed', { attemptsLeft: 3, purpose: 'reset' }],
      ['code_failed', { attemptsLeft: 2, purpose: 'reset' }],
      ['code_failed', { attemptsLeft: 1, purpose: 'reset' }],
      ['code_exhausted', { purpose: 'reset' }],
    ]);
    expect(await eventsOf(user.mobile, ['reset_failed'])).toHaveLength(6);
  });

  it("holds the new password to registration's policy and messages; a guessable one keeps the code", async () => {
    const user = await registeredUser();
    const visitor = new Visitor(app);
    const code = (await askResetCode(visitor, user.mobile)) ?? '';
    // The schema's and rules' checks, word for word as registration's, before the code is tried.
    for (const [password, repeat] of [
      ['1234', '1234'],
      ['98765432109', '98765432109'],
      [NEW_PASSWORD, 'something else entirely'],
    ] as const) {
      const reset = await visitor.post('/api/password/reset/', { ...form(user.mobile, code, password), password_repeat: repeat });
      const register = await new Visitor(app).post('/api/user/register/', {
        username: randomUsername('Pol'),
        mobile: randomMobile(),
        sms_code: '123456',
        password,
        password_repeat: repeat,
      });
      expect(reset.status).toBe(400);
      expect(reset.body.data?.fields).toEqual(register.body.data?.fields);
    }
    // The strength estimate, with the account's username and mobile: a field error, the code kept.
    const weak = await visitor.post('/api/password/reset/', form(user.mobile, code, 'Password2026'));
    expect(weak.status).toBe(400);
    expect(weak.body.data?.fields?.password).toMatch(/^This password is too easy to guess\./);
    expect(weak.body.data?.fields?.sms_code).toBeUndefined();
    expect((await visitor.post('/api/password/reset/', form(user.mobile, code))).status).toBe(200);
  });

  it('of two parallel resets with one code exactly one succeeds; the other gets the one wrong-code answer', async () => {
    const user = await registeredUser();
    const visitor = new Visitor(app);
    const code = (await askResetCode(visitor, user.mobile)) ?? '';
    const passwords = ['first racing passphrase', 'second racing passphrase'];
    const answers = await Promise.all(passwords.map((p) => visitor.post('/api/password/reset/', form(user.mobile, code, p))));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 400]);
    const loser = answers.find((a) => a.status === 400);
    expect(loser?.body).toEqual(INVALID);
    const winner = passwords[answers.findIndex((a) => a.status === 200)] ?? '';
    expect(await passwordIs(user.mobile, winner)).toBe(true);
    expect((await eventsOf(user.mobile, ['password_reset'])).length).toBe(1);
  });

  it('keeps the code when the new hash cannot be written, and the retry with it succeeds', async () => {
    const user = await registeredUser();
    const session = new Visitor(app);
    expect((await session.post('/api/user/login/', { account: user.username, password: PASSWORD })).status).toBe(200);
    const visitor = new Visitor(app);
    const code = (await askResetCode(visitor, user.mobile)) ?? '';
    faults.setPasswordFails = 1;
    const failed = await visitor.post('/api/password/reset/', form(user.mobile, code));
    expect(failed.status).toBe(503);
    expect(failed.body.errno).toBe(Code.DBERR);
    expect(faults.setPasswordFails).toBe(0);
    // Nothing happened: the old password, the session, no password_reset.
    expect(await passwordIs(user.mobile, PASSWORD)).toBe(true);
    expect((await session.get('/api/user/me/')).status).toBe(200);
    expect(await eventsOf(user.mobile, ['password_reset'])).toEqual([]);
    const retry = await visitor.post('/api/password/reset/', form(user.mobile, code));
    expect(retry.body).toEqual({ errno: '0', errmsg: en.reset.done, data: null });
    expect(await passwordIs(user.mobile, NEW_PASSWORD)).toBe(true);
    expect((await session.get('/api/user/me/')).status).toBe(401);
  });

  it('answers truly when the sessions cannot be ended at once, and ends them as of the reset when the store answers', async () => {
    const user = await registeredUser();
    // A session from before sessions were indexed and recorded a credential fingerprint: neither
    // the index nor the new hash finds it, only the epoch refuses it.
    const sessionId = decodeURIComponent(user.browser.cookies.get('sid') ?? '').split('.')[0] ?? '';
    const stored = JSON.parse((await app.store.get(sessionKey(sessionId))) ?? '{}');
    expect(stored.userId).toBe(user.id);
    delete stored.credential;
    await app.store.set(sessionKey(sessionId), JSON.stringify(stored), 60_000);
    await app.store.removeMember(userSessionsKey(user.id), sessionId);
    expect((await user.browser.get('/api/user/me/')).status).toBe(200);
    const visitor = new Visitor(app);
    const code = (await askResetCode(visitor, user.mobile)) ?? '';
    faults.epochFails = 1;
    const reset = await visitor.post('/api/password/reset/', form(user.mobile, code));
    expect(reset.body).toEqual({ errno: '0', errmsg: en.reset.donePending, data: null });
    expect(faults.epochFails).toBe(0);
    const resetAt = clock();
    // A login with the new password just after the reset stands, before and after the retry.
    clock.advance(1000);
    const fresh = new Visitor(second);
    expect((await fresh.post('/api/user/login/', { account: user.username, password: NEW_PASSWORD })).status).toBe(200);
    // The old session without a fingerprint ends once the retry gets through.
    await vi.waitFor(async () => expect((await user.browser.get('/api/user/me/')).status).toBe(401), {
      timeout: 10_000,
      interval: 100,
    });
    expect(await app.store.get(sessionsValidAfterKey(user.id))).toBe(String(resetAt));
    expect((await fresh.get('/api/user/me/')).status).toBe(200);
  });
});
