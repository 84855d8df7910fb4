// The image code's alternative, a proof of work (ALTCHA v2), through HTTP on the real PostgreSQL
// and Redis: a solution from altcha-lib's own solver sends a code; replayed, expired, forged,
// mismatched, wrong and malformed payloads send nothing and spend nothing; its own budget is
// reached and resets (injected clock); turned off, its route is unknown and the image still works.
import { en, SMS_MESSAGES } from '@register/contracts';
import { type Challenge, solveChallenge } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/pbkdf2';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { createDigest } from '../src/lib/digest.ts';
import { altchaUsedKey } from '../src/modules/altcha/altcha.service.ts';
import { eventsCommand } from '../src/modules/security-events/events.command.ts';
import { createEventsRepository } from '../src/modules/security-events/events.repository.ts';
import { eventDigests } from '../src/modules/security-events/events.service.ts';
import { globLiteral } from '../src/store/kv-store.ts';
import { buildTestApp, manualClock, PASSWORD, type Reply, randomMobile, randomUsername, readOutbox, Visitor } from './helper.ts';

const HOUR = 3_600_000;
const DAY = 86_400_000;
/** A low cost: the tests solve many challenges (the default's solve time is in the README). */
const COST = 50;

interface Challenged {
  parameters: Record<string, unknown>;
  signature: string;
}
const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');

/** A challenge from the API, solved by altcha-lib's solver as the SPA's worker solves it. */
async function solvedPayload(visitor: Visitor) {
  const res = await visitor.get<Challenged>('/api/captcha/altcha/');
  expect(res.status).toBe(200);
  const challenge = res.body.data as Challenged;
  const solution = await solveChallenge({ challenge: challenge as unknown as Challenge, deriveKey });
  if (!solution) throw new Error('not solved');
  return { challenge, solution, payload: encode({ challenge, solution }) };
}

function expectFailed(res: Reply) {
  expect(res.status).toBe(400);
  expect(res.body).toEqual({
    errno: '4103',
    errmsg: en.captcha.altchaFailed,
    data: { fields: { altcha: en.captcha.altchaFailed } },
  });
}

