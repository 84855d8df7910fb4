// Passkeys (WebAuthn) on the real PostgreSQL and Redis, driven by a software authenticator
// (soft-authenticator.ts) whose responses @simplewebauthn/server verifies as it verifies a
// browser's: the options, enrolment, the list and its changes, a login with a passkey alone
// (exactly a password login's session, events and budgets), and every refusal: a replayed or
// foreign challenge, a wrong origin or RP ID, a counter going backwards, another user's handle,
// an inactive account, a deleted passkey, the cap, malformed bodies, a store that fails.
import {
  Code,
  en,
  type PasskeyCreationOptions,
  type PasskeyRequestOptions,
  type PasskeyView,
  type UserView,
} from '@register/contracts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AppError } from '../src/errors.ts';
import { CHALLENGE_KEY_PREFIX } from '../src/modules/passkeys/challenges.ts';
import type { EventKind } from '../src/modules/security-events/events.service.ts';
import type { Seams } from '../src/services.ts';
import type { KvStore } from '../src/store/kv-store.ts';
import { buildTestApp, manualClock, PASSWORD, randomMobile, randomUsername, Visitor } from './helper.ts';
import { SoftPasskey, type Tamper } from './soft-authenticator.ts';

const ORIGIN = 'http://localhost:5173';
const RP_ID = 'localhost';
const MAX_FAILURES = 3;
const PER_USER_MAX = 3;

/** Store failures the seam injects. */
const faults = { take: false };
const seams: Seams = {
  store: (store): KvStore => ({
    ...store,
    take: (key) =>
      faults.take && key.startsWith(CHALLENGE_KEY_PREFIX)
        ? Promise.reject(new AppError(Code.SERVERERR, { status: 503, message: (c) => c.service.storeDown }))
        : store.take(key),
  }),
};

const clock = manualClock();
let app: FastifyInstance;
beforeAll(async () => {
  app = await buildTestApp(
    {
      WEBAUTHN_RP_ID: RP_ID,
      WEBAUTHN_ORIGINS: `${ORIGIN},http://localhost:4173`,
      LOGIN_MAX_FAILURES: String(MAX_FAILURES),
      PASSKEYS_PER_USER_MAX: String(PER_USER_MAX),
    },
    { clock, seams },
  );
});
afterAll(() => app.close());

let ips = 0;
// An address range no other test file uses: security events are read per client, and every file shares one database.
const nextIp = () => `100.77.0.${++ips}`;

async function registered(visitor = new Visitor(app, nextIp())) {
  const username = randomUsername('Pk');
  const mobile = randomMobile();
  const res = await visitor.register(username, mobile);
  expect(res.status).toBe(200);
  return { visitor, username, mobile, id: res.body.data?.id as number };
}

const registerOptions = (visitor: Visitor) => visitor.post<PasskeyCreationOptions>('/api/passkeys/register/options/');
const registerVerify = (visitor: Visitor, body: object) => visitor.post<PasskeyView>('/api/passkeys/register/verify/', body);
const loginOptions = (visitor: Visitor) => visitor.post<PasskeyRequestOptions>('/api/passkeys/login/options/');
const loginVerify = (visitor: Visitor, body: object) => visitor.post<UserView>('/api/passkeys/login/verify/', body);
const list = async (visitor: Visitor) =>
  (await visitor.get<{ passkeys: PasskeyView[] }>('/api/user/passkeys/')).body.data?.passkeys ?? [];

/** Enrols a new passkey for the visitor's account (the software authenticator's). */
async function enrol(visitor: Visitor, options: { counts?: boolean; backedUp?: boolean } = {}) {
  const res = await registerOptions(visitor);
  expect(res.status).toBe(200);
  const creation = res.body.data as PasskeyCreationOptions;
  const passkey = new SoftPasskey({ origin: ORIGIN, rpId: RP_ID, userHandle: creation.user.id, ...options });
  const added = await registerVerify(visitor, passkey.attestation(creation));
  expect(added.status).toBe(200);
  return { passkey, view: added.body.data as PasskeyView, creation };
}

/** A login with the passkey from a new browser (or `visitor`): its options, then the assertion. */
async function passkeyLogin(passkey: SoftPasskey, tamper: Tamper = {}, visitor = new Visitor(app, nextIp())) {
  const options = await loginOptions(visitor);
  expect(options.status).toBe(200);
  const assertion = passkey.assertion(options.body.data as PasskeyRequestOptions, tamper);
  return { res: await loginVerify(visitor, assertion), visitor, assertion };
}

async function eventsOf(userId: number, kinds: EventKind[]) {
  await app.events.flush();
  return app.db.prisma.securityEvent.findMany({ where: { userId, kind: { in: kinds } }, orderBy: { id: 'asc' } });
}

const FAILED = { errno: Code.LOGINERR, errmsg: en.passkeys.failed, data: null };

