// Attacks on passkeys and faults at each of their steps, on the real PostgreSQL and Redis with
// the software authenticator (soft-authenticator.ts): challenges used across sessions,
// ceremonies and accounts, options asked twice, racing logins on one counter, cross-site
// requests and wrong methods, a backend failing at the challenge, the insert, the counter's
// update, the session's save and the list's changes (the end state checked in both, and a retry
// that works), and the request deadline passing before a write.
import {
  Code,
  en,
  type PasskeyCreationOptions,
  type PasskeyRequestOptions,
  type PasskeyView,
  text,
  type UserView,
} from '@register/contracts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../src/errors.ts';
import { createDigest } from '../src/lib/digest.ts';
import { createDeviceTokens } from '../src/modules/auth/device-tokens.ts';
import { createLoginThrottle } from '../src/modules/auth/login-throttle.ts';
import { CHALLENGE_KEY_PREFIX, createChallenges } from '../src/modules/passkeys/challenges.ts';
import { createPasskeysRepository } from '../src/modules/passkeys/passkeys.repository.ts';
import { createPasskeysService } from '../src/modules/passkeys/passkeys.service.ts';
import type { EventKind } from '../src/modules/security-events/events.service.ts';
import { createUsersRepository } from '../src/modules/users/users.repository.ts';
import type { Seams } from '../src/services.ts';
import type { KvStore } from '../src/store/kv-store.ts';
import {
  buildTestApp,
  eventsSpy,
  expiringDeadline,
  manualClock,
  PASSWORD,
  randomMobile,
  randomUsername,
  Visitor,
} from './helper.ts';
import { SoftPasskey } from './soft-authenticator.ts';

const ORIGIN = 'http://localhost:5173';
const RP_ID = 'localhost';

const dbDown = () => new AppError(Code.DBERR, { message: text.service.databaseDown });
const storeDown = () => new AppError(Code.SERVERERR, { status: 503, message: text.service.storeDown });

/** Each fault fires once, at the step its name says. */
const faults = {
  challengeTake: false,
  sessionSave: false,
  create: false,
  createAnswerLost: false,
  recordUse: false,
  list: false,
  rename: false,
  remove: false,
};
const once = (name: keyof typeof faults) => {
  const on = faults[name];
  faults[name] = false;
  return on;
};
const seams: Seams = {
  store: (store): KvStore => ({
    ...store,
    take: (key) =>
      key.startsWith(CHALLENGE_KEY_PREFIX) && once('challengeTake') ? Promise.reject(storeDown()) : store.take(key),
    set: (key, value, ttl) =>
      key.startsWith('sess:') && once('sessionSave') ? Promise.reject(storeDown()) : store.set(key, value, ttl),
  }),
  passkeysRepository: (repository) => ({
    ...repository,
    async create(passkey, max) {
      if (once('create')) throw dbDown();
      const created = await repository.create(passkey, max);
      if (once('createAnswerLost')) throw dbDown();
      return created;
    },
    recordUse: (id, use) => (once('recordUse') ? Promise.reject(dbDown()) : repository.recordUse(id, use)),
    listByUser: (userId) => (once('list') ? Promise.reject(dbDown()) : repository.listByUser(userId)),
    rename: (userId, id, name) => (once('rename') ? Promise.reject(dbDown()) : repository.rename(userId, id, name)),
    remove: (userId, id) => (once('remove') ? Promise.reject(dbDown()) : repository.remove(userId, id)),
  }),
};

const clock = manualClock();
let app: FastifyInstance;
beforeAll(async () => {
  app = await buildTestApp({ WEBAUTHN_RP_ID: RP_ID, WEBAUTHN_ORIGINS: ORIGIN, LOGIN_MAX_FAILURES: '3' }, { clock, seams });
});
afterAll(() => app.close());

let ips = 0;
// An address range no other test file uses.
const nextIp = () => `100.78.0.${++ips}`;

