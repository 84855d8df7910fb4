// The whole registration flow on Redis Cluster and on a Sentinel-managed primary, started here
// from the machine's redis-server. Every multi-key script must find its keys in one slot (the
// {sms} and {login} hash tags), and one client must serve sessions, the store and the limits.
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Seams } from '../src/services.ts';
import { buildTestApp, CAPTCHA, PASSWORD, randomMobile, randomUsername, readOutbox, Visitor } from './helper.ts';
import { hasRedisServer, redisGroup } from './redis-servers.ts';
import { startTcpProxy } from './tcp-proxy.ts';

if (!hasRedisServer)
  console.warn('redis-topologies: redis-server or redis-cli is not installed here, so these tests are skipped.');

/** Registration, login, /me, the SMS cooldown under concurrency and the login budget. */
async function exerciseTheFlow(app: FastifyInstance) {
  const visitor = new Visitor(app);
  const username = randomUsername('Topo');
  const mobile = randomMobile();
  expect((await visitor.register(username, mobile)).status).toBe(200);
  expect((await visitor.get<{ username: string }>('/api/user/me/')).body.data?.username).toBe(username);
  expect((await new Visitor(app).post('/api/user/login/', { account: mobile, password: PASSWORD })).status).toBe(200);

  const contested = randomMobile();
  const visitors = Array.from({ length: 12 }, (_, i) => new Visitor(app, `10.66.0.${i + 1}`));
  await Promise.all(visitors.map((v) => v.get('/api/image_code/')));
  const sends = await Promise.all(visitors.map((v) => v.post('/api/sms_code/', { mobile: contested, captcha: CAPTCHA })));
  expect(sends.map((r) => r.status).sort()).toEqual([200, ...Array(11).fill(429)]);
  expect(await readOutbox(app, contested)).toMatch(/^\d{6}$/);

  const guesses = await Promise.all(
    Array.from({ length: 15 }, () =>
      new Visitor(app, '10.66.1.1').post('/api/user/login/', { account: username, password: 'not it 123' }),
    ),
  );
  expect(guesses.filter((r) => r.status === 401)).toHaveLength(10);
  expect(guesses.filter((r) => r.status === 429)).toHaveLength(5);
}

describe.skipIf(!hasRedisServer)('on Redis Cluster (3 masters)', () => {
  const group = redisGroup();
  let app: FastifyInstance;
  beforeAll(async () => {
    const ports = await group.cluster();
    app = await buildTestApp({
      REDIS_URL: undefined,
      REDIS_CLUSTER_NODES: ports.map((p) => `127.0.0.1:${p}`).join(','),
      REDIS_CONNECT_TIMEOUT_MS: '2000',
    });
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await group.stop();
  });

  it('runs the whole flow, its atomic scripts included', async () => {
    await exerciseTheFlow(app);
    expect((await new Visitor(app).get('/api/readyz')).status).toBe(200);
  });
});

describe.skipIf(!hasRedisServer)('on a primary and a replica behind a Sentinel', () => {
  const group = redisGroup();
  let app: FastifyInstance;
  beforeAll(async () => {
    const { sentinel } = await group.sentinel('regmaster');
    app = await buildTestApp({
      REDIS_URL: undefined,
      REDIS_SENTINELS: `127.0.0.1:${sentinel}`,
      REDIS_SENTINEL_NAME: 'regmaster',
      REDIS_CONNECT_TIMEOUT_MS: '2000',
    });
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await group.stop();
  });

  it('finds the primary through the Sentinel and runs the whole flow', async () => {
    await exerciseTheFlow(app);
  });
});