describe('enrolment', () => {
  it('answers the creation options: the username (never the mobile), a resident key, user verification preferred', async () => {
    const { visitor, username, mobile } = await registered();
    const res = await registerOptions(visitor);
    expect(res.status).toBe(200);
    const options = res.body.data as PasskeyCreationOptions;
    expect(options.rp).toEqual({ name: 'Register', id: RP_ID });
    expect(options.user).toMatchObject({ name: username, displayName: username });
    expect(JSON.stringify(options)).not.toContain(mobile);
    expect(options.user.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(options.challenge).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(options.authenticatorSelection).toMatchObject({ residentKey: 'required', userVerification: 'preferred' });
    expect(options.attestation).toBe('none');
    expect(options.excludeCredentials).toEqual([]);
    expect(options.pubKeyCredParams.map((p) => p.alg)).toContain(-7);
    expect(options.timeout).toBe(300_000);
    // The same handle every time (an authenticator replaces its passkey for the account), a new challenge.
    const again = (await registerOptions(visitor)).body.data as PasskeyCreationOptions;
    expect(again.user.id).toBe(options.user.id);
    expect(again.challenge).not.toBe(options.challenge);
  });

  it('stores the passkey, lists it (never its public key), and excludes it from the next options', async () => {
    const { visitor, id } = await registered();
    const { passkey, view } = await enrol(visitor, { backedUp: true });
    expect(view).toEqual({
      id: expect.stringMatching(/^\d+$/),
      name: expect.stringMatching(/^Passkey \d{4}-\d{2}-\d{2}$/),
      createdAt: expect.any(String),
      lastUsedAt: null,
      transports: ['internal', 'hybrid'],
      backedUp: true,
    });
    const listed = await visitor.get<{ passkeys: PasskeyView[] }>('/api/user/passkeys/');
    expect(listed.body).toEqual({ errno: Code.OK, errmsg: en.codes[Code.OK], data: { passkeys: [view] } });
    expect(JSON.stringify(listed.body)).not.toMatch(/publicKey|public_key|counter/);
    const next = (await registerOptions(visitor)).body.data as PasskeyCreationOptions;
    expect(next.excludeCredentials).toEqual([
      { id: passkey.credentialId, type: 'public-key', transports: ['internal', 'hybrid'] },
    ]);
    const events = await eventsOf(id, ['passkey_added']);
    expect(events.map((e) => e.detail)).toEqual([{ passkeyId: Number(view.id), deviceType: 'multiDevice', backedUp: true }]);
  });

  it('answers 401 SESSIONERR without a session', async () => {
    const visitor = new Visitor(app, nextIp());
    const body = new SoftPasskey({ origin: ORIGIN, rpId: RP_ID, userHandle: 'AAAA' }).attestation({
      challenge: 'AAAA',
      rp: { id: RP_ID, name: 'Register' },
      user: { id: 'AAAA', name: 'x', displayName: 'x' },
    });
    const answers = [
      await registerOptions(visitor),
      await registerVerify(visitor, body),
      await visitor.get('/api/user/passkeys/'),
      await visitor.request({ method: 'PATCH', url: '/api/user/passkeys/1/', payload: { name: 'x' } }),
      await visitor.request({ method: 'DELETE', url: '/api/user/passkeys/1/' }),
    ];
    for (const res of answers) {
      expect([res.status, res.body.errno]).toEqual([401, Code.SESSIONERR]);
    }
  });
});

describe('login with a passkey alone', () => {
  it('logs in as a password login does: a new session id, the UserView, /user/me/, last_login, login_ok', async () => {
    const { visitor: owner, username, mobile, id } = await registered();
    const { passkey, view } = await enrol(owner);
    const before = await app.db.prisma.user.findUniqueOrThrow({ where: { id } });

    const browser = new Visitor(app, nextIp());
    const options = await loginOptions(browser);
    expect(options.body.data).toMatchObject({
      rpId: RP_ID,
      userVerification: 'preferred',
      allowCredentials: [],
      timeout: 300_000,
    });
    const anonymous = browser.cookies.get('sid');
    expect(anonymous).toBeDefined();
    clock.advance(1000);
    const res = await loginVerify(browser, passkey.assertion(options.body.data as PasskeyRequestOptions));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      errno: Code.OK,
      errmsg: en.passkeys.loggedIn,
      data: { id, username, mobile, email: '', emailActive: false },
    });
    expect(browser.cookies.get('sid')).not.toBe(anonymous);
    expect(browser.cookies.get('device')).toBeDefined();
    expect((await browser.get<UserView>('/api/user/me/')).body.data?.username).toBe(username);
    const after = await app.db.prisma.user.findUniqueOrThrow({ where: { id } });
    expect(after.lastLogin?.getTime()).toBe(clock());
    expect(after.lastLogin?.getTime()).not.toBe(before.lastLogin?.getTime());
    const [used] = await list(owner);
    expect(used?.lastUsedAt).toBe(new Date(clock()).toISOString());
    const events = await eventsOf(id, ['login_ok']);
    expect(events.at(-1)?.detail).toEqual({ knownDevice: false, method: 'passkey', passkeyId: Number(view.id) });
    // The session shows in the account's sessions list, like any login's.
    const sessions = await browser.get<{ sessions: { current: boolean }[] }>('/api/user/sessions/');
    expect(sessions.body.data?.sessions.filter((s) => s.current)).toHaveLength(1);
    // The device cookie, for the password login's path and the passkey login's: this browser
    // is now a known device at both (its own budget, login-throttle.ts).
    const cookies = (res.raw.cookies as { name: string; path?: string }[]).filter((c) => c.name === 'device');
    expect(cookies.map((c) => c.path).sort()).toEqual(['/api/passkeys/login', '/api/user/login']);
    expect((await passkeyLogin(passkey, {}, browser)).res.status).toBe(200);
    expect((await eventsOf(id, ['login_ok'])).at(-1)?.detail).toMatchObject({ knownDevice: true, method: 'passkey' });
  });

  it('a password change ends a passkey login too (its session carries the password credential)', async () => {
    const { visitor: owner } = await registered();
    const { passkey } = await enrol(owner);
    const { res, visitor: browser } = await passkeyLogin(passkey);
    expect(res.status).toBe(200);
    const NEW = 'a brand new passphrase';
    const changed = await owner.post('/api/user/password/', { old_password: PASSWORD, password: NEW, password_repeat: NEW });
    expect(changed.status).toBe(200);
    expect((await browser.get('/api/user/me/')).status).toBe(401);
    // The passkey itself still logs in.
    expect((await passkeyLogin(passkey)).res.status).toBe(200);
  });
});