async function registered(visitor = new Visitor(app, nextIp())) {
  const username = randomUsername('Pa');
  const mobile = randomMobile();
  const res = await visitor.register(username, mobile);
  expect(res.status).toBe(200);
  return { visitor, username, mobile, id: res.body.data?.id as number };
}
const registerOptions = async (visitor: Visitor) =>
  (await visitor.post<PasskeyCreationOptions>('/api/passkeys/register/options/')).body.data as PasskeyCreationOptions;
const registerVerify = (visitor: Visitor, body: object) => visitor.post<PasskeyView>('/api/passkeys/register/verify/', body);
const loginOptions = async (visitor: Visitor) =>
  (await visitor.post<PasskeyRequestOptions>('/api/passkeys/login/options/')).body.data as PasskeyRequestOptions;
const loginVerify = (visitor: Visitor, body: object) => visitor.post<UserView>('/api/passkeys/login/verify/', body);
const rowsOf = (userId: number) => app.db.prisma.passkey.findMany({ where: { userId }, orderBy: { id: 'asc' } });
const soft = (creation: PasskeyCreationOptions) => new SoftPasskey({ origin: ORIGIN, rpId: RP_ID, userHandle: creation.user.id });

async function enrol(visitor: Visitor) {
  const creation = await registerOptions(visitor);
  const passkey = soft(creation);
  const res = await registerVerify(visitor, passkey.attestation(creation));
  expect(res.status).toBe(200);
  return { passkey, view: res.body.data as PasskeyView };
}
async function eventsOf(userId: number, kinds: EventKind[]) {
  await app.events.flush();
  return app.db.prisma.securityEvent.findMany({ where: { userId, kind: { in: kinds } }, orderBy: { id: 'asc' } });
}
const sessionsOf = async (userId: number) => (await app.store.members(`sess-user:${userId}`, clock())).length;

describe('challenge binding', () => {
  it('options asked twice: the second replaces the first, whose response then fails', async () => {
    const { visitor, id } = await registered();
    const first = await registerOptions(visitor);
    const second = await registerOptions(visitor);
    const passkey = soft(first);
    const stale = await registerVerify(visitor, passkey.attestation(first));
    expect([stale.status, stale.body.errmsg]).toEqual([400, en.passkeys.failed]);
    expect(await rowsOf(id)).toEqual([]);
    // That failure used the ceremony up: the second options' response finds none either.
    expect((await registerVerify(visitor, soft(second).attestation(second))).body.errmsg).toBe(en.passkeys.expired);

    const { passkey: enrolled } = await enrol(visitor);
    const browser = new Visitor(app, nextIp());
    const a = await loginOptions(browser);
    const b = await loginOptions(browser);
    expect(a.challenge).not.toBe(b.challenge);
    expect((await loginVerify(browser, enrolled.assertion(a))).status).toBe(401);
    const c = await loginOptions(browser);
    expect((await loginVerify(browser, enrolled.assertion(c))).status).toBe(200);
  });

  it('a register challenge is no login challenge, and a login challenge no register one', async () => {
    const { visitor } = await registered();
    const { passkey } = await enrol(visitor);
    const creation = await registerOptions(visitor);
    // The enrolment's challenge signed as a login, in the session that asked for it.
    const asLogin = await loginVerify(visitor, passkey.assertion({ challenge: creation.challenge }));
    expect([asLogin.status, asLogin.body.errmsg]).toEqual([400, en.passkeys.expired]);
    // ...and the enrolment's ceremony still stands.
    expect((await registerVerify(visitor, soft(creation).attestation(creation))).status).toBe(200);

    const request = await loginOptions(visitor);
    const asEnrolment = await registerVerify(visitor, soft(creation).attestation({ ...creation, challenge: request.challenge }));
    expect([asEnrolment.status, asEnrolment.body.errmsg]).toEqual([400, en.passkeys.expired]);
  });

  it("X's enrolment, finished after the browser logged out and in as Y, stores nothing for either", async () => {
    const x = await registered();
    const y = await registered(new Visitor(app, nextIp()));
    const creation = await registerOptions(x.visitor);
    expect((await x.visitor.post('/api/user/logout/')).status).toBe(200);
    expect((await x.visitor.post('/api/user/login/', { account: y.username, password: PASSWORD })).status).toBe(200);
    const res = await registerVerify(x.visitor, soft(creation).attestation(creation));
    expect([res.status, res.body.errmsg]).toEqual([400, en.passkeys.expired]);
    expect([...(await rowsOf(x.id)), ...(await rowsOf(y.id))]).toEqual([]);
  });

  it('of two racing logins signing one counter value from two sessions (a clone), one wins', async () => {
    const { visitor } = await registered();
    const { passkey } = await enrol(visitor);
    const one = new Visitor(app, nextIp());
    const two = new Visitor(app, nextIp());
    const [a, b] = [await loginOptions(one), await loginOptions(two)];
    const answers = await Promise.all([
      loginVerify(one, passkey.assertion(a, { counter: 7 })),
      loginVerify(two, passkey.assertion(b, { counter: 7 })),
    ]);
    expect(answers.map((r) => r.status).sort()).toEqual([200, 401]);
  });
});

