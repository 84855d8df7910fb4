// Nothing half-done: a backend failing at one exact step of a flow, through the store and
// repository seams of buildApp (the real PostgreSQL and Redis underneath), and the end state
// checked in both: the system is as if the request never happened, or the answer says truly
// what did happen.
import { AUTH_MESSAGES, text, USER_MESSAGES } from '@register/contracts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDigest } from '../src/lib/digest.ts';
import { createCaptchaService } from '../src/modules/captcha/captcha.service.ts';
import { createSmsService } from '../src/modules/sms/sms.service.ts';
import { createPasswordHasher } from '../src/modules/users/passwords.ts';
import { createUsersRepository } from '../src/modules/users/users.repository.ts';
import { createUsersService } from '../src/modules/users/users.service.ts';
import type { Seams } from '../src/services.ts';
import type { KvStore } from '../src/store/kv-store.ts';
import {
  buildTestApp,
  eventsSpy,
  expiringDeadline,
  PASSWORD,
  randomMobile,
  randomUsername,
  readOutbox,
  Visitor,
} from './helper.ts';

/** Backend failures the seams inject; each fires once, at the step the test names. */
const faults = {
  createFails: false,
  createAnswerLost: false,
  afterCreate: null as null | (() => void),
  storeDownAfterCreate: false,
  outboxSetFails: 0,
  unspendFails: 0,
};
const down = () => Object.assign(new Error('injected: backend down'), { code: 'ECONNREFUSED' });

const seams: Seams = {
  usersRepository: (repository) => ({
    ...repository,
    async create(user) {
      if (faults.createFails) {
        faults.createFails = false;
        const { AppError } = await import('../src/errors.ts');
        throw new AppError('4001', { message: text.service.databaseDown, cause: down() });
      }
      const created = await repository.create(user);
      faults.afterCreate?.();
      if (faults.createAnswerLost) {
        faults.createAnswerLost = false;
        const { AppError } = await import('../src/errors.ts');
        throw new AppError('4001', { message: text.service.databaseDown, cause: down() });
      }
      return created;
    },
  }),
  store: (store): KvStore => {
    const failing = async <T>(run: () => Promise<T>): Promise<T> => {
      if (faults.storeDownAfterCreate) {
        const { AppError } = await import('../src/errors.ts');
        throw new AppError('4500', { status: 503, message: text.service.storeDown });
      }
      return run();
    };
    return {
      ...store,
      set: (key, value, ttl) => {
        if (key.startsWith('outbox:') && faults.outboxSetFails > 0) {
          faults.outboxSetFails--;
          return import('../src/errors.ts').then(({ AppError }) => {
            throw new AppError('4500', { status: 503, message: text.service.storeDown });
          });
        }
        return failing(() => store.set(key, value, ttl));
      },
      delete: (...keys) => failing(() => store.delete(...keys)),
      consumeCode: (key, digest) => failing(() => store.consumeCode(key, digest)),
      unspend: (keys, claim, code) => {
        if (faults.unspendFails > 0) {
          faults.unspendFails--;
          return Promise.reject(down());
        }
        return store.unspend(keys, claim, code);
      },
    };
  },
};

let app: FastifyInstance;
beforeAll(async () => {
  app = await buildTestApp({}, { seams });
});
afterAll(() => app.close());

const form = (mobile: string, code: string, username = randomUsername('Half')) => ({
  username,
  password: PASSWORD,
  password_repeat: PASSWORD,
  mobile,
  sms_code: code,
});
const usersWith = (mobile: string) => app.db.prisma.user.count({ where: { mobile } });

