// The security event log through HTTP, on the real PostgreSQL: every kind is recorded with
// keyed HMACs (never a plain address or number), a database outage never fails the request
// that records, old events are deleted, and `pnpm cli events` reads them back.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { createDigest } from '../src/lib/digest.ts';
import { eventsCommand } from '../src/modules/security-events/events.command.ts';
import { createEventsRepository } from '../src/modules/security-events/events.repository.ts';
import { type EventKind, eventDigests } from '../src/modules/security-events/events.service.ts';
import { fakeCcpConfig, startFakeCcp } from './fake-ccp.ts';
import { buildTestApp, CAPTCHA, manualClock, PASSWORD, randomMobile, randomUsername, readOutbox, Visitor } from './helper.ts';
import { startTcpProxy } from './tcp-proxy.ts';

let app: FastifyInstance;
let hmac: ReturnType<typeof eventDigests>;
beforeAll(async () => {
  app = await buildTestApp({
    LOGIN_MAX_FAILURES: '1',
    LOGIN_ACCOUNT_FREE_FAILURES: '3',
    AVAILABILITY_LIMIT_MAX: '1',
    AVAILABILITY_LIMIT_WINDOW_SECONDS: '60',
  });
  hmac = eventDigests(createDigest(app.config.codeSecret));
});
afterAll(() => app.close());

/** The events of one client, oldest first, once what is buffered has been written. */
async function eventsOf(client: string) {
  await app.events.flush();
  return app.db.prisma.securityEvent.findMany({ where: { clientHmac: hmac.client(client) }, orderBy: { id: 'asc' } });
}

describe('every kind of event', () => {
  it('is recorded along the registration and login flows', async () => {
    const ip = '192.0.2.10';
    const visitor = new Visitor(app, ip);
    const mobile = randomMobile();
    const username = randomUsername('Ev');

    await visitor.requestSmsCode(mobile, 'WXYZ'); // captcha_failed
    await visitor.requestSmsCode(mobile); // sms_sent
    await visitor.requestSmsCode(mobile); // sms_refused (the cooldown)
    const code = await readOutbox(app, mobile);
    const wrong = code === '000000' ? '111111' : '000000';
    const form = { username, password: PASSWORD, password_repeat: PASSWORD, mobile };
    await visitor.post('/api/user/register/', { ...form, sms_code: wrong }); // code_failed
    const registered = await visitor.post<{ id: number }>('/api/user/register/', { ...form, sms_code: code }); // register_ok
    const userId = registered.body.data?.id;
    await visitor.post('/api/user/login/', { account: username, password: PASSWORD }); // login_ok
    visitor.cookies.delete('device'); // from here on, a browser the account never used
    await visitor.post('/api/user/login/', { account: username, password: 'wrong password' }); // login_failed
    await visitor.post('/api/user/login/', { account: username, password: 'wrong password' }); // login_throttled
    await visitor.get(`/api/mobile/${randomMobile()}/`);
    await visitor.get(`/api/mobile/${randomMobile()}/`); // rate_limited

    const rows = await eventsOf(ip);
    expect(rows.map((r) => r.kind)).toEqual([
      'captcha_failed',
      'sms_sent',
      'sms_refused',
      'code_failed',
      'register_ok',
      'login_ok',
      'login_failed',
      'login_throttled',
      'rate_limited',
    ] satisfies EventKind[]);
    const byKind = Object.fromEntries(rows.map((r) => [r.kind, r]));
    expect(byKind.captcha_failed?.detail).toEqual({ door: 'image', reason: 'wrong' });
    expect(byKind.sms_sent?.detail).toEqual({ gateway: 'outbox', door: 'image' });
    expect(byKind.sms_refused?.detail).toEqual({ budget: 'cooldown', door: 'image' });
    expect(byKind.code_failed?.detail).toEqual({ attemptsLeft: 4 });
    expect(byKind.login_failed?.detail).toEqual({ reason: 'password' });
    expect(byKind.login_throttled?.detail).toEqual({ budget: 'pair' });
    expect(byKind.rate_limited?.detail).toEqual({ budget: 'availability', route: '/api/mobile/:mobile/' });
    for (const kind of ['register_ok', 'login_ok', 'login_failed', 'login_throttled']) expect(byKind[kind]?.userId).toBe(userId);
    for (const kind of ['sms_sent', 'sms_refused', 'code_failed', 'register_ok', 'login_ok']) {
      expect(byKind[kind]).toMatchObject({
        mobileHmac: hmac.mobile(mobile),
        mobileMasked: `${mobile.slice(0, 3)}****${mobile.slice(7)}`,
      });
    }
    // Nothing in the log is a plain address, number or secret.
    const text = JSON.stringify(rows, (_, v) => (typeof v === 'bigint' ? String(v) : v));
    for (const secret of [ip, mobile, code, PASSWORD, CAPTCHA]) expect(text).not.toContain(secret);
  });

  it('records an exhausted code', async () => {
    const ip = '192.0.2.11';
    const visitor = new Visitor(app, ip);
    const mobile = randomMobile();
    await visitor.requestSmsCode(mobile);
    const code = await readOutbox(app, mobile);
    const wrong = code === '000000' ? '111111' : '000000';
    const form = { username: randomUsername(), password: PASSWORD, password_repeat: PASSWORD, mobile, sms_code: wrong };
    for (let i = 0; i < 5; i++) await visitor.post('/api/user/register/', form);
    expect((await eventsOf(ip)).map((r) => r.kind)).toEqual(['sms_sent', ...Array(4).fill('code_failed'), 'code_exhausted']);
  });

  it('records an SMS the provider refused', async () => {
    const fake = await startFakeCcp();
    const ccpApp = await buildTestApp({ SMS_GATEWAY: 'ccp', ...fakeCcpEnv(fake.baseUrl) });
    try {
      fake.setMode('refuse');
      const ip = '192.0.2.12';
      expect((await new Visitor(ccpApp, ip).requestSmsCode(randomMobile())).status).toBe(502);
      await ccpApp.events.flush();
      const rows = await ccpApp.db.prisma.securityEvent.findMany({ where: { clientHmac: hmac.client(ip) } });
      expect(rows.map((r) => [r.kind, r.detail])).toEqual([
        ['sms_failed', { gateway: 'ccp', door: 'image', reason: 'rejected', providerCode: '160040' }],
      ]);
    } finally {
      await ccpApp.close();
      await fake.close();
    }
  });

  it('the table is append-only', async () => {
    const [row] = await eventsOf('192.0.2.10');
    await expect(app.db.prisma.securityEvent.update({ where: { id: row!.id }, data: { kind: 'login_ok' } })).rejects.toThrow(
      /append-only/,
    );
  });
});