describe('the proof of work', () => {
  // At the start of a UTC day: the hourly windows are whole in the test.
  const clock = manualClock(Math.ceil(Date.now() / DAY) * DAY + DAY);
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestApp(
      { ALTCHA_COST: String(COST), SMS_ALTCHA_PER_CLIENT_PER_HOUR: '3', ALTCHA_LIMIT_MAX: '10' },
      { clock },
    );
  });
  afterAll(() => app.close());

  /**
   * Nothing was sent to the mobile and no budget, cooldown or code was written for it (nor, given
   * a client that has sent nothing through the proof of work, for that client).
   */
  async function expectNothingSpent(mobile: string, client?: string) {
    const outbox = await app.inject({ method: 'GET', url: `/api/__dev/sms/${mobile}/` });
    expect(outbox.statusCode).toBe(404);
    expect(await app.store.keys(`{sms}:*${mobile}*`)).toEqual([]);
    if (client) expect(await app.store.keys(`{sms}:altcha:client:${globLiteral(client)}:*`)).toEqual([]);
  }
  const send = (visitor: Visitor, mobile: string, altcha: string) => visitor.post('/api/sms_code/', { mobile, altcha });

  it('answers a signed random-mode challenge at the configured cost and expiry', async () => {
    const res = await new Visitor(app, '203.0.113.1').get<Challenged>('/api/captcha/altcha/');
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['set-cookie']).toBeUndefined(); // no session: the challenge carries its own state
    const { parameters, signature } = res.body.data as Challenged;
    expect(parameters).toEqual({
      algorithm: 'PBKDF2/SHA-256',
      cost: COST,
      keyLength: 32,
      keyPrefix: '00',
      nonce: expect.stringMatching(/^[0-9a-f]{32}$/),
      salt: expect.stringMatching(/^[0-9a-f]{32}$/),
      expiresAt: Math.floor(clock() / 1000) + 300,
    });
    expect(signature).toMatch(/^[0-9a-f]{64}$/);
  });

  it('a solution from altcha-lib sends the code, and the registration goes on as with the image', async () => {
    const visitor = new Visitor(app, '203.0.113.2');
    const mobile = randomMobile();
    const { payload } = await solvedPayload(visitor);
    const sent = await send(visitor, mobile, payload);
    expect(sent.status).toBe(200);
    expect(sent.body.data).toEqual({ expiresIn: 300, resendIn: 60, codeLength: 6 });
    const code = await readOutbox(app, mobile);
    const username = randomUsername('Pow');
    const registered = await visitor.post('/api/user/register/', {
      username,
      password: PASSWORD,
      password_repeat: PASSWORD,
      mobile,
      sms_code: code,
    });
    expect(registered.status).toBe(200);

    // The log says which door: the send came through the proof of work.
    await app.events.flush();
    const hmac = eventDigests(createDigest(app.config.codeSecret));
    const rows = await app.db.prisma.securityEvent.findMany({ where: { clientHmac: hmac.client('203.0.113.2') } });
    expect(rows.find((r) => r.kind === 'sms_sent')?.detail).toEqual({ gateway: 'outbox', door: 'altcha' });
  });

  it('is single use: a replay fails from the same client, another client, for another mobile', async () => {
    const first = new Visitor(app, '203.0.113.3');
    const { challenge, payload } = await solvedPayload(first);
    expect((await send(first, randomMobile(), payload)).status).toBe(200);
    // Spent until the challenge expires, by its signature.
    const ttl = await app.store.ttl(altchaUsedKey(challenge.signature));
    // Until the challenge expires, and a minute more for instances whose clocks lag.
    expect(ttl).toBeGreaterThan(350_000);
    expect(ttl).toBeLessThanOrEqual(360_000);

    const again = randomMobile();
    expectFailed(await send(first, again, payload));
    await expectNothingSpent(again);
    const other = randomMobile();
    expectFailed(await send(new Visitor(app, '203.0.113.4'), other, payload));
    await expectNothingSpent(other, '203.0.113.4');
  });

  it('five racing requests with one solution: exactly one sends', async () => {
    const { payload } = await solvedPayload(new Visitor(app, '203.0.113.5'));
    const mobiles = Array.from({ length: 5 }, () => randomMobile());
    const answers = await Promise.all(mobiles.map((m, i) => send(new Visitor(app, `203.0.113.${10 + i}`), m, payload)));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 400, 400, 400, 400]);
    const delivered = await Promise.all(
      mobiles.map(async (m) => (await app.inject({ method: 'GET', url: `/api/__dev/sms/${m}/` })).statusCode),
    );
    expect(delivered.filter((s) => s === 200)).toHaveLength(1);
  });

  it('refuses an expired solution (the clock moved past its expiry), and sends nothing', async () => {
    const visitor = new Visitor(app, '203.0.113.20');
    const { payload } = await solvedPayload(visitor);
    clock.advance(300_000);
    const mobile = randomMobile();
    expectFailed(await send(visitor, mobile, payload));
    await expectNothingSpent(mobile, '203.0.113.20');
  });

  it('refuses forged, mismatched and wrong solutions, and sends nothing', async () => {
    const visitor = new Visitor(app, '203.0.113.21');
    const a = await solvedPayload(visitor);
    const b = await solvedPayload(visitor);
    const flipped = a.challenge.signature.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    const cases = {
      forged: { challenge: { ...a.challenge, signature: flipped }, solution: a.solution },
      // The parameters of one challenge under the signature of another.
      mismatched: { challenge: { parameters: a.challenge.parameters, signature: b.challenge.signature }, solution: a.solution },
      // Parameters changed to a cheaper (or dearer) cost: refused before any key is derived.
      cheaper: { challenge: { ...a.challenge, parameters: { ...a.challenge.parameters, cost: 1 } }, solution: a.solution },
      dearer: {
        challenge: { ...a.challenge, parameters: { ...a.challenge.parameters, cost: 10_000_000 } },
        solution: a.solution,
      },
      later: {
        challenge: {
          ...a.challenge,
          parameters: { ...a.challenge.parameters, expiresAt: Number(a.challenge.parameters.expiresAt) + 3600 },
        },
        solution: a.solution,
      },
    };
    for (const [name, value] of Object.entries(cases)) {
      const mobile = randomMobile();
      const res = await send(visitor, mobile, encode(value));
      expect(res.status, name).toBe(400);
      expectFailed(res);
      await expectNothingSpent(mobile, '203.0.113.21');
    }
    // A wrong counter: the challenge's signature verified, so it is spent, right or wrong (as an image answer).
    const wrong = { challenge: b.challenge, solution: { ...b.solution, counter: b.solution.counter + 1 } };
    const mobile = randomMobile();
    expectFailed(await send(visitor, mobile, encode(wrong)));
    expectFailed(await send(visitor, mobile, b.payload));
    await expectNothingSpent(mobile, '203.0.113.21');
    // The untouched one still passes: none of the above spent it.
    expect((await send(visitor, randomMobile(), a.payload)).status).toBe(200);

    await app.events.flush();
    const hmac = eventDigests(createDigest(app.config.codeSecret));
    const rows = await app.db.prisma.securityEvent.findMany({
      where: { clientHmac: hmac.client('203.0.113.21'), kind: 'captcha_failed' },
      orderBy: { id: 'asc' },
    });
    expect(rows.map((r) => r.detail)).toEqual(
      ['forged', 'forged', 'parameters', 'parameters', 'forged', 'wrong', 'replayed'].map((reason) => ({
        door: 'altcha',
        reason,
      })),
    );
  });

  it('refuses malformed payloads with the same answer (or the field rule, for what is no base64 at all)', async () => {
    const visitor = new Visitor(app, '203.0.113.22');
    const { challenge, solution } = await solvedPayload(visitor);
    const malformed = [
      Buffer.from('not json at all').toString('base64'),
      encode(null),
      encode([challenge, solution]),
      encode({ challenge }),
      encode({ challenge: { parameters: challenge.parameters }, solution }),
      encode({ challenge: { ...challenge, parameters: [] }, solution }),
      encode({ challenge, solution: { ...solution, counter: String(solution.counter) } }),
      encode({ challenge, solution: { ...solution, counter: -1 } }),
      encode({ challenge, solution: { ...solution, derivedKey: solution.derivedKey.toUpperCase() } }),
      encode({ challenge, solution: { counter: solution.counter } }),
      encode({ challenge: { ...challenge, parameters: { ...challenge.parameters, data: { a: 1 } } }, solution }),
      'AAAA',
    ];
    for (const payload of malformed) {
      const mobile = randomMobile();
      expectFailed(await send(visitor, mobile, payload));
      await expectNothingSpent(mobile, '203.0.113.22');
    }
    // Not base64, or too long for one: the field's own rule, on the same field, with the same errno.
    for (const payload of ['{"challenge":1}', 'A'.repeat(5000)]) {
      const mobile = randomMobile();
      const res = await send(visitor, mobile, payload);
      expect(res.status).toBe(400);
      expect(res.body.errno).toBe('4103');
      expect(res.body.data?.fields).toEqual({ altcha: en.fields.altcha.invalid });
      await expectNothingSpent(mobile, '203.0.113.22');
    }
    // A body beyond BODY_LIMIT_BYTES never reaches the check.
    expect((await send(visitor, randomMobile(), 'A'.repeat(20_000))).status).toBe(413);
  });

  it('exactly one of captcha and altcha', async () => {
    const visitor = new Visitor(app, '203.0.113.23');
    const { payload } = await solvedPayload(visitor);
    await visitor.get('/api/image_code/');
    const mobile = randomMobile();
    const both = await visitor.post('/api/sms_code/', { mobile, captcha: 'ABCD', altcha: payload });
    expect(both.status).toBe(400);
    expect(both.body).toMatchObject({ errno: '4103', data: { fields: { _: en.captcha.oneOfTwo } } });
    const neither = await visitor.post('/api/sms_code/', { mobile });
    expect(neither.status).toBe(400);
    expect(neither.body).toMatchObject({
      errno: '4103',
      data: { fields: { captcha: en.check.required(en.fields.captcha.title) } },
    });
    await expectNothingSpent(mobile, '203.0.113.23');
    // Neither refusal spent the solution.
    expect((await send(visitor, mobile, payload)).status).toBe(200);
  });

  it('sends through it spend a tighter budget of their own, which resets with the hour', async () => {
    const ip = '203.0.113.30';
    const visitor = new Visitor(app, ip);
    for (let i = 0; i < 3; i++)
      expect((await send(visitor, randomMobile(), (await solvedPayload(visitor)).payload)).status).toBe(200);
    const refused = await send(visitor, randomMobile(), (await solvedPayload(visitor)).payload);
    const retryAfter = (HOUR - (clock() % HOUR)) / 1000;
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({ errno: '4201', errmsg: SMS_MESSAGES.ipLimit, data: { retryAfter } });
    expect(refused.headers['retry-after']).toBe(String(retryAfter));
    // The image door is not this budget's business.
    expect((await visitor.requestSmsCode(randomMobile())).status).toBe(200);
    clock.advance(HOUR);
    expect((await send(visitor, randomMobile(), (await solvedPayload(visitor)).payload)).status).toBe(200);

    await app.events.flush();
    const hmac = eventDigests(createDigest(app.config.codeSecret));
    const rows = await app.db.prisma.securityEvent.findMany({ where: { clientHmac: hmac.client(ip) }, orderBy: { id: 'asc' } });
    expect(rows.map((r) => [r.kind, (r.detail as { door?: string }).door])).toEqual([
      ['sms_sent', 'altcha'],
      ['sms_sent', 'altcha'],
      ['sms_sent', 'altcha'],
      ['sms_refused', 'altcha'],
      ['sms_sent', 'image'],
      ['sms_sent', 'altcha'],
    ]);
    expect(rows[3]?.detail).toEqual({ budget: 'altcha_client_hour', door: 'altcha' });

    // `pnpm cli events` shows the door of each row, and how many texts came through the proof of work.
    const lines: string[] = [];
    await eventsCommand(['--kind', 'sms_sent,sms_refused', '--since', '2h', '--limit', '10000'], {
      repository: createEventsRepository(app.db.prisma),
      digest: createDigest(app.config.codeSecret),
      config: app.config.events,
      now: clock(),
      print: (line) => lines.push(line),
    });
    expect(lines.some((l) => / sms_refused .*"door":"altcha"/.test(l))).toBe(true);
    expect(lines.join('\n')).toMatch(/SMS sent per hour \(UTC\): \d+ in all {2}\(\d+ through the proof of work\)/);
  });

  it('counts an IPv6 network too: one holder of a /48 cannot spend the service-wide share alone', async () => {
    const network = await buildTestApp(
      { ALTCHA_COST: String(COST), SMS_ALTCHA_PER_CLIENT_PER_HOUR: '3', SMS_ALTCHA_PER_NETWORK_PER_HOUR: '4' },
      { clock },
    );
    try {
      // Two /64 clients of one /48: the first spends 3, the second gets the network's last one.
      const first = new Visitor(network, '2001:db8:aa00:1::1');
      const second = new Visitor(network, '2001:db8:aa00:2::1');
      for (let i = 0; i < 3; i++)
        expect((await send(first, randomMobile(), (await solvedPayload(first)).payload)).status).toBe(200);
      expect((await send(second, randomMobile(), (await solvedPayload(second)).payload)).status).toBe(200);
      const refused = await send(second, randomMobile(), (await solvedPayload(second)).payload);
      expect(refused.status).toBe(429);
      expect(refused.body.errmsg).toBe(SMS_MESSAGES.ipLimit);
      // Another /48, and the image door of the same network, are not this budget's business.
      const elsewhere = new Visitor(network, '2001:db8:bb00:1::1');
      expect((await send(elsewhere, randomMobile(), (await solvedPayload(elsewhere)).payload)).status).toBe(200);
      expect((await second.requestSmsCode(randomMobile())).status).toBe(200);
      await network.events.flush();
      const hmac = eventDigests(createDigest(network.config.codeSecret));
      const refusal = await network.db.prisma.securityEvent.findFirst({
        where: { clientHmac: hmac.client('2001:db8:aa00:2::'), kind: 'sms_refused' },
      });
      expect(refusal?.detail).toEqual({ budget: 'altcha_network_hour', door: 'altcha' });
    } finally {
      await network.close();
    }
  });

  it('its challenges have a per-client budget (ALTCHA_LIMIT_MAX)', async () => {
    const visitor = new Visitor(app, '203.0.113.40');
    for (let i = 0; i < 10; i++) expect((await visitor.get('/api/captcha/altcha/')).status).toBe(200);
    const refused = await visitor.get('/api/captcha/altcha/');
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ errno: '4201', errmsg: en.captcha.altchaIpLimit });
    expect(refused.body.data?.retryAfter).toBeGreaterThan(0);
    expect(refused.headers['retry-after']).toBe(String(refused.body.data?.retryAfter));
  });
});

