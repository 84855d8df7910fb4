// GET /api/metrics (Prometheus text) and the request id, through the real app: requests counted
// by route pattern, status and errno, SMS sends and refusals per budget, the token, production's
// default; the request id in a header on every kind of answer and on the request's log lines.
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { freePort } from './free-port.ts';
import { buildTestApp, PRODUCTION_ENV, randomMobile, testConfig, Visitor } from './helper.ts';
import { rawExchange } from './raw-http.ts';
import { startTcpProxy } from './tcp-proxy.ts';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The text exposition format, strictly: every line a comment, a blank, or `name{labels} value`. */
function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || /^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* /.test(line)) continue;
    // Values as Prometheus parses them (Go's ParseFloat: prom-client writes NaN as "Nan").
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?[0-9.e+-]+|nan|[+-]inf)$/i.exec(line);
    if (!match) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key as string] = value as string;
    }
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

const sampleOf = (samples: Sample[], name: string, labels: Record<string, string>) =>
  samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const PRODUCTION = PRODUCTION_ENV;

describe('GET /api/metrics', () => {
  let app: Awaited<ReturnType<typeof buildTestApp>>;
  beforeAll(async () => {
    app = await buildTestApp();
  });
  afterAll(() => app.close());

  const scrape = async () => {
    const res = await app.inject('/api/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return parseMetrics(res.body);
  };

  it('counts requests by route pattern, method, status and errno, with their latency', async () => {
    const route = '/api/username/:username/';
    const before = await scrape();
    const count = (s: Sample[], status: string, errno: string) =>
      sampleOf(s, 'http_requests_total', { route, method: 'GET', status, errno }) ?? 0;
    await app.inject('/api/username/alice_1/');
    await app.inject('/api/username/bob_smith/');
    await app.inject('/api/username/x/'); // too short: 400 PARAMERR
    await app.inject('/api/no/such/path/');
    const after = await scrape();
    expect(count(after, '200', '0') - count(before, '200', '0')).toBe(2);
    expect(count(after, '400', '4103') - count(before, '400', '4103')).toBe(1);
    // The pattern, never the URL: no series per username.
    expect(after.some((s) => JSON.stringify(s.labels).includes('alice_1'))).toBe(false);
    expect(sampleOf(after, 'http_requests_total', { route: '(unmatched)', status: '404', errno: '4002' })).toBeGreaterThan(0);
    const latency = (s: Sample[]) => sampleOf(s, 'http_request_duration_seconds_count', { route, method: 'GET' }) ?? 0;
    expect(latency(after) - latency(before)).toBe(3);
    expect(sampleOf(after, 'http_request_duration_seconds_bucket', { route, method: 'GET', le: '+Inf' })).toBe(latency(after));
    // Known series start at 0; the process's own figures are there, event-loop delay included.
    expect(sampleOf(after, 'backend_timeouts_total', { backend: 'postgres' })).toBe(0);
    expect(sampleOf(after, 'backend_timeouts_total', { backend: 'redis' })).toBe(0);
    expect(sampleOf(after, 'request_deadline_expired_total', {})).toBe(0);
    expect(after.some((s) => s.name === 'nodejs_eventloop_lag_seconds')).toBe(true);
    expect(after.some((s) => s.name === 'process_resident_memory_bytes')).toBe(true);
  });

  it('counts SMS sends and refusals per budget', async () => {
    const before = await scrape();
    const visitor = new Visitor(app);
    const mobile = randomMobile();
    expect((await visitor.requestSmsCode(mobile)).status).toBe(200);
    expect((await visitor.requestSmsCode(mobile)).status).toBe(429); // the 60 s cooldown
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>) =>
      (sampleOf(after, name, labels) ?? 0) - (sampleOf(before, name, labels) ?? 0);
    expect(delta('sms_sends_total', { outcome: 'sent' })).toBe(1);
    expect(delta('sms_refusals_total', { budget: 'cooldown' })).toBe(1);
    expect(sampleOf(after, 'sms_refusals_total', { budget: 'global_day' })).toBe(0);
    expect(delta('http_requests_total', { route: '/api/sms_code/', method: 'POST', status: '429', errno: '4201' })).toBe(1);
  });

  it('counts refusals of the per-client limits by budget', async () => {
    const limited = await buildTestApp({ AVAILABILITY_LIMIT_MAX: '1' });
    try {
      await limited.inject('/api/username/alice_1/');
      expect((await limited.inject('/api/username/alice_1/')).statusCode).toBe(429);
      const samples = parseMetrics((await limited.inject('/api/metrics')).body);
      expect(sampleOf(samples, 'rate_limit_refusals_total', { budget: 'availability' })).toBe(1);
    } finally {
      await limited.close();
    }
  });
});

