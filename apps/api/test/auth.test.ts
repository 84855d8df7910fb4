import { AUTH_MESSAGES } from '@register/contracts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, PASSWORD, randomMobile, randomUsername, Visitor } from './helper.ts';

let app: FastifyInstance;
let username: string;
let mobile: string;
beforeAll(async () => {
  app = await buildTestApp();
  username = randomUsername('Login');
  mobile = randomMobile();
  await new Visitor(app).register(username, mobile);
});
afterAll(() => app.close());

describe('POST /api/user/login/', () => {
  it.each([
    ['the username in any case', () => username.toUpperCase()],
    ['the mobile', () => mobile],
    ['the mobile with +86', () => `+86 ${mobile}`],
  ])('logs in with %s, rotating the session id', async (_, account) => {
    const visitor = new Visitor(app);
    await visitor.get('/api/image_code/');
    const before = visitor.cookies.get('sid');
    const res = await visitor.post('/api/user/login/', { account: account(), password: PASSWORD });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ username, mobile });
    expect(visitor.cookies.get('sid')).not.toBe(before);
    expect((await visitor.get('/api/user/me/')).body.data).toMatchObject({ username });
  });

  it('answers a wrong password and an unknown account identically', async () => {
    const wrongPassword = await new Visitor(app, '198.51.100.1').post('/api/user/login/', {
      account: username,
      password: 'wrong password',
    });
    const unknown = await new Visitor(app, '198.51.100.1').post('/api/user/login/', {
      account: randomUsername(),
      password: PASSWORD,
    });
    expect(wrongPassword.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrongPassword.body).toEqual(unknown.body);
    expect(wrongPassword.body).toEqual({ errno: '4102', errmsg: AUTH_MESSAGES.failed, data: null });
  });

  it('records the login time', async () => {
    await new Visitor(app).post('/api/user/login/', { account: username, password: PASSWORD });
    const row = await app.db.prisma.user.findUniqueOrThrow({ where: { mobile } });
    expect(row.lastLogin?.getTime()).toBeGreaterThan(Date.now() - 60_000);
  });

  it('logs in a username that looks like a mobile number (made before the rule, or by an operator)', async () => {
    const digits = randomMobile();
    const mobile = randomMobile();
    await new Visitor(app).register(randomUsername('Legacy'), mobile);
    await app.db.prisma.user.update({ where: { mobile }, data: { username: digits, usernameKey: digits } });
    const res = await new Visitor(app).post('/api/user/login/', { account: digits, password: PASSWORD });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ username: digits });
  });

  it('refuses control characters in the account with 400, not a database error', async () => {
    const res = await new Visitor(app).post('/api/user/login/', { account: 'ab\u0000cd', password: 'whatever1' });
    expect(res.status).toBe(400);
    expect(res.body.data?.fields?.account).toBeDefined();
  });

  it('validates the form', async () => {
    const res = await new Visitor(app).post('/api/user/login/', { account: '', password: '' });
    expect(res.status).toBe(400);
    expect(Object.keys(res.body.data?.fields ?? {}).sort()).toEqual(['account', 'password']);
  });
});