describe.skipIf(!hasRedisServer)('a Sentinel behind a path that loses bytes', () => {
  const group = redisGroup();
  let app: FastifyInstance;
  let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
  let primary = 0;
  beforeAll(async () => {
    const ports = await group.sentinel('lossy');
    primary = ports.primary;
    proxy = await startTcpProxy({ host: '127.0.0.1', port: ports.sentinel });
    app = await buildTestApp({
      REDIS_URL: undefined,
      REDIS_SENTINELS: `127.0.0.1:${proxy.port}`,
      REDIS_SENTINEL_NAME: 'lossy',
      REDIS_CONNECT_TIMEOUT_MS: '500',
      REDIS_COMMAND_TIMEOUT_MS: '500',
    });
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await proxy?.close();
    await group.stop();
  });

  it('asks again once the path is back, instead of waiting forever for a lost answer', async () => {
    const visitor = new Visitor(app);
    await visitor.register(randomUsername('Lossy'), randomMobile());
    // The connection to the primary drops while the way to the Sentinel swallows bytes: the
    // client must find the primary again, and its first question to the Sentinel is lost.
    await proxy.setMode('drop');
    const admin = new Redis({ port: primary, host: '127.0.0.1' });
    try {
      await admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
      await vi.waitFor(async () => expect((await visitor.get('/api/user/me/')).status).toBe(503), { timeout: 3000 });
    } finally {
      await proxy.setMode('pass');
      admin.disconnect();
    }
    await vi.waitFor(async () => expect((await visitor.get('/api/user/me/')).status).toBe(200), { timeout: 5000, interval: 100 });
    expect((await new Visitor(app).get('/api/readyz')).status).toBe(200);
  });
});

describe.skipIf(!hasRedisServer)('a stopped redis-server (SIGSTOP)', () => {
  const group = redisGroup();
  let app: FastifyInstance;
  let port = 0;
  /** Stops the server just as the SMS spend is sent: the spend waits in the stopped server's buffer. */
  let stopAtSpend = false;
  const seams: Seams = {
    store: (store) => ({
      ...store,
      spend(...args) {
        if (stopAtSpend) {
          stopAtSpend = false;
          group.pause();
        }
        return store.spend(...args);
      },
    }),
  };
  beforeAll(async () => {
    port = await group.single();
    app = await buildTestApp({ REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_COMMAND_TIMEOUT_MS: '300' }, { seams });
  }, 60_000);
  afterAll(async () => {
    group.resume();
    await app?.close();
    await group.stop();
  });

  it('answers 503 within the command timeout, and serves again by itself when resumed', async () => {
    const visitor = new Visitor(app);
    await visitor.register(randomUsername('Stop'), randomMobile());
    group.pause();
    const started = Date.now();
    const me = await visitor.get('/api/user/me/');
    expect(me.status).toBe(503);
    // The command timeout plus what a loaded machine adds, well short of the deadline (3 s).
    expect(Date.now() - started).toBeLessThan(300 + 700);
    group.resume();
    await vi.waitFor(async () => expect((await visitor.get('/api/user/me/')).status).toBe(200), { timeout: 5000, interval: 100 });
  });

  it('an SMS spend stuck in the stopped server: 503, and once it resumes the number is free, nothing counted', async () => {
    const visitor = new Visitor(app);
    const mobile = randomMobile();
    await visitor.get('/api/image_code/');
    stopAtSpend = true;
    const failed = await visitor.post('/api/sms_code/', { mobile, captcha: CAPTCHA });
    expect(failed.status).toBe(503);
    // Resumed, the server runs what its buffer held, the spend included; the undo (retried
    // while the server was stopped) reverts it, or its tombstone stops it if it runs first.
    group.resume();
    const raw = new Redis({ port, host: '127.0.0.1' });
    try {
      const prefix = app.config.redis.keyPrefix;
      await vi.waitFor(
        async () => {
          expect(await raw.exists(`${prefix}{sms}:cooldown:${mobile}`)).toBe(0);
          const counters = await raw.keys(`${prefix}{sms}:day:${mobile}*`);
          const counts = counters.length ? await raw.mget(...counters) : [];
          expect(counts.every((c) => c === '0')).toBe(true);
        },
        { timeout: 8000, interval: 200 },
      );
    } finally {
      raw.disconnect();
    }
    // No text went out, and the visitor may ask again at once.
    expect((await app.inject({ method: 'GET', url: `/api/__dev/sms/${mobile}/` })).statusCode).toBe(404);
    await vi.waitFor(async () => expect((await visitor.requestSmsCode(mobile)).status).toBe(200), { timeout: 5000 });
  });
});