describe('a ceremony is used once, by its own session, from an accepted origin, for this RP ID', () => {
  it('a replayed enrolment response fails: the challenge was taken', async () => {
    const { visitor } = await registered();
    const res = await registerOptions(visitor);
    const creation = res.body.data as PasskeyCreationOptions;
    const body = new SoftPasskey({ origin: ORIGIN, rpId: RP_ID, userHandle: creation.user.id }).attestation(creation);
    expect((await registerVerify(visitor, body)).status).toBe(200);
    const replay = await registerVerify(visitor, body);
    expect([replay.status, replay.body]).toEqual([400, { errno: Code.PARAMERR, errmsg: en.passkeys.expired, data: null }]);
    expect(await list(visitor)).toHaveLength(1);
  });

  it('a replayed assertion fails, and so does a corrected one after a failure: one try per challenge', async () => {
    const { visitor: owner } = await registered();
    const { passkey } = await enrol(owner);
    const { res, visitor, assertion } = await passkeyLogin(passkey);
    expect(res.status).toBe(200);
    const replay = await loginVerify(visitor, assertion);
    expect([replay.status, replay.body]).toEqual([400, { errno: Code.PARAMERR, errmsg: en.passkeys.expired, data: null }]);
    expect((await loginVerify(new Visitor(app, nextIp()), assertion)).body.errmsg).toBe(en.passkeys.expired);

    const browser = new Visitor(app, nextIp());
    const options = (await loginOptions(browser)).body.data as PasskeyRequestOptions;
    const wrong = await loginVerify(browser, passkey.assertion(options, { origin: 'https://evil.example' }));
    expect([wrong.status, wrong.body]).toEqual([401, FAILED]);
    const corrected = await loginVerify(browser, passkey.assertion(options));
    expect([corrected.status, corrected.body.errmsg]).toEqual([400, en.passkeys.expired]);
  });

  it('of two racing requests with one response, exactly one wins', async () => {
    const { visitor: owner } = await registered();
    const { passkey } = await enrol(owner);
    const browser = new Visitor(app, nextIp());
    const assertion = passkey.assertion((await loginOptions(browser)).body.data as PasskeyRequestOptions);
    const answers = await Promise.all([loginVerify(browser, assertion), loginVerify(browser, assertion)]);
    expect(answers.map((r) => r.status).sort()).toEqual([200, 400]);
  });

  it("another session's challenge fails (and leaves that session's own ceremony alone)", async () => {
    const { visitor: owner, username } = await registered();
    const { passkey } = await enrol(owner);
    const starter = new Visitor(app, nextIp());
    const options = (await loginOptions(starter)).body.data as PasskeyRequestOptions;
    const assertion = passkey.assertion(options);
    // A session with no ceremony finds no challenge; one with a ceremony of its own, another challenge.
    const stolen = await loginVerify(new Visitor(app, nextIp()), assertion);
    expect([stolen.status, stolen.body.errmsg]).toEqual([400, en.passkeys.expired]);
    const thief = new Visitor(app, nextIp());
    await loginOptions(thief);
    const mismatched = await loginVerify(thief, assertion);
    expect([mismatched.status, mismatched.body]).toEqual([401, FAILED]);
    const own = await loginVerify(starter, assertion);
    expect([own.status, own.body.data?.username]).toEqual([200, username]);

    // An enrolment too: started in the owner's session, sent from another session of the same user.
    const second = new Visitor(app, nextIp());
    expect((await second.post('/api/user/login/', { account: username, password: PASSWORD })).status).toBe(200);
    const creation = (await registerOptions(owner)).body.data as PasskeyCreationOptions;
    const body = new SoftPasskey({ origin: ORIGIN, rpId: RP_ID, userHandle: creation.user.id }).attestation(creation);
    expect((await registerVerify(second, body)).body.errmsg).toBe(en.passkeys.expired);
    expect((await registerVerify(owner, body)).status).toBe(200);
  });

  it('a challenge expires after PASSKEY_CHALLENGE_TTL_SECONDS', async () => {
    const { visitor: owner } = await registered();
    const creation = (await registerOptions(owner)).body.data as PasskeyCreationOptions;
    const passkey = new SoftPasskey({ origin: ORIGIN, rpId: RP_ID, userHandle: creation.user.id });
    clock.advance(300_001);
    expect((await registerVerify(owner, passkey.attestation(creation))).body.errmsg).toBe(en.passkeys.expired);
    const { passkey: enrolled } = await enrol(owner);
    const browser = new Visitor(app, nextIp());
    const options = (await loginOptions(browser)).body.data as PasskeyRequestOptions;
    clock.advance(300_001);
    expect((await loginVerify(browser, enrolled.assertion(options))).body.errmsg).toBe(en.passkeys.expired);
  });

  it('refuses an enrolment from a wrong origin, for a wrong RP ID, over another challenge: 400 PARAMERR, nothing stored', async () => {
    const { visitor, id } = await registered();
    const tampers: Tamper[] = [
      { origin: 'https://evil.example' },
      { origin: 'http://127.0.0.1:5173' },
      { rpId: 'example.com' },
      { challenge: 'c29tZSBvdGhlciBjaGFsbGVuZ2U' },
      { type: 'webauthn.get' },
    ];
    for (const tamper of tampers) {
      const creation = (await registerOptions(visitor)).body.data as PasskeyCreationOptions;
      const body = new SoftPasskey({ origin: ORIGIN, rpId: RP_ID, userHandle: creation.user.id }).attestation(creation, tamper);
      const res = await registerVerify(visitor, body);
      expect([res.status, res.body], JSON.stringify(tamper)).toEqual([
        400,
        { errno: Code.PARAMERR, errmsg: en.passkeys.failed, data: null },
      ]);
    }
    expect(await list(visitor)).toEqual([]);
    expect(await eventsOf(id, ['passkey_added'])).toEqual([]);
    // The accepted origins are WEBAUTHN_ORIGINS, every one of them.
    const creation = (await registerOptions(visitor)).body.data as PasskeyCreationOptions;
    const other = new SoftPasskey({ origin: 'http://localhost:4173', rpId: RP_ID, userHandle: creation.user.id });
    expect((await registerVerify(visitor, other.attestation(creation))).status).toBe(200);
  });

  it('refuses a login from a wrong origin, for a wrong RP ID, a bad signature, another challenge: 401 LOGINERR', async () => {
    const { visitor: owner, id } = await registered();
    const { passkey } = await enrol(owner);
    const tampers: Tamper[] = [
      { origin: 'https://evil.example' },
      { rpId: 'example.com' },
      { badSignature: true },
      { challenge: 'c29tZSBvdGhlciBjaGFsbGVuZ2U' },
      { type: 'webauthn.create' },
    ];
    for (const tamper of tampers) {
      const { res } = await passkeyLogin(passkey, tamper);
      expect([res.status, res.body], JSON.stringify(tamper)).toEqual([401, FAILED]);
    }
    const failures = await eventsOf(id, ['login_failed']);
    expect(failures.map((e) => (e.detail as { reason: string }).reason)).toEqual([
      'verification',
      'verification',
      'signature',
      'verification',
      'verification',
    ]);
    expect(failures.every((e) => (e.detail as { method: string }).method === 'passkey')).toBe(true);
    expect((await passkeyLogin(passkey)).res.status).toBe(200);
  });
});