describe('backend timeouts', () => {
  it('are counted per backend: a stalled PostgreSQL, a stalled Redis', async () => {
    const dbUrl = new URL(inject('databaseUrl'));
    const redisUrl = new URL(inject('redisUrl'));
    const pg = await startTcpProxy({ host: dbUrl.hostname, port: Number(dbUrl.port || 5432) });
    const redis = await startTcpProxy({ host: redisUrl.hostname, port: Number(redisUrl.port || 6379) });
    dbUrl.host = `127.0.0.1:${pg.port}`;
    redisUrl.host = `127.0.0.1:${redis.port}`;
    const app = await buildTestApp({
      DATABASE_URL: dbUrl.toString(),
      REDIS_URL: redisUrl.toString(),
      DATABASE_CONNECT_TIMEOUT_MS: '300',
      DATABASE_QUERY_TIMEOUT_MS: '300',
      DATABASE_STATEMENT_TIMEOUT_MS: '300',
      REDIS_CONNECT_TIMEOUT_MS: '300',
      REDIS_COMMAND_TIMEOUT_MS: '300',
    });
    try {
      // Until both connections are up (the API starts with its backends still connecting).
      for (let i = 0; i < 40 && (await app.inject('/api/username/alice_1/')).statusCode !== 200; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const before = parseMetrics((await app.inject('/api/metrics')).body);
      await pg.setMode('hold');
      const slowDb = await app.inject('/api/username/alice_1/');
      expect(slowDb.json()).toMatchObject({ errno: '4001' });
      await pg.setMode('pass');
      await redis.setMode('hold');
      expect((await app.inject('/api/image_code/')).statusCode).toBe(503);
      await redis.setMode('pass');
      const after = parseMetrics((await app.inject('/api/metrics')).body);
      const delta = (name: string, labels: Record<string, string>) =>
        (sampleOf(after, name, labels) ?? 0) - (sampleOf(before, name, labels) ?? 0);
      expect(delta('backend_timeouts_total', { backend: 'postgres' })).toBe(1);
      expect(delta('backend_timeouts_total', { backend: 'redis' })).toBeGreaterThanOrEqual(1);
      expect(delta('http_requests_total', { route: '/api/username/:username/', status: '503', errno: '4001' })).toBe(1);
    } finally {
      await app.close();
      await pg.close();
      await redis.close();
    }
  });
});

describe('WEB_CONCURRENCY=2', () => {
  /** A GET on a connection of its own: the primary hands each connection to the next worker. */
  const get = (url: string) =>
    new Promise<string>((resolve, reject) => {
      http
        .get(url, { agent: false }, (res) => {
          let body = '';
          res.on('data', (chunk) => {
            body += chunk;
          });
          res.on('end', () => resolve(body));
        })
        .on('error', reject);
    });

  it("answers every scrape with the sum of every worker's counts", async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['src/server.ts'], {
      cwd: path.resolve(import.meta.dirname, '..'),
      env: {
        ...process.env,
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        PORT: String(port),
        WEB_CONCURRENCY: '2',
        CAPTCHA_RENDER_THREADS: '0',
        DATABASE_URL: inject('databaseUrl'),
        REDIS_URL: inject('redisUrl'),
        REDIS_KEY_PREFIX: testConfig().redis.keyPrefix,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const base = `http://127.0.0.1:${port}/api`;
    try {
      // Both workers up: a dozen connections in a row get answers.
      await vi.waitFor(
        async () => {
          for (let i = 0; i < 12; i++) expect(await get(`${base}/healthz`)).toContain('"errno":"0"');
        },
        { timeout: 30_000, interval: 200 },
      );
      const healthz = async () =>
        sampleOf(parseMetrics(await get(`${base}/metrics`)), 'http_requests_total', { route: '/api/healthz', status: '200' });
      const before = await healthz();
      for (let i = 0; i < 20; i++) await get(`${base}/healthz`);
      // Each scrape reaches one worker or the other: every one says the whole count.
      for (let i = 0; i < 4; i++) expect(await healthz()).toBe((before ?? 0) + 20);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  }, 60_000);
});

describe('the metrics token', () => {
  const token = 't'.repeat(40);
  let app: Awaited<ReturnType<typeof buildTestApp>>;
  beforeAll(async () => {
    app = await buildTestApp({ METRICS_TOKEN: token });
  });
  afterAll(() => app.close());

  it('is required: without it, or with another, the answer is that of an unknown path', async () => {
    const unknown = await app.inject('/api/no-such-path');
    for (const authorization of [undefined, 'Bearer wrong', `Bearer ${token}x`, token, `Basic ${token}`]) {
      const res = await app.inject({ url: '/api/metrics', headers: authorization ? { authorization } : {} });
      expect(res.statusCode, authorization).toBe(404);
      expect(res.json()).toEqual(unknown.json());
    }
    const res = await app.inject({ url: '/api/metrics', headers: { authorization: `Bearer ${token}` } });
    expect(res.statusCode).toBe(200);
    expect(parseMetrics(res.body).length).toBeGreaterThan(10);
  });

  it('is needed behind a proxy too: with TRUST_PROXY set, a loopback API without one serves none', async () => {
    // The repository's nginx passes /api/ on to a loopback API: loopback is then no longer private.
    for (const TRUST_PROXY of ['1', '127.0.0.1', '0']) {
      const proxied = await buildTestApp({ TRUST_PROXY });
      try {
        const res = await proxied.inject('/api/metrics');
        expect(res.statusCode, TRUST_PROXY).toBe(404);
        expect(res.json()).toEqual((await proxied.inject('/api/no-such-path')).json());
      } finally {
        await proxied.close();
      }
    }
    const withToken = await buildTestApp({ TRUST_PROXY: '1', METRICS_TOKEN: token });
    try {
      expect((await withToken.inject('/api/metrics')).statusCode).toBe(404);
      const res = await withToken.inject({ url: '/api/metrics', headers: { authorization: `Bearer ${token}` } });
      expect(res.statusCode).toBe(200);
    } finally {
      await withToken.close();
    }
  });

  it('is how production serves metrics at all: without one they are off', async () => {
    const production = await buildTestApp(PRODUCTION);
    try {
      expect((await production.inject('/api/metrics')).statusCode).toBe(404);
    } finally {
      await production.close();
    }
    const withToken = await buildTestApp({ ...PRODUCTION, METRICS_TOKEN: token });
    try {
      const res = await withToken.inject({ url: '/api/metrics', headers: { authorization: `Bearer ${token}` } });
      expect(res.statusCode).toBe(200);
    } finally {
      await withToken.close();
    }
  });
});

describe('the request id', () => {
  const lines: Record<string, unknown>[] = [];
  let app: Awaited<ReturnType<typeof buildTestApp>>;
  beforeAll(async () => {
    app = await buildTestApp({ LOG_LEVEL: 'info' }, { logStream: { write: (line) => void lines.push(JSON.parse(line)) } });
  });
  afterAll(() => app.close());

  it('is in a header of every answer and on the log lines of its request', async () => {
    const answers = [
      await app.inject('/api/username/alice_1/'), // 200
      await app.inject('/api/no/such/path/'), // 404
      await app.inject('/api/username/x/'), // 400, a validation error
      await app.inject({ method: 'PUT', url: '/api/sms_code/' }), // 405
      await app.inject({
        method: 'POST',
        url: '/api/sms_code/',
        payload: '{"mobile":',
        headers: { 'content-type': 'application/json' },
      }), // 400 malformed
      await app.inject('/api/%E0%A4%A'), // a malformed URL, refused before any route
    ];
    expect(answers.map((a) => a.statusCode)).toEqual([200, 404, 400, 405, 400, 400]);
    const ids = answers.map((a) => String(a.headers['x-request-id']));
    for (const id of ids) expect(id).toMatch(UUID);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids.slice(0, 5)) {
      const logged = lines.filter((line) => line.reqId === id).map((line) => line.msg);
      expect(logged, id).toEqual(expect.arrayContaining(['incoming request', 'request completed']));
    }
  });

  it("is on the answers Node's parser writes before there is a request, too", async () => {
    for (const request of [
      'POST /api/sms_code/ HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n', // 400 from the parser
      `GET /api/health/ HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, // 431
      'POST /api/user/login/ HTTP/1.1\r\nHost: x\r\nExpect: something\r\nContent-Length: 0\r\n\r\n', // 417
      'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', // 405
    ]) {
      const raw = await rawExchange(app, request);
      const id = /\r\nx-request-id: ([^\r]+)\r\n/i.exec(raw.slice(0, raw.indexOf('\r\n\r\n') + 2))?.[1];
      expect(id, raw.slice(0, 40)).toMatch(UUID);
    }
  });

  it("is a client's own only behind a trusted proxy, and only when short and plain", async () => {
    const header = { 'x-request-id': 'proxy-id-123' };
    expect((await app.inject({ url: '/api/healthz', headers: header })).headers['x-request-id']).toMatch(UUID);
    const proxied = await buildTestApp({ TRUST_PROXY: '127.0.0.1' });
    try {
      expect((await proxied.inject({ url: '/api/healthz', headers: header })).headers['x-request-id']).toBe('proxy-id-123');
      for (const bad of ['a'.repeat(65), 'with space', 'line\\nbreak', '']) {
        const res = await proxied.inject({ url: '/api/healthz', headers: { 'x-request-id': bad } });
        expect(res.headers['x-request-id'], bad).toMatch(UUID);
      }
    } finally {
      await proxied.close();
    }
  });

  it("is a client's own only when the connection comes from a proxy TRUST_PROXY trusts", async () => {
    const id = 'victim-id-1234';
    const idFrom = async (instance: typeof app, remoteAddress: string) =>
      (await instance.inject({ url: '/api/healthz', headers: { 'x-request-id': id }, remoteAddress })).headers['x-request-id'];
    const logged: Record<string, unknown>[] = [];
    const listed = await buildTestApp(
      { TRUST_PROXY: '10.9.9.9, 10.1.0.0/16', LOG_LEVEL: 'info' },
      { logStream: { write: (line) => void logged.push(JSON.parse(line)) } },
    );
    try {
      // A direct connection from anyone the list does not name: the id is ours, not the client's.
      for (const peer of ['127.0.0.1', '10.9.9.8', '10.2.0.1', '::1']) expect(await idFrom(listed, peer), peer).toMatch(UUID);
      for (const peer of ['10.9.9.9', '10.1.200.3', '::ffff:10.9.9.9']) expect(await idFrom(listed, peer), peer).toBe(id);
      // Over a real socket, as curl would connect (127.0.0.1 is not 10.9.9.9).
      const address = await listed.listen({ port: 0, host: '127.0.0.1' });
      const direct = await new Promise<http.IncomingMessage>((resolve, reject) =>
        http.get(`${address}/api/healthz`, { headers: { 'x-request-id': id }, agent: false }, resolve).on('error', reject),
      );
      direct.resume();
      const given = String(direct.headers['x-request-id']);
      expect(given).toMatch(UUID);
      await vi.waitFor(() => expect(logged.some((line) => line.reqId === given && line.msg === 'request completed')).toBe(true));
      // Nor is it written into the logs as a request's id, for any of the untrusted peers.
      const untrusted = logged.filter((line) => line.msg === 'incoming request' && line.reqId === id);
      expect(untrusted.map((line) => (line.req as { remoteAddress?: string }).remoteAddress).sort()).toEqual(
        ['10.1.200.3', '10.9.9.9', '::ffff:10.9.9.9'].sort(),
      );
    } finally {
      await listed.close();
    }
    // A hop count trusts the immediate peer, whoever it is (the proxy in front), as Fastify does; 0 hops trusts none.
    const hop = await buildTestApp({ TRUST_PROXY: '1' });
    const none = await buildTestApp({ TRUST_PROXY: '0' });
    try {
      expect(await idFrom(hop, '192.0.2.7')).toBe(id);
      expect(await idFrom(none, '127.0.0.1')).toMatch(UUID);
    } finally {
      await hop.close();
      await none.close();
    }
  });
});