describe('cross-site requests and methods', () => {
  it('refuses every state-changing passkey route from a foreign origin, or a browser sending none: 403', async () => {
    const { visitor } = await registered();
    const { view } = await enrol(visitor);
    const targets = [
      ['POST', '/api/passkeys/register/options/'],
      ['POST', '/api/passkeys/register/verify/'],
      ['POST', '/api/passkeys/login/options/'],
      ['POST', '/api/passkeys/login/verify/'],
      ['PATCH', `/api/user/passkeys/${view.id}/`],
      ['DELETE', `/api/user/passkeys/${view.id}/`],
    ] as const;
    for (const headers of [{ origin: 'https://evil.example' }, { 'sec-fetch-site': 'cross-site' }, { origin: 'null' }]) {
      for (const [method, url] of targets) {
        const res = await visitor.request({ method, url, headers, payload: { name: 'x' } });
        expect([res.status, res.body.errno], `${method} ${url} ${JSON.stringify(headers)}`).toEqual([403, Code.FORBIDDEN]);
      }
    }
    expect((await rowsOf((await visitor.get<UserView>('/api/user/me/')).body.data?.id as number)).map((r) => r.name)).toEqual([
      view.name,
    ]);
  });

  it('answers a wrong method with 405', async () => {
    const visitor = new Visitor(app, nextIp());
    for (const [method, url] of [
      ['GET', '/api/passkeys/login/options/'],
      ['PUT', '/api/passkeys/login/verify/'],
      ['GET', '/api/passkeys/register/verify/'],
      ['POST', '/api/user/passkeys/'],
      ['PUT', '/api/user/passkeys/1/'],
    ] as const) {
      const res = await visitor.request({ method, url });
      expect(res.status, `${method} ${url}`).toBe(405);
    }
  });
});