function fakeCcpEnv(baseUrl: string) {
  const ccp = fakeCcpConfig(baseUrl);
  return {
    CCP_BASE_URL: ccp.baseUrl,
    CCP_ACCOUNT_SID: ccp.accountSid,
    CCP_AUTH_TOKEN: ccp.authToken,
    CCP_APP_ID: ccp.appId,
    CCP_TIMEOUT_MS: String(ccp.timeoutMs),
  };
}

describe('when PostgreSQL is down', () => {
  it('the request that records still gets its own answer, the events are dropped and counted, and writing resumes', async () => {
    const db = new URL(inject('databaseUrl'));
    const proxy = await startTcpProxy({ host: db.hostname, port: Number(db.port || 5432) });
    db.host = `127.0.0.1:${proxy.port}`;
    const cut = await buildTestApp({ DATABASE_URL: db.toString() });
    try {
      await proxy.cut();
      const ip = '192.0.2.20';
      const visitor = new Visitor(cut, ip);
      await visitor.get('/api/image_code/');
      const wrong = await visitor.post('/api/sms_code/', { mobile: randomMobile(), captcha: 'WXYZ' });
      expect(wrong.status).toBe(400); // captcha_failed was recorded; the database was not needed
      await cut.events.flush();
      expect(cut.events.stats()).toMatchObject({ dropped: 1, pending: 0 });

      await proxy.restore();
      await vi.waitFor(
        async () => {
          await visitor.get('/api/image_code/');
          await visitor.post('/api/sms_code/', { mobile: randomMobile(), captcha: 'WXYZ' });
          await cut.events.flush();
          expect(await cut.db.prisma.securityEvent.count({ where: { clientHmac: hmac.client(ip) } })).toBeGreaterThan(0);
        },
        { timeout: 10_000, interval: 200 },
      );
    } finally {
      await cut.close();
      await proxy.close();
    }
  });
});

describe('retention and the CLI', () => {
  it('deletes events older than SECURITY_EVENT_RETENTION_DAYS, and keeps the others', async () => {
    const past = manualClock(Date.now() - 91 * 86_400_000);
    const old = await buildTestApp({}, { clock: past });
    const ip = '192.0.2.30';
    old.events.record('login_failed', { client: ip, detail: { reason: 'old' } });
    await old.close(); // writes what is buffered
    app.events.record('login_failed', { client: ip, detail: { reason: 'recent' } });
    await app.events.flush();
    expect((await eventsOf(ip)).map((r) => r.detail)).toEqual([{ reason: 'old' }, { reason: 'recent' }]);

    const fresh = await buildTestApp({ SECURITY_EVENT_RETENTION_DAYS: '90' }); // prunes when ready
    try {
      await vi.waitFor(async () => expect((await eventsOf(ip)).map((r) => r.detail)).toEqual([{ reason: 'recent' }]));
    } finally {
      await fresh.close();
    }
  });

  it('`pnpm cli events` lists recent events by kind, mobile and time, and the SMS sent per hour', async () => {
    const mobile = randomMobile();
    const visitor = new Visitor(app, '192.0.2.40');
    await visitor.requestSmsCode(mobile);
    await visitor.requestSmsCode(mobile);
    await app.events.flush();

    const lines: string[] = [];
    const run = (args: string[]) =>
      eventsCommand(args, {
        repository: createEventsRepository(app.db.prisma),
        digest: createDigest(app.config.codeSecret),
        config: app.config.events,
        now: Date.now(),
        print: (line) => lines.push(line),
      });
    await run(['--mobile', mobile, '--since', '1h']);
    const masked = `${mobile.slice(0, 3)}****${mobile.slice(7)}`;
    const rows = lines.filter((l) => l.includes(masked));
    expect(rows.map((l) => l.split(/\s+/)[1])).toEqual(['sms_refused', 'sms_sent']); // newest first
    expect(lines.join('\n')).toMatch(/SMS sent per hour \(UTC\): 1 in all\n\d{4}-\d\d-\d\d \d\d:00 {2}1$/);

    lines.length = 0;
    await run(['--kind', 'sms_refused', '--limit', '1']);
    expect(lines.filter((l) => / sms_refused /.test(l))).toHaveLength(1);
    await expect(run(['--kind', 'nonsense'])).rejects.toThrow(/unknown nonsense/);
    await expect(run(['--since', 'yesterday-ish'])).rejects.toThrow(/--since/);
  });
});