describe('the signature counter', () => {
  it('refuses a counter that goes backwards (or stands still), and records passkey_counter', async () => {
    const { visitor: owner, id } = await registered();
    const { passkey, view } = await enrol(owner);
    expect((await passkeyLogin(passkey)).res.status).toBe(200); // 1
    expect((await passkeyLogin(passkey, { counter: 5 })).res.status).toBe(200);
    for (const counter of [4, 5, 0]) {
      const { res } = await passkeyLogin(passkey, { counter });
      expect([res.status, res.body]).toEqual([401, { errno: Code.LOGINERR, errmsg: en.passkeys.counter, data: null }]);
    }
    const recorded = await eventsOf(id, ['passkey_counter']);
    expect(recorded.map((e) => e.detail)).toEqual([
      { passkeyId: Number(view.id), stored: 5, received: 4 },
      { passkeyId: Number(view.id), stored: 5, received: 5 },
      { passkeyId: Number(view.id), stored: 5, received: 0 },
    ]);
    const row = await app.db.prisma.passkey.findUniqueOrThrow({ where: { id: Number(view.id) } });
    expect(row.counter).toBe(5n);
    expect((await passkeyLogin(passkey, { counter: 6 })).res.status).toBe(200);
  });

  it('an authenticator that does not count (always 0) logs in every time', async () => {
    const { visitor: owner } = await registered();
    const { passkey } = await enrol(owner, { counts: false });
    for (let i = 0; i < 3; i++) expect((await passkeyLogin(passkey)).res.status).toBe(200);
  });

  it('a forged assertion with a low counter is a failed login, not a cloned authenticator', async () => {
    const { visitor: owner, id } = await registered();
    const { passkey } = await enrol(owner);
    expect((await passkeyLogin(passkey, { counter: 9 })).res.status).toBe(200);
    const { res } = await passkeyLogin(passkey, { counter: 1, badSignature: true });
    expect([res.status, res.body]).toEqual([401, FAILED]);
    expect(await eventsOf(id, ['passkey_counter'])).toEqual([]);
  });
});