describe('registration', () => {
  it('PostgreSQL failing at the insert: no user, and the same code works on the retry', async () => {
    const visitor = new Visitor(app);
    const mobile = randomMobile();
    await visitor.requestSmsCode(mobile);
    const code = await readOutbox(app, mobile);
    faults.createFails = true;
    const failed = await visitor.post('/api/user/register/', form(mobile, code));
    expect(failed.status).toBe(503);
    expect(await usersWith(mobile)).toBe(0);
    expect((await visitor.post('/api/user/register/', form(mobile, code))).status).toBe(200);
    expect(await usersWith(mobile)).toBe(1);
  });

  it('PostgreSQL committing the insert but its answer lost: the repeat of that registration answers success', async () => {
    const visitor = new Visitor(app);
    const mobile = randomMobile();
    const username = randomUsername('Lost');
    await visitor.requestSmsCode(mobile);
    const code = await readOutbox(app, mobile);
    faults.createAnswerLost = true;
    expect((await visitor.post('/api/user/register/', form(mobile, code, username))).status).toBe(503);
    expect(await usersWith(mobile)).toBe(1); // it was created all the same
    // The same mobile and code with another password is not that registration: the usual 409.
    const other = await visitor.post('/api/user/register/', {
      ...form(mobile, code, username),
      password: 'another fine passphrase',
      password_repeat: 'another fine passphrase',
    });
    expect(other.status).toBe(409);
    const repeat = await visitor.post('/api/user/register/', form(mobile, code, username));
    expect(repeat).toMatchObject({ status: 200, body: { data: { username, mobile, loggedIn: true } } });
    expect(await usersWith(mobile)).toBe(1);
  });

  it('Redis failing once the user row is in: the answer is a success, loggedIn: false, and login works', async () => {
    const visitor = new Visitor(app);
    const mobile = randomMobile();
    const username = randomUsername('Made');
    await visitor.requestSmsCode(mobile);
    const code = await readOutbox(app, mobile);
    faults.afterCreate = () => {
      faults.storeDownAfterCreate = true;
    };
    try {
      const res = await visitor.post('/api/user/register/', form(mobile, code, username));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        errno: '0',
        errmsg: USER_MESSAGES.registeredNotLoggedIn,
        data: { loggedIn: false, username },
      });
    } finally {
      faults.afterCreate = null;
      faults.storeDownAfterCreate = false;
    }
    expect(await usersWith(mobile)).toBe(1);
    expect((await visitor.get('/api/user/me/')).status).toBe(401);
    const login = await new Visitor(app).post('/api/user/login/', { account: username, password: PASSWORD });
    expect(login.body.errmsg).toBe(AUTH_MESSAGES.loggedIn);
  });

  it('of 10 racing registrations for one username, the 9 losers keep their codes', async () => {
    const username = randomUsername('Race');
    const visitors = Array.from({ length: 10 }, () => new Visitor(app));
    const mobiles = visitors.map(() => randomMobile());
    await Promise.all(visitors.map((v, i) => v.requestSmsCode(mobiles[i] as string)));
    const codes = await Promise.all(mobiles.map((m) => readOutbox(app, m)));
    const results = await Promise.all(
      visitors.map((v, i) => v.post('/api/user/register/', form(mobiles[i] as string, codes[i] as string, username))),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, ...Array(9).fill(409)]);
    const losers = visitors.filter((_, i) => results[i]?.status === 409);
    const retries = await Promise.all(
      losers.map((v) => {
        const i = visitors.indexOf(v);
        return v.post('/api/user/register/', form(mobiles[i] as string, codes[i] as string));
      }),
    );
    expect(retries.map((r) => r.status)).toEqual(Array(9).fill(200));
  });

  it('past the deadline before the insert, nothing is written', async () => {
    // The deadline passes while the taken-name check runs; the service checks it before the
    // insert. Service-level, so the moment is exact rather than timed.
    const deadline = expiringDeadline();
    const repository = createUsersRepository(app.db);
    let inserts = 0;
    const users = createUsersService({
      users: {
        ...repository,
        countByMobile: async (mobile) => {
          deadline.expire();
          return repository.countByMobile(mobile);
        },
        create: async (user) => {
          inserts++;
          return repository.create(user);
        },
      },
      sms: { checkCode: async (_m, _c) => ({ key: 'k', digest: 'd' }), useCode: async () => true },
      passwords: createPasswordHasher(app.config.argon2),
      events: eventsSpy(),
      log: app.log,
      storeStepMs: app.config.storeStepMs,
    });
    const mobile = randomMobile();
    await expect(users.register(form(mobile, '123456'), { client: '10.0.0.1', sessionId: 's' }, deadline)).rejects.toMatchObject({
      status: 503,
      message: 'The service is slow right now, please retry.',
    });
    expect(inserts).toBe(0);
    expect(await usersWith(mobile)).toBe(0);
  });

  it('once the row exists, a code deletion that never answers holds the answer up one store step at most', async () => {
    const repository = createUsersRepository(app.db);
    const users = createUsersService({
      users: repository,
      sms: { checkCode: async () => ({ key: 'k', digest: 'd' }), useCode: () => new Promise<boolean>(() => {}) },
      passwords: createPasswordHasher(app.config.argon2),
      events: eventsSpy(),
      log: app.log,
      storeStepMs: 50,
    });
    const mobile = randomMobile();
    const user = await users.register(form(mobile, '123456'), { client: '10.0.0.1', sessionId: 's' });
    expect(user).toMatchObject({ mobile });
    expect(await usersWith(mobile)).toBe(1);
  });
});

describe('SMS codes', () => {
  it('the store failing as the text is handed over: nothing is left claimed, even when the first undo fails', async () => {
    const visitor = new Visitor(app);
    const mobile = randomMobile();
    faults.outboxSetFails = 1;
    faults.unspendFails = 1;
    const failed = await visitor.requestSmsCode(mobile);
    expect(failed.status).toBe(503);
    // The undo is retried in the background: the number is soon free again, with no text sent.
    await vi.waitFor(async () => expect(await app.store.get(`{sms}:cooldown:${mobile}`)).toBeNull(), { timeout: 3000 });
    expect((await visitor.requestSmsCode(mobile)).status).toBe(200);
  });

  it('past the deadline before the claim, nothing is claimed and no text leaves', async () => {
    const deadline = expiringDeadline();
    const events = eventsSpy();
    const digest = createDigest(app.config.codeSecret);
    const captcha = createCaptchaService({ store: app.store, digest, config: app.config.captcha, events });
    const sent: string[] = [];
    const sms = createSmsService({
      store: app.store,
      digest,
      captcha,
      gateway: { name: 'outbox', send: async ({ mobile }) => void sent.push(mobile) },
      isMobileRegistered: async () => {
        deadline.expire(); // the deadline passes during the last check before the claim
        return false;
      },
      events,
      clock: Date.now,
      config: app.config.sms,
      log: app.log,
    });
    const mobile = randomMobile();
    await captcha.issue('deadline-session');
    await expect(
      sms.sendCode({ sessionId: 'deadline-session', mobile, captcha: 'ABCD', client: '10.0.0.2', deadline }),
    ).rejects.toMatchObject({ status: 503 });
    expect(sent).toEqual([]);
    expect(await app.store.get(`{sms}:cooldown:${mobile}`)).toBeNull();
  });
});
