// Per-client request limits (@fastify/rate-limit on the shared Redis): each budget is reached,
// refused with the THROTTLED envelope and Retry-After, and resets. Their windows live in Redis
// TTLs, which an injected clock cannot move, so these apps use 2-second windows.
import { RATE_LIMIT_MESSAGES, SMS_MESSAGES } from '@register/contracts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { createDigest } from '../src/lib/digest.ts';
import { eventDigests } from '../src/modules/security-events/events.service.ts';
import { buildTestApp, type Reply, randomMobile, randomUsername, Visitor } from './helper.ts';
import { startTcpProxy } from './tcp-proxy.ts';

function expectThrottled(res: Reply, message: string) {
  expect(res.status).toBe(429);
  expect(res.body).toEqual({ errno: '4201', errmsg: message, data: { retryAfter: expect.any(Number) } });
  expect(res.body.data?.retryAfter).toBeGreaterThanOrEqual(1);
  expect(res.headers['retry-after']).toBe(String(res.body.data?.retryAfter));
}
/** Retries until the window has passed (2 s here): no fixed sleep. */
const eventually = (check: () => Promise<void>) => vi.waitFor(check, { timeout: 5000, interval: 100 });

describe('the default budget on every route', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestApp({ RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW_SECONDS: '2' });
  });
  afterAll(() => app.close());

  it('counts every route and unknown paths together, per client, and resets', async () => {
    const visitor = new Visitor(app, '198.18.1.1');
    expect((await visitor.post('/api/user/login/', { account: 'nobody_here', password: 'whatever1' })).status).toBe(401);
    expect((await visitor.get('/api/nothing/here/')).status).toBe(404);
    expect((await visitor.request({ method: 'DELETE', url: '/api/user/me/' })).status).toBe(405);
    expectThrottled(await visitor.get('/api/nothing/here/'), RATE_LIMIT_MESSAGES.global);
    expectThrottled(await visitor.get('/api/user/me/'), RATE_LIMIT_MESSAGES.global);
    expect((await new Visitor(app, '198.18.1.2').get('/api/user/me/')).status).toBe(401);
    await eventually(async () => expect((await visitor.get('/api/user/me/')).status).toBe(401));
  });

  it('never limits the health routes', async () => {
    const visitor = new Visitor(app, '198.18.2.1');
    for (let i = 0; i < 10; i++) {
      expect((await visitor.get('/api/healthz')).status).toBe(200);
      expect((await visitor.get('/api/health/')).status).toBe(200);
    }
  });
});

describe('named budgets', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestApp({
      AVAILABILITY_LIMIT_MAX: '4',
      AVAILABILITY_LIMIT_WINDOW_SECONDS: '2',
      CAPTCHA_LIMIT_MAX: '2',
      CAPTCHA_LIMIT_WINDOW_SECONDS: '2',
      SMS_LIMIT_MAX: '2',
      SMS_LIMIT_WINDOW_SECONDS: '2',
    });
  });
  afterAll(() => app.close());

  it('availability checks: one enumeration budget for usernames and mobiles together', async () => {
    const visitor = new Visitor(app, '198.18.3.1');
    expect((await visitor.get(`/api/username/${randomUsername()}/`)).status).toBe(200);
    expect((await visitor.get(`/api/mobile/${randomMobile()}/`)).status).toBe(200);
    expect((await visitor.get(`/api/username/${randomUsername()}/`)).status).toBe(200);
    expect((await visitor.get(`/api/mobile/${randomMobile()}/`)).status).toBe(200);
    expectThrottled(await visitor.get(`/api/mobile/${randomMobile()}/`), RATE_LIMIT_MESSAGES.availability);
    expectThrottled(await visitor.get(`/api/username/${randomUsername()}/`), RATE_LIMIT_MESSAGES.availability);
    // Other routes keep their own budgets.
    expect((await visitor.get('/api/user/me/')).status).toBe(401);
    await eventually(async () => expect((await visitor.get(`/api/mobile/${randomMobile()}/`)).status).toBe(200));
  });

  it('captcha images per client', async () => {
    const visitor = new Visitor(app, '198.18.4.1');
    expect((await visitor.get('/api/image_code/')).status).toBe(200);
    expect((await visitor.get('/api/image_code/')).status).toBe(200);
    const refused = await visitor.get('/api/image_code/');
    expectThrottled(refused, 'Too many image codes requested from your network. Please wait a minute.');
    await eventually(async () => expect((await visitor.get('/api/image_code/')).status).toBe(200));
  });

  it('SMS code requests per client, IPv6 clients grouped by /64', async () => {
    const sameNetwork = ['2001:db8:5:6::1', '2001:db8:5:6:abcd::9'];
    expect((await new Visitor(app, sameNetwork[0]).requestSmsCode(randomMobile())).status).toBe(200);
    expect((await new Visitor(app, sameNetwork[1]).requestSmsCode(randomMobile())).status).toBe(200);
    const third = new Visitor(app, '2001:db8:5:6:ffff:ffff:ffff:fffe');
    await third.get('/api/image_code/');
    expectThrottled(await third.post('/api/sms_code/', { mobile: randomMobile(), captcha: 'ABCD' }), SMS_MESSAGES.ipLimit);
    expect((await new Visitor(app, '2001:db8:5:7::1').requestSmsCode(randomMobile())).status).toBe(200);
  });

  it('records refusals in the security log, coalesced rather than one row per request', async () => {
    const visitor = new Visitor(app, '198.18.9.9');
    for (let i = 0; i < 10; i++) await visitor.get(`/api/mobile/${randomMobile()}/`);
    await app.events.flush();
    const clientHmac = eventDigests(createDigest(app.config.codeSecret)).client('198.18.9.9');
    const rows = await app.db.prisma.securityEvent.findMany({ where: { kind: 'rate_limited', clientHmac } });
    const refusals = rows.reduce((sum, row) => sum + Number((row.detail as { count?: number }).count ?? 1), 0);
    expect(refusals).toBe(6);
    expect(rows.length).toBeLessThan(6);
    expect(rows[0]?.detail).toMatchObject({ budget: 'availability', route: '/api/mobile/:mobile/' });
  });
});

describe('when Redis is down', () => {
  let app: FastifyInstance;
  let redisProxy: Awaited<ReturnType<typeof startTcpProxy>>;
  beforeAll(async () => {
    const redis = new URL(inject('redisUrl'));
    redisProxy = await startTcpProxy({ host: redis.hostname, port: Number(redis.port || 6379) });
    redis.host = `127.0.0.1:${redisProxy.port}`;
    app = await buildTestApp({ REDIS_URL: redis.toString(), AVAILABILITY_LIMIT_MAX: '2', RATE_LIMIT_MAX: '2' });
  });
  afterAll(async () => {
    await app.close();
    await redisProxy.close();
  });

  it('the plain limits fail open: availability checks and /api/healthz keep answering; SMS fails closed', async () => {
    await redisProxy.cut();
    const visitor = new Visitor(app, '198.18.5.1');
    for (let i = 0; i < 5; i++) {
      expect((await visitor.get(`/api/username/${randomUsername()}/`)).status).toBe(200);
      expect((await visitor.get('/api/healthz')).body).toEqual({ errno: '0', errmsg: 'Success', data: { status: 'ok' } });
    }
    const sms = await visitor.post('/api/sms_code/', { mobile: randomMobile(), captcha: 'ABCD' });
    expect(sms.status).toBe(503);
    await redisProxy.restore();
    await eventually(async () => expect((await new Visitor(app, '198.18.5.2').get('/api/image_code/')).status).toBe(200));
  });
});