describe("another user's credential, an unknown one, an inactive account", () => {
  it("refuses a passkey presented with another account's user handle, or with none", async () => {
    const { visitor: alice, id: aliceId } = await registered();
    const { visitor: bob } = await registered();
    const { passkey } = await enrol(alice);
    const bobs = (await registerOptions(bob)).body.data as PasskeyCreationOptions;
    for (const userHandle of [bobs.user.id, null, 'AAAA']) {
      const { res } = await passkeyLogin(passkey, { userHandle });
      expect([res.status, res.body]).toEqual([401, FAILED]);
    }
    const reasons = (await eventsOf(aliceId, ['login_failed'])).map((e) => (e.detail as { reason: string }).reason);
    expect(reasons).toEqual(['user_handle', 'user_handle', 'user_handle']);
    // Nor can Bob enrol Alice's credential (its id is stored, for her).
    const stolen = await registerVerify(bob, passkey.attestation(bobs));
    expect([stolen.status, stolen.body]).toEqual([409, { errno: Code.DATAEXIST, errmsg: en.passkeys.duplicate, data: null }]);
    expect(await list(bob)).toEqual([]);
  });

  it('answers an unknown credential and an inactive account exactly as a bad signature', async () => {
    const stranger = new SoftPasskey({ origin: ORIGIN, rpId: RP_ID, userHandle: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' });
    const unknown = await passkeyLogin(stranger);
    expect([unknown.res.status, unknown.res.body]).toEqual([401, FAILED]);

    const { visitor: owner, id } = await registered();
    const { passkey } = await enrol(owner);
    await app.db.prisma.user.update({ where: { id }, data: { isActive: false } });
    const inactive = await passkeyLogin(passkey);
    expect([inactive.res.status, inactive.res.body]).toEqual([401, FAILED]);
    expect(inactive.visitor.cookies.has('device')).toBe(false);
    expect((await inactive.visitor.get('/api/user/session/')).body.data).toBeNull();
    const reasons = (await eventsOf(id, ['login_failed'])).map((e) => (e.detail as { reason: string }).reason);
    expect(reasons).toEqual(['inactive']);
  });
});

describe('the login budgets', () => {
  it('counts unknown credential ids as failures, up to 429 THROTTLED', async () => {
    const ip = nextIp();
    const stranger = new SoftPasskey({ origin: ORIGIN, rpId: RP_ID, userHandle: 'AAAA' });
    for (let i = 0; i < MAX_FAILURES; i++) {
      const { res } = await passkeyLogin(stranger, {}, new Visitor(app, ip));
      expect([res.status, res.body.errno]).toEqual([401, Code.LOGINERR]);
    }
    const { res } = await passkeyLogin(stranger, {}, new Visitor(app, ip));
    expect([res.status, res.body.errno, res.body.errmsg]).toEqual([429, Code.THROTTLED, en.auth.throttled]);
    expect(res.headers['retry-after']).toBeDefined();
  });

  it("spends the account's budget with its password logins: failures of either refuse both; a success refunds", async () => {
    const ip = nextIp();
    const { visitor: owner, username, id } = await registered();
    const { passkey } = await enrol(owner);
    const from = () => new Visitor(app, ip);
    // A success clears this client's failures for the account, as a password login's does.
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < MAX_FAILURES - 1; i++) {
        expect((await passkeyLogin(passkey, { origin: 'https://evil.example' }, from())).res.status).toBe(401);
      }
      expect((await passkeyLogin(passkey, {}, from())).res.status).toBe(200);
    }
    for (let i = 0; i < MAX_FAILURES - 1; i++) {
      expect((await passkeyLogin(passkey, { badSignature: true }, from())).res.status).toBe(401);
    }
    const wrongPassword = await from().post('/api/user/login/', { account: username, password: 'not the password' });
    expect(wrongPassword.status).toBe(401);
    // The budget is spent: the right passkey and the right password are refused from this client...
    const refused = await passkeyLogin(passkey, {}, from());
    expect([refused.res.status, refused.res.body.errno]).toEqual([429, Code.THROTTLED]);
    const password = await from().post('/api/user/login/', { account: username, password: PASSWORD });
    expect([password.status, password.body.errno]).toEqual([429, Code.THROTTLED]);
    // ...not from another one.
    expect((await passkeyLogin(passkey)).res.status).toBe(200);
    const throttled = await eventsOf(id, ['login_throttled']);
    expect(throttled.map((e) => e.detail)).toContainEqual({ budget: 'pair', method: 'passkey' });
  });
});