describe('a backend failing at one step', () => {
  it('the store failing at the challenge take: 503, nothing counted; a new ceremony works', async () => {
    const { visitor, id } = await registered();
    const { passkey } = await enrol(visitor);
    const browser = new Visitor(app, nextIp());
    const options = await loginOptions(browser);
    faults.challengeTake = true;
    const res = await loginVerify(browser, passkey.assertion(options));
    expect([res.status, res.body.errmsg]).toEqual([503, en.service.storeDown]);
    expect(await eventsOf(id, ['login_failed', 'login_ok'])).toEqual([]);
    expect((await loginVerify(browser, passkey.assertion(await loginOptions(browser)))).status).toBe(200);
  });

  it('PostgreSQL failing at the insert: 503, no row, no event; a new ceremony enrols', async () => {
    const { visitor, id } = await registered();
    const creation = await registerOptions(visitor);
    faults.create = true;
    const res = await registerVerify(visitor, soft(creation).attestation(creation));
    expect([res.status, res.body.errno]).toEqual([503, Code.DBERR]);
    expect(await rowsOf(id)).toEqual([]);
    expect(await eventsOf(id, ['passkey_added'])).toEqual([]);
    await enrol(visitor);
    expect(await rowsOf(id)).toHaveLength(1);
  });

  it('PostgreSQL committing the insert but its answer lost: the passkey is there and logs in', async () => {
    const { visitor, id } = await registered();
    const creation = await registerOptions(visitor);
    const passkey = soft(creation);
    faults.createAnswerLost = true;
    const res = await registerVerify(visitor, passkey.attestation(creation));
    expect([res.status, res.body.errno]).toEqual([503, Code.DBERR]);
    // The row is there (the answer was lost, not the commit); it is listed and works, and an
    // authenticator that enrols it again is told it is stored already.
    expect(await rowsOf(id)).toHaveLength(1);
    expect((await loginVerify(visitor, passkey.assertion(await loginOptions(visitor)))).status).toBe(200);
    const again = await registerOptions(visitor);
    expect((await registerVerify(visitor, passkey.attestation(again))).status).toBe(409);
  });

  it('PostgreSQL failing at the counter update: 503, no session, no login_ok; the next login works', async () => {
    const { visitor, id } = await registered();
    const { passkey } = await enrol(visitor);
    const browser = new Visitor(app, nextIp());
    const sessions = await sessionsOf(id);
    faults.recordUse = true;
    const res = await loginVerify(browser, passkey.assertion(await loginOptions(browser)));
    expect([res.status, res.body.errno]).toEqual([503, Code.DBERR]);
    expect((await browser.get('/api/user/session/')).body.data).toBeNull();
    expect(await sessionsOf(id)).toBe(sessions);
    expect(await eventsOf(id, ['login_ok'])).toEqual([]);
    const [row] = await rowsOf(id);
    expect([row?.counter, row?.lastUsedAt]).toEqual([0n, null]);
    expect((await loginVerify(browser, passkey.assertion(await loginOptions(browser)))).status).toBe(200);
  });

  it('the store failing at the session save after a verified login: 503, no session; the next login works', async () => {
    const { visitor, id } = await registered();
    const { passkey } = await enrol(visitor);
    const browser = new Visitor(app, nextIp());
    const options = await loginOptions(browser);
    faults.sessionSave = true;
    const res = await loginVerify(browser, passkey.assertion(options));
    expect([res.status, res.body.errmsg]).toEqual([503, en.service.storeDown]);
    expect((await browser.get('/api/user/session/')).body.data).toBeNull();
    expect(browser.cookies.has('device')).toBe(false);
    // No login happened: none is recorded (the counter's step stands: the authenticator's count moved on too).
    expect(await eventsOf(id, ['login_ok'])).toEqual([]);
    const again = await loginVerify(browser, passkey.assertion(await loginOptions(browser)));
    expect(again.status).toBe(200);
    expect((await browser.get<UserView>('/api/user/me/')).body.data?.id).toBe(id);
  });

  it('PostgreSQL failing at the list, the rename and the delete: 503 DBERR, nothing changed; the retry works', async () => {
    const { visitor, id } = await registered();
    const { view } = await enrol(visitor);
    faults.list = true;
    expect((await visitor.get('/api/user/passkeys/')).body.errno).toBe(Code.DBERR);
    faults.rename = true;
    const renamed = await visitor.request({ method: 'PATCH', url: `/api/user/passkeys/${view.id}/`, payload: { name: 'New' } });
    expect([renamed.status, renamed.body.errno]).toEqual([503, Code.DBERR]);
    faults.remove = true;
    const removed = await visitor.request({ method: 'DELETE', url: `/api/user/passkeys/${view.id}/` });
    expect([removed.status, removed.body.errno]).toEqual([503, Code.DBERR]);
    expect((await rowsOf(id)).map((r) => r.name)).toEqual([view.name]);
    expect(await eventsOf(id, ['passkey_removed'])).toEqual([]);
    expect(
      (await visitor.request({ method: 'PATCH', url: `/api/user/passkeys/${view.id}/`, payload: { name: 'New' } })).status,
    ).toBe(200);
    expect((await visitor.request({ method: 'DELETE', url: `/api/user/passkeys/${view.id}/` })).status).toBe(200);
    expect(await rowsOf(id)).toEqual([]);
  });
});