describe("the proof of work's share of the service (SMS_ALTCHA_GLOBAL_PER_HOUR)", () => {
  const clock = manualClock(Math.ceil(Date.now() / DAY) * DAY + DAY);
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestApp({ ALTCHA_COST: String(COST), SMS_ALTCHA_GLOBAL_PER_HOUR: '2' }, { clock });
  });
  afterAll(() => app.close());

  it('is spent by every client together, is refused calmly and counted, and leaves the image door open', async () => {
    for (const ip of ['203.0.113.60', '203.0.113.61']) {
      const visitor = new Visitor(app, ip);
      expect(
        (await visitor.post('/api/sms_code/', { mobile: randomMobile(), altcha: (await solvedPayload(visitor)).payload })).status,
      ).toBe(200);
    }
    const third = new Visitor(app, '203.0.113.62');
    const refused = await third.post('/api/sms_code/', { mobile: randomMobile(), altcha: (await solvedPayload(third)).payload });
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({ errno: '4201', errmsg: SMS_MESSAGES.busy, data: { retryAfter: HOUR / 1000 } });
    expect((await third.requestSmsCode(randomMobile())).status).toBe(200);
    const metrics = await app.inject({ method: 'GET', url: '/api/metrics' });
    expect(metrics.body).toMatch(/^sms_refusals_total\{budget="altcha_global_hour"\} 1$/m);
    expect(metrics.body).toMatch(/^sms_refusals_total\{budget="altcha_client_hour"\} 0$/m);
    clock.advance(HOUR);
    expect(
      (await third.post('/api/sms_code/', { mobile: randomMobile(), altcha: (await solvedPayload(third)).payload })).status,
    ).toBe(200);
  });
});