describe('the list: rename, delete, the cap', () => {
  const rename = (visitor: Visitor, ref: string, name: unknown) =>
    visitor.request<PasskeyView>({ method: 'PATCH', url: `/api/user/passkeys/${ref}/`, payload: { name } });
  const remove = (visitor: Visitor, ref: string) => visitor.request({ method: 'DELETE', url: `/api/user/passkeys/${ref}/` });
  const NOT_FOUND = { errno: Code.NODATA, errmsg: en.passkeys.notFound, data: null };

  it("renames the user's own passkey (trimmed, 1-64 printable characters); any other id is 404", async () => {
    const { visitor: alice } = await registered();
    const { visitor: bob } = await registered();
    const { view } = await enrol(alice);
    const res = await rename(alice, view.id, '  Work laptop  ');
    expect([res.status, res.body]).toEqual([
      200,
      { errno: Code.OK, errmsg: en.passkeys.renamed, data: { ...view, name: 'Work laptop' } },
    ]);
    expect((await list(alice)).map((p) => p.name)).toEqual(['Work laptop']);
    for (const name of ['', '   ', 'x'.repeat(65), 'tab\there', 'bell\u0007', 42, null, ['a'], { a: 1 }]) {
      const bad = await rename(alice, view.id, name);
      expect([bad.status, bad.body.errno], JSON.stringify(name)).toEqual([400, Code.PARAMERR]);
    }
    expect((await rename(alice, view.id, 'é'.repeat(64))).status).toBe(200);
    for (const ref of ['999999999', '0', 'abc', '99999999999', '-1', '1e3']) {
      const missing = await rename(alice, ref, 'x');
      expect([missing.status, missing.body], ref).toEqual([404, NOT_FOUND]);
    }
    const other = await rename(bob, view.id, 'Mine now');
    expect([other.status, other.body]).toEqual([404, NOT_FOUND]);
    expect((await list(alice)).map((p) => p.name)).toEqual(['é'.repeat(64)]);
  });

  it('deletes it: gone from the list and the options, no longer logs in; another user cannot', async () => {
    const { visitor: alice, id } = await registered();
    const { visitor: bob } = await registered();
    const { passkey, view } = await enrol(alice);
    const { passkey: kept, view: keptView } = await enrol(alice);
    expect([(await remove(bob, view.id)).status, (await list(alice)).length]).toEqual([404, 2]);
    const res = await remove(alice, view.id);
    expect([res.status, res.body]).toEqual([200, { errno: Code.OK, errmsg: en.passkeys.deleted, data: null }]);
    expect((await remove(alice, view.id)).body).toEqual(NOT_FOUND);
    expect((await list(alice)).map((p) => p.id)).toEqual([keptView.id]);
    const options = (await registerOptions(alice)).body.data as PasskeyCreationOptions;
    expect(options.excludeCredentials?.map((c) => c.id)).toEqual([kept.credentialId]);
    const { res: login } = await passkeyLogin(passkey);
    expect([login.status, login.body]).toEqual([401, FAILED]);
    expect((await passkeyLogin(kept)).res.status).toBe(200);
    expect((await eventsOf(id, ['passkey_removed'])).map((e) => e.detail)).toEqual([{ passkeyId: Number(view.id) }]);
  });

  it('caps the passkeys of an account at PASSKEYS_PER_USER_MAX: at the options, and at a verify that raced past them', async () => {
    const { visitor: owner, username } = await registered();
    const other = new Visitor(app, nextIp());
    expect((await other.post('/api/user/login/', { account: username, password: PASSWORD })).status).toBe(200);
    for (let i = 0; i < PER_USER_MAX - 1; i++) await enrol(owner);
    // A ceremony started with one place left, which another session then takes.
    const raced = (await registerOptions(other)).body.data as PasskeyCreationOptions;
    await enrol(owner);
    const LIMIT = { errno: Code.DATAEXIST, errmsg: en.passkeys.limit(PER_USER_MAX), data: null };
    const late = await registerVerify(
      other,
      new SoftPasskey({ origin: ORIGIN, rpId: RP_ID, userHandle: raced.user.id }).attestation(raced),
    );
    expect([late.status, late.body]).toEqual([409, LIMIT]);
    const refused = await registerOptions(owner);
    expect([refused.status, refused.body]).toEqual([409, LIMIT]);
    expect(await list(owner)).toHaveLength(PER_USER_MAX);
  });

  it('holds the cap when enrolments from several sessions race', async () => {
    const { username } = await registered();
    const sessions = await Promise.all(
      Array.from({ length: PER_USER_MAX + 2 }, async () => {
        const visitor = new Visitor(app, nextIp());
        expect((await visitor.post('/api/user/login/', { account: username, password: PASSWORD })).status).toBe(200);
        const creation = (await registerOptions(visitor)).body.data as PasskeyCreationOptions;
        return {
          visitor,
          body: new SoftPasskey({ origin: ORIGIN, rpId: RP_ID, userHandle: creation.user.id }).attestation(creation),
        };
      }),
    );
    const answers = await Promise.all(sessions.map(({ visitor, body }) => registerVerify(visitor, body)));
    expect(answers.filter((r) => r.status === 200)).toHaveLength(PER_USER_MAX);
    expect(answers.filter((r) => r.status === 409).map((r) => r.body.errmsg)).toEqual([
      en.passkeys.limit(PER_USER_MAX),
      en.passkeys.limit(PER_USER_MAX),
    ]);
    expect(await list(sessions[0]?.visitor as Visitor)).toHaveLength(PER_USER_MAX);
  });
});

