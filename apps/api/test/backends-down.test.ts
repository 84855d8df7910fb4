// PostgreSQL or Redis going away: fast 503 envelopes, the process stays up, and service
// resumes by itself when they come back. Each backend sits behind a proxy the test can cut.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { buildTestApp, manualClock, randomMobile, randomUsername, Visitor } from './helper.ts';
import { startTcpProxy } from './tcp-proxy.ts';

let app: FastifyInstance;
let pgProxy: Awaited<ReturnType<typeof startTcpProxy>>;
let redisProxy: Awaited<ReturnType<typeof startTcpProxy>>;

beforeAll(async () => {
  const db = new URL(inject('databaseUrl'));
  const redis = new URL(inject('redisUrl'));
  pgProxy = await startTcpProxy({ host: db.hostname, port: Number(db.port || 5432) });
  redisProxy = await startTcpProxy({ host: redis.hostname, port: Number(redis.port || 6379) });
  db.host = `127.0.0.1:${pgProxy.port}`;
  redis.host = `127.0.0.1:${redisProxy.port}`;
  app = await buildTestApp({ DATABASE_URL: db.toString(), REDIS_URL: redis.toString() });
});
afterAll(async () => {
  await app.close();
  await pgProxy.close();
  await redisProxy.close();
});

const health = async () => (await new Visitor(app).get<{ database: string; store: string }>('/api/health/')).body.data;

describe('when Redis goes down', () => {
  it('answers 503 SERVERERR at once, keeps database-only routes working, and recovers', async () => {
    expect(await health()).toMatchObject({ database: 'ok', store: 'ok' });
    await redisProxy.cut();

    const captcha = await new Visitor(app).get('/api/image_code/');
    expect(captcha.status).toBe(503);
    expect(captcha.body).toMatchObject({ errno: '4500', data: null });
    expect(captcha.headers).toMatchObject({ 'x-frame-options': 'DENY', 'cache-control': 'no-store' });
    const sms = await new Visitor(app).post('/api/sms_code/', { mobile: randomMobile(), captcha: 'ABCD' });
    expect(sms.status).toBe(503);
    expect((await new Visitor(app).get('/api/health/')).status).toBe(503);
    expect(await health()).toMatchObject({ database: 'ok', store: 'down' });
    expect((await new Visitor(app).get(`/api/username/${randomUsername()}/`)).status).toBe(200);

    await redisProxy.restore();
    await vi.waitFor(async () => expect((await new Visitor(app).get('/api/image_code/')).status).toBe(200), {
      timeout: 10_000,
      interval: 100,
    });
  });
});

describe('when PostgreSQL goes down', () => {
  it('answers 503 DBERR at once and recovers when it is back', async () => {
    await pgProxy.cut();
    const res = await new Visitor(app).get(`/api/username/${randomUsername()}/`);
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ errno: '4001', errmsg: 'Database unavailable, please retry.', data: null });
    expect(await health()).toMatchObject({ database: 'down', store: 'ok' });

    // A registration cut off halfway leaves nothing behind: the SMS step fails before any write.
    const visitor = new Visitor(app);
    const sms = await visitor.requestSmsCode(randomMobile());
    expect(sms.status).toBe(503);

    await pgProxy.restore();
    await vi.waitFor(async () => expect((await new Visitor(app).get(`/api/username/${randomUsername()}/`)).status).toBe(200), {
      timeout: 10_000,
      interval: 100,
    });
    const mobile = randomMobile();
    expect((await new Visitor(app).register(randomUsername(), mobile)).status).toBe(200);
  });
});

describe('the health check', () => {
  it('shares one backend check between callers, for HEALTH_CACHE_MS', async () => {
    const redis = new URL(inject('redisUrl'));
    const proxy = await startTcpProxy({ host: redis.hostname, port: Number(redis.port || 6379) });
    redis.host = `127.0.0.1:${proxy.port}`;
    const clock = manualClock();
    const cached = await buildTestApp({ REDIS_URL: redis.toString(), HEALTH_CACHE_MS: '5000' }, { clock });
    try {
      const probe = async () => (await new Visitor(cached).get<{ store: string }>('/api/health/')).body.data?.store;
      expect(await Promise.all(Array.from({ length: 20 }, probe))).toEqual(Array(20).fill('ok'));
      await proxy.cut();
      expect(await probe()).toBe('ok'); // the answer of a check less than 5 s old
      clock.advance(5000);
      expect(await probe()).toBe('down');
    } finally {
      await cached.close();
      await proxy.close();
    }
  });
});