describe('logout and /api/user/me/', () => {
  it('answers 401 SESSIONERR when nobody is logged in', async () => {
    const res = await new Visitor(app).get('/api/user/me/');
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ errno: '4101', errmsg: 'User not logged in', data: null });
  });

  it('/api/user/session/ answers a visitor with 200 and data: null, a logged-in user with the user', async () => {
    const visitor = new Visitor(app);
    const anonymous = await visitor.get('/api/user/session/');
    expect(anonymous.status).toBe(200);
    expect(anonymous.body).toEqual({ errno: '0', errmsg: 'Success', data: null });
    expect(anonymous.headers['set-cookie']).toBeUndefined(); // asking starts no session
    await visitor.post('/api/user/login/', { account: username, password: PASSWORD });
    expect((await visitor.get('/api/user/session/')).body.data).toMatchObject({ username, mobile });
    await visitor.post('/api/user/logout/');
    expect((await visitor.get('/api/user/session/')).body.data).toBeNull();
  });

  it('logout ends the session server-side, so an old cookie is useless', async () => {
    const visitor = new Visitor(app);
    await visitor.post('/api/user/login/', { account: username, password: PASSWORD });
    const stolen = new Map(visitor.cookies);
    expect((await visitor.post('/api/user/logout/')).body).toMatchObject({ errno: '0' });
    expect(visitor.cookies.has('sid')).toBe(false);
    const replay = new Visitor(app);
    for (const [k, v] of stolen) replay.cookies.set(k, v);
    expect((await replay.get('/api/user/me/')).status).toBe(401);
  });

  it('treats a corrupt stored session as no session, without crashing', async () => {
    const visitor = new Visitor(app);
    await visitor.post('/api/user/login/', { account: username, password: PASSWORD });
    const sid = visitor.cookies.get('sid') ?? '';
    const id = decodeURIComponent(sid).slice(0, decodeURIComponent(sid).lastIndexOf('.'));
    await app.store.set(`sess:${id}`, '{not json', 60_000);
    expect((await visitor.get('/api/user/me/')).status).toBe(401);
    expect((await new Visitor(app).get('/api/health/')).status).toBe(200);
  });

  it("never serves a session stored under another id: one user's value under another's key is no session", async () => {
    const alice = new Visitor(app);
    await alice.post('/api/user/login/', { account: username, password: PASSWORD });
    const other = new Visitor(app);
    await other.register(randomUsername('Other'), randomMobile());
    const idOf = (visitor: Visitor) => {
      const sid = decodeURIComponent(visitor.cookies.get('sid') ?? '');
      return sid.slice(0, sid.lastIndexOf('.'));
    };
    // As if Redis handed back another key's value (a reply paired with the wrong command).
    const aliceSession = await app.store.get(`sess:${idOf(alice)}`);
    await app.store.set(`sess:${idOf(other)}`, aliceSession ?? '', 60_000);
    expect((await other.get('/api/user/me/')).status).toBe(401);
    expect((await alice.get<{ username: string }>('/api/user/me/')).body.data?.username).toBe(username);
  });

  it('refuses a forged session cookie', async () => {
    const visitor = new Visitor(app);
    visitor.cookies.set('sid', 'forged.signature');
    expect((await visitor.get('/api/user/me/')).status).toBe(401);
  });

  it('logs out a deactivated user', async () => {
    const visitor = new Visitor(app);
    const name = randomUsername('Gone');
    const m = randomMobile();
    await visitor.register(name, m);
    await app.db.prisma.user.update({ where: { mobile: m }, data: { isActive: false } });
    expect((await visitor.get('/api/user/me/')).status).toBe(401);
    expect((await new Visitor(app).post('/api/user/login/', { account: name, password: PASSWORD })).status).toBe(401);
  });
});

describe('rehashing on login', () => {
  it('stores a stronger hash after a login under stronger argon2 settings, never over a password changed meanwhile', async () => {
    const name = randomUsername();
    const phone = randomMobile();
    expect((await new Visitor(app).register(name, phone)).status).toBe(200);
    const hashOf = async () => (await app.db.prisma.user.findFirstOrThrow({ where: { mobile: phone } })).password;
    const original = await hashOf();
    const login = { account: name, password: PASSWORD };

    // A password changed between this login's check and its rehash (pnpm cli changepassword).
    const changedMeanwhile = '$argon2id$v=19$m=19456,t=2,p=1$changedmeanwhile$changedmeanwhilechangedmeanwhile';
    const racing = await buildTestApp(
      { ARGON2_TIME_COST: '3' },
      {
        seams: {
          usersRepository: (repository) => ({
            ...repository,
            recordLogin: async (id, at, rehash) => {
              await app.db.prisma.user.update({ where: { id }, data: { password: changedMeanwhile } });
              return repository.recordLogin(id, at, rehash);
            },
          }),
        },
      },
    );
    const stronger = await buildTestApp({ ARGON2_TIME_COST: '3' });
    try {
      expect((await new Visitor(racing, '10.7.0.1').post('/api/user/login/', login)).status).toBe(200);
      expect(await hashOf()).toBe(changedMeanwhile);

      await app.db.prisma.user.update({ where: { mobile: phone }, data: { password: original } });
      expect((await new Visitor(stronger, '10.7.0.2').post('/api/user/login/', login)).status).toBe(200);
      expect(await hashOf()).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=3\$/);
    } finally {
      await Promise.all([racing.close(), stronger.close()]);
    }
  });
});