describe('malformed bodies', () => {
  /** JSON of every shape that is not a credential's: each must be a 400 PARAMERR before any check. */
  function malformed(
    valid: { id: string; rawId: string; type: string; response: Record<string, unknown> },
    kind: 'attestation' | 'assertion',
  ): unknown[] {
    const { response } = valid;
    const own =
      kind === 'attestation'
        ? [
            { ...valid, response: { ...response, attestationObject: undefined } },
            { ...valid, response: { ...response, attestationObject: 42 } },
            { ...valid, response: { ...response, publicKeyAlgorithm: 'ES256' } },
            { ...valid, response: { ...response, publicKeyAlgorithm: 1.5 } },
            { ...valid, response: { ...response, transports: 'usb' } },
            { ...valid, response: { ...response, transports: Array(17).fill('usb') } },
            { ...valid, response: { ...response, transports: ['x'.repeat(33)] } },
          ]
        : [
            { ...valid, response: { ...response, authenticatorData: undefined } },
            { ...valid, response: { ...response, signature: undefined } },
            { ...valid, response: { ...response, signature: ['x'] } },
            { ...valid, response: { ...response, userHandle: 42 } },
            { ...valid, response: { ...response, userHandle: 'not base64url!' } },
            { ...valid, response: { ...response, userHandle: 'A'.repeat(513) } },
          ];
    return [
      [],
      [valid],
      'a string',
      42,
      true,
      {},
      { ...valid, id: undefined },
      { ...valid, id: 42 },
      { ...valid, id: ['a'] },
      { ...valid, id: 'not base64url!' },
      { ...valid, id: 'x'.repeat(1401) },
      { ...valid, rawId: { a: 1 } },
      { ...valid, type: 'password' },
      { ...valid, type: null },
      { ...valid, response: undefined },
      { ...valid, response: null },
      { ...valid, response: [] },
      { ...valid, response: 'response' },
      { ...valid, response: { ...response, clientDataJSON: undefined } },
      { ...valid, response: { ...response, clientDataJSON: 42 } },
      { ...valid, response: { ...response, clientDataJSON: 'eyJ0eXBlIjoid2ViYXV0aG4uZ2V0In0=!' } },
      { ...valid, response: { ...response, clientDataJSON: '' } },
      { ...valid, response: { ...response, clientDataJSON: 'A'.repeat(8193) } },
      { ...valid, clientExtensionResults: 'none' },
      { ...valid, clientExtensionResults: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, i])) },
      { ...valid, authenticatorAttachment: 'usb-stick' },
      ...own,
    ];
  }
  const RAW = [
    '{"id": "AAAA", "rawId": "AAAA", "type": "public-key", "__proto__": {"isAdmin": true}, "response": {}}',
    '{"id": "AAAA", "rawId": "AAAA", "type": "public-key", "constructor": {"prototype": {"x": 1}}, "response": {}}',
    '{"id": "AAAA", ',
    'null',
    '',
  ];

  async function expectParamErr(res: Awaited<ReturnType<Visitor['request']>>, what: string) {
    expect(res.status, what).toBeGreaterThanOrEqual(400);
    expect(res.status, what).toBeLessThan(500);
    expect(res.body.errno, what).toBe(Code.PARAMERR);
    expect(typeof res.body.errmsg, what).toBe('string');
  }

  it('refuses each shape at both verify routes with a 4xx PARAMERR envelope, never a 500, and stores nothing', async () => {
    const { visitor: owner, id } = await registered();
    const { passkey } = await enrol(owner);
    const creation = (await registerOptions(owner)).body.data as PasskeyCreationOptions;
    const fresh = new SoftPasskey({ origin: ORIGIN, rpId: RP_ID, userHandle: creation.user.id });
    const attestation = fresh.attestation(creation);
    const assertion = passkey.assertion({ challenge: 'AAAA' });
    const browser = new Visitor(app, nextIp());
    await loginOptions(browser);
    for (const [url, visitor, valid, kind] of [
      ['/api/passkeys/register/verify/', owner, attestation, 'attestation'],
      ['/api/passkeys/login/verify/', browser, assertion, 'assertion'],
    ] as const) {
      for (const body of malformed(valid, kind)) {
        const what = `${url} ${JSON.stringify(body)}`;
        const res = await visitor.request({
          method: 'POST',
          url,
          payload: JSON.stringify(body),
          headers: { 'content-type': 'application/json' },
        });
        await expectParamErr(res, what);
        expect(res.status, what).toBe(400);
      }
      for (const raw of RAW) {
        const res = await visitor.request({ method: 'POST', url, payload: raw, headers: { 'content-type': 'application/json' } });
        await expectParamErr(res, `${url} ${raw}`);
      }
      const huge = await visitor.request({
        method: 'POST',
        url,
        payload: JSON.stringify({ ...valid, response: { ...valid.response, attestationObject: 'A'.repeat(60_000) } }),
        headers: { 'content-type': 'application/json' },
      });
      await expectParamErr(huge, `${url} huge`);
    }
    // The schema refused them before any challenge was taken: the ceremonies still stand.
    expect((await registerVerify(owner, attestation)).status).toBe(200);
    expect((await passkeyLogin(passkey)).res.status).toBe(200);
    expect(await list(owner)).toHaveLength(2);
    expect(await eventsOf(id, ['login_failed'])).toEqual([]);
  });

  it('answers well-formed nonsense (base64url that is not CBOR, JSON or a signature) as a failed verification', async () => {
    const { visitor: owner } = await registered();
    const { passkey } = await enrol(owner);
    const creation = (await registerOptions(owner)).body.data as PasskeyCreationOptions;
    const fresh = new SoftPasskey({ origin: ORIGIN, rpId: RP_ID, userHandle: creation.user.id }).attestation(creation);
    const nonsense = await registerVerify(owner, {
      ...fresh,
      response: { ...fresh.response, attestationObject: 'AAAAAAAA', clientDataJSON: 'bm90IGpzb24' },
    });
    expect([nonsense.status, nonsense.body]).toEqual([400, { errno: Code.PARAMERR, errmsg: en.passkeys.failed, data: null }]);
    const browser = new Visitor(app, nextIp());
    const options = (await loginOptions(browser)).body.data as PasskeyRequestOptions;
    const assertion = passkey.assertion(options);
    const bad = await loginVerify(browser, { ...assertion, response: { ...assertion.response, authenticatorData: 'AAAA' } });
    expect([bad.status, bad.body]).toEqual([401, FAILED]);
  });
});