describe('when Redis fails at the step that spends the solution', () => {
  it('answers 503, sends nothing, spends nothing, and the same solution works once Redis answers again', async () => {
    let failing = true;
    const app = await buildTestApp(
      { ALTCHA_COST: String(COST) },
      {
        seams: {
          store: (store) => ({
            ...store,
            setIfAbsent: (key, value, ttlMs) =>
              failing ? Promise.reject(new Error('redis: connection refused')) : store.setIfAbsent(key, value, ttlMs),
          }),
        },
      },
    );
    try {
      const visitor = new Visitor(app, '203.0.113.90');
      const mobile = randomMobile();
      const { challenge, payload } = await solvedPayload(visitor);
      const refused = await visitor.post('/api/sms_code/', { mobile, altcha: payload });
      expect(refused.status).toBeGreaterThanOrEqual(500);
      expect(refused.body.errno).toBe('4500');
      expect((await app.inject({ method: 'GET', url: `/api/__dev/sms/${mobile}/` })).statusCode).toBe(404);
      expect(await app.store.keys(`{sms}:*${mobile}*`)).toEqual([]);
      expect(await app.store.get(altchaUsedKey(challenge.signature))).toBeNull();

      failing = false;
      expect((await visitor.post('/api/sms_code/', { mobile, altcha: payload })).status).toBe(200);
      expect(await readOutbox(app, mobile)).toMatch(/^\d{6}$/);
    } finally {
      await app.close();
    }
  });
});