describe('the device cookie', () => {
  it('a browser that logged in with the password is a known device at its first passkey login', async () => {
    const { visitor, username, id } = await registered();
    const { passkey } = await enrol(visitor);
    const browser = new Visitor(app, nextIp());
    const login = await browser.post('/api/user/login/', { account: username, password: PASSWORD });
    expect(login.status).toBe(200);
    // A browser sends a cookie only to its path: the passkey login must have a copy of its own.
    const cookies = (login.raw.cookies as { name: string; path?: string }[]).filter((c) => c.name === 'device');
    expect(cookies.map((c) => c.path).sort()).toEqual(['/api/passkeys/login', '/api/user/login']);
    expect((await loginVerify(browser, passkey.assertion(await loginOptions(browser)))).status).toBe(200);
    expect((await eventsOf(id, ['login_ok'])).at(-1)?.detail).toMatchObject({ knownDevice: true, method: 'passkey' });
  });
});

describe('past the request deadline (service-level, so the moment is exact)', () => {
  function service(deadlineAt: 'findByCredentialId' | 'rename') {
    const deadline = expiringDeadline();
    const repository = createPasskeysRepository(app.db);
    const writes: string[] = [];
    const users = createUsersRepository(app.db);
    const digest = createDigest(app.config.codeSecret);
    const passkeys = createPasskeysService({
      passkeys: {
        ...repository,
        findByCredentialId: async (credentialId) => {
          if (deadlineAt === 'findByCredentialId') deadline.expire();
          return repository.findByCredentialId(credentialId);
        },
        recordUse: async (id, use) => {
          writes.push('recordUse');
          return repository.recordUse(id, use);
        },
        rename: async (userId, id, name) => {
          writes.push('rename');
          return repository.rename(userId, id, name);
        },
      },
      users: {
        ...users,
        recordLogin: async (...args) => {
          writes.push('recordLogin');
          return users.recordLogin(...args);
        },
      },
      challenges: createChallenges({ store: app.store, digest, clock, ttlSeconds: 300 }),
      throttle: createLoginThrottle({ store: app.store, clock, config: app.config.login }),
      devices: createDeviceTokens({ digest, clock, ttlSeconds: 3600 }),
      events: eventsSpy(),
      digest,
      clock,
      log: app.log,
      config: app.config.webauthn,
    });
    return { passkeys, deadline, writes };
  }

  it('a passkey login whose deadline passed before its first write writes nothing', async () => {
    const { visitor, id } = await registered();
    const { passkey } = await enrol(visitor);
    const { passkeys, deadline, writes } = service('findByCredentialId');
    const requester = { client: nextIp(), sessionId: `s-${id}`, deadline };
    const options = await passkeys.loginOptions(requester);
    const body = passkey.assertion(options) as Parameters<typeof passkeys.login>[0];
    await expect(passkeys.login(body, { ...requester, deviceTokens: [] })).rejects.toMatchObject({
      status: 503,
      message: 'The service is slow right now, please retry.',
    });
    expect(writes).toEqual([]);
    expect((await rowsOf(id)).map((r) => r.lastUsedAt)).toEqual([null]);
  });

  it('a rename whose deadline passed writes nothing', async () => {
    const { visitor, id } = await registered();
    const { view } = await enrol(visitor);
    const { passkeys, deadline, writes } = service('rename');
    deadline.expire();
    const user = await createUsersRepository(app.db).findById(id);
    const renaming = passkeys.rename(user as NonNullable<typeof user>, view.id, 'Late', {
      client: 'c',
      sessionId: 's',
      deadline,
    });
    await expect(renaming).rejects.toMatchObject({ status: 503 });
    expect(writes).toEqual([]);
  });
});