describe('with the store failing at the challenge', () => {
  it('answers 503 and writes nothing; the ceremony still stands once the store is back', async () => {
    const { visitor: owner, id } = await registered();
    const creation = (await registerOptions(owner)).body.data as PasskeyCreationOptions;
    const body = new SoftPasskey({ origin: ORIGIN, rpId: RP_ID, userHandle: creation.user.id }).attestation(creation);
    const { passkey } = await enrol(owner);
    const first = (await registerOptions(owner)).body.data as PasskeyCreationOptions;
    const later = new SoftPasskey({ origin: ORIGIN, rpId: RP_ID, userHandle: first.user.id }).attestation(first);
    const browser = new Visitor(app, nextIp());
    const assertion = passkey.assertion((await loginOptions(browser)).body.data as PasskeyRequestOptions);
    faults.take = true;
    try {
      for (const res of [await registerVerify(owner, later), await loginVerify(browser, assertion)]) {
        expect([res.status, res.body.errno, res.body.errmsg]).toEqual([503, Code.SERVERERR, en.service.storeDown]);
      }
    } finally {
      faults.take = false;
    }
    expect(await list(owner)).toHaveLength(1);
    expect(await eventsOf(id, ['passkey_added', 'login_failed', 'login_ok'])).toHaveLength(1); // the enrolment's
    expect((await registerVerify(owner, later)).status).toBe(200);
    expect((await loginVerify(browser, assertion)).status).toBe(200);
    expect(body.id).not.toBe(later.id);
  });
});

describe('with the rest of the account', () => {
  it('a password reset keeps the passkeys (listed after it, and they still log in)', async () => {
    const { visitor: owner, mobile } = await registered();
    const { passkey, view } = await enrol(owner);
    clock.advance(61_000); // past the number's SMS cooldown
    const browser = new Visitor(app, nextIp());
    await browser.get('/api/image_code/');
    expect((await browser.post('/api/sms_code/', { mobile, captcha: 'ABCD', purpose: 'reset' })).status).toBe(200);
    const code = await vi.waitFor(
      async () => {
        const res = await app.inject({ method: 'GET', url: `/api/__dev/sms/${mobile}/` });
        const message = res.json().data as { purpose: string; code: string } | null;
        expect(message?.purpose).toBe('reset');
        return message?.code ?? '';
      },
      { timeout: 5000, interval: 20 },
    );
    const NEW = 'a brand new passphrase';
    const reset = await browser.post('/api/password/reset/', { mobile, sms_code: code, password: NEW, password_repeat: NEW });
    expect(reset.status).toBe(200);
    expect((await owner.get('/api/user/me/')).status).toBe(401); // the reset ended its sessions
    const { res, visitor } = await passkeyLogin(passkey);
    expect(res.status).toBe(200);
    expect((await list(visitor)).map((p) => p.id)).toEqual([view.id]);
  });

  it('adding a passkey sends the security notice to the verified email address', async () => {
    const { visitor: owner, id } = await registered();
    const email = `pk.${id}@example.com`;
    await app.db.prisma.user.update({ where: { id }, data: { email, emailActive: true } });
    await enrol(owner);
    const mail = await vi.waitFor(
      async () => {
        const res = await app.inject({ method: 'GET', url: `/api/__dev/mail/${encodeURIComponent(email)}/` });
        expect(res.statusCode).toBe(200);
        return res.json().data as { text: string };
      },
      { timeout: 5000, interval: 20 },
    );
    expect(mail.text).toContain(en.mail.passkeyAdded);
  });
});