describe('turned off (ALTCHA_ENABLED=false)', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestApp({ ALTCHA_ENABLED: 'false', ALTCHA_COST: String(COST) });
  });
  afterAll(() => app.close());

  it('its route is an unknown path, an altcha is refused, and the image works', async () => {
    const visitor = new Visitor(app, '203.0.113.50');
    const unknown = await visitor.get('/api/no/such/path/');
    for (const method of ['GET', 'POST'] as const) {
      const res = await visitor.request({ method, url: '/api/captcha/altcha/' });
      expect(res.status).toBe(404);
      expect(res.body).toEqual(unknown.body);
    }
    const index = await visitor.get<{ routes: { path: string }[] }>('/api/');
    expect(index.body.data?.routes.map((r) => r.path)).not.toContain('/api/captcha/altcha/');

    const mobile = randomMobile();
    const refused = await visitor.post('/api/sms_code/', { mobile, altcha: encode({ challenge: {}, solution: {} }) });
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({
      errno: '4103',
      errmsg: en.captcha.altchaOff,
      data: { fields: { altcha: en.captcha.altchaOff } },
    });
    expect((await visitor.requestSmsCode(mobile)).status).toBe(200);
  });
});

describe("the proof of work's config", () => {
  it('has safe defaults, a bounded cost, and a global share within the global budget', () => {
    const config = loadConfig({ NODE_ENV: 'development' });
    expect(config.altcha).toEqual({ enabled: true, algorithm: 'PBKDF2/SHA-256', cost: 5000, ttlSeconds: 300 });
    expect(config.limits.altcha).toEqual({ max: 30, windowMs: 60_000 });
    expect(config.sms).toMatchObject({ altchaPerClientPerHour: 3, altchaGlobalPerHour: 200 });
    expect(loadConfig({ SMS_GLOBAL_PER_HOUR: '50' }).sms.altchaGlobalPerHour).toBe(10);
    expect(loadConfig({ ALTCHA_ENABLED: 'false' }).altcha.enabled).toBe(false);
    expect(() => loadConfig({ ALTCHA_COST: '100001' })).toThrow(/ALTCHA_COST/);
    expect(() => loadConfig({ ALTCHA_ALGORITHM: 'SCRYPT' })).toThrow(/ALTCHA_ALGORITHM/);
    // altcha-lib hashes plain SHA-* on the event loop: a forged answer would stall every route.
    expect(() => loadConfig({ ALTCHA_ALGORITHM: 'SHA-512' })).toThrow(/ALTCHA_ALGORITHM/);
    expect(loadConfig({ ALTCHA_ALGORITHM: 'PBKDF2/SHA-512' }).altcha.algorithm).toBe('PBKDF2/SHA-512');
    expect(() => loadConfig({ SMS_ALTCHA_GLOBAL_PER_HOUR: '2000' })).toThrow(/SMS_ALTCHA_GLOBAL_PER_HOUR cannot exceed/);
  });
});
