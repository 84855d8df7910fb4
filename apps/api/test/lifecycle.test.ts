// The process around the app: a real `node src/server.ts` taking SIGTERM with requests in flight,
// starting while its backends are down, and an overloaded event loop answering 503s.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, describe, expect, inject, it, vi } from 'vitest';
import { freePort } from './free-port.ts';
import { buildTestApp, testConfig, Visitor } from './helper.ts';
import { startTcpProxy } from './tcp-proxy.ts';

const API_DIR = path.resolve(import.meta.dirname, '..');

/** Starts the API as production would, on this run's servers (env overrides test config). */
async function startServer(env: Record<string, string>, options: { port?: number; detached?: boolean; ready?: boolean } = {}) {
  const port = options.port ?? (await freePort());
  const config = testConfig();
  const child = spawn(process.execPath, ['src/server.ts'], {
    cwd: API_DIR,
    env: {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      PORT: String(port),
      DATABASE_URL: inject('databaseUrl'),
      REDIS_URL: inject('redisUrl'),
      REDIS_KEY_PREFIX: config.redis.keyPrefix,
      CAPTCHA_TEST_TEXT: 'ABCD',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
    // Its own process group, as a service manager starts it (signals can go to the whole group).
    detached: options.detached ?? false,
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const base = `http://127.0.0.1:${port}`;
  if (options.ready === false) return { child, base, port, exited };
  await vi.waitFor(async () => expect((await fetch(`${base}/api/healthz`)).status).toBe(200), { timeout: 20_000, interval: 100 });
  return { child, base, port, exited };
}

/** A GET on a given agent, resolving with the complete answer or the socket error. */
function get(url: string, agent: http.Agent) {
  return new Promise<
    { status: number; body: string; connection?: string; cacheControl?: string; csp?: string } | { error: string }
  >((resolve) => {
    http
      .get(url, { agent }, (res) => {
        let body = '';
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body,
            connection: res.headers.connection,
            cacheControl: res.headers['cache-control'],
            csp: String(res.headers['content-security-policy'] ?? ''),
          }),
        );
        res.on('error', (e) => resolve({ error: e.message }));
      })
      .on('error', (e) => resolve({ error: (e as NodeJS.ErrnoException).code ?? e.message }));
  });
}

const running: ChildProcess[] = [];
afterAll(() => {
  for (const child of running) child.kill('SIGKILL');
});

describe('SIGTERM with requests in flight', () => {
  it('answers all of them completely, answers late arrivals with a 503 envelope, and exits 0', async () => {
    // Every database round trip takes 300 ms (150 each way), so the requests are still in flight
    // at SIGTERM; the pool of 10 runs them in two waves.
    const db = new URL(inject('databaseUrl'));
    const proxy = await startTcpProxy({ host: db.hostname, port: Number(db.port || 5432) });
    db.host = `127.0.0.1:${proxy.port}`;
    const server = await startServer({ DATABASE_URL: db.toString() });
    running.push(server.child);
    try {
      // Warm the pool in pass mode first: opening connections through a slow path would take longer
      // than the connect timeout, and this test is about shutting down, not about slow backends.
      await Promise.all(Array.from({ length: 20 }, (_, i) => fetch(`${server.base}/api/username/warm_${i}/`)));
      await proxy.setMode('slow', { delayMs: 150 });
      const agents = Array.from({ length: 20 }, () => new http.Agent({ keepAlive: true, maxSockets: 1 }));
      const inFlight = agents.map((agent, i) => get(`${server.base}/api/username/inflight_${i}/`, agent));
      // A second request queued on the first agent's connection reaches the server after SIGTERM.
      const late = get(`${server.base}/api/username/late_one/`, agents[0] as http.Agent);
      await new Promise((resolve) => setTimeout(resolve, 100));
      server.child.kill('SIGTERM');

      const answers = await Promise.all(inFlight);
      expect(answers.filter((a) => 'error' in a)).toEqual([]);
      for (const answer of answers) {
        expect(answer).toMatchObject({ status: 200 });
        expect(JSON.parse((answer as { body: string }).body)).toMatchObject({ errno: '0', data: { count: 0 } });
      }
      const lateAnswer = await late;
      // Refused by an early hook, it still carries every security header and no-store.
      expect(lateAnswer).toMatchObject({ status: 503, connection: 'close', cacheControl: 'no-store', csp: expect.any(String) });
      expect(JSON.parse((lateAnswer as { body: string }).body)).toEqual({
        errno: '4500',
        errmsg: 'The service is restarting, please retry.',
        data: { retryAfter: 1 },
      });
      expect(await server.exited).toBe(0);
      for (const agent of agents) agent.destroy();
    } finally {
      await proxy.close();
    }
  });
});

/** A process's children, from /proc (Linux). */
function childrenOf(pid: number): number[] {
  const text = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  return text ? text.split(/\s+/).map(Number) : [];
}

describe('WEB_CONCURRENCY=2 (node:cluster)', () => {
  it('serves one port from two workers, replaces one that dies, and drains both on SIGTERM to the primary', async () => {
    const db = new URL(inject('databaseUrl'));
    const proxy = await startTcpProxy({ host: db.hostname, port: Number(db.port || 5432) });
    db.host = `127.0.0.1:${proxy.port}`;
    const server = await startServer({ WEB_CONCURRENCY: '2', DATABASE_URL: db.toString() }, { detached: true });
    running.push(server.child);
    const primary = server.child.pid ?? 0;
    try {
      await vi.waitFor(() => expect(childrenOf(primary)).toHaveLength(2), { timeout: 20_000, interval: 100 });
      const [first = 0] = childrenOf(primary);
      // One worker dies: the other goes on serving, and the primary starts a replacement.
      process.kill(first, 'SIGKILL');
      // (A connection the dead worker held may fail: each ask has its own short timeout.)
      const status = (route: string) =>
        fetch(`${server.base}${route}`, { signal: AbortSignal.timeout(2000) }).then(
          (r) => r.status,
          () => 0,
        );
      await vi.waitFor(async () => expect(await status('/api/healthz')).toBe(200), { timeout: 10_000, interval: 100 });
      await vi.waitFor(
        async () => {
          const now = childrenOf(primary);
          expect(now).toHaveLength(2);
          expect(now).not.toContain(first);
          expect(await status('/api/readyz')).toBe(200);
        },
        { timeout: 20_000, interval: 200 },
      );
      // Requests in flight on both workers at SIGTERM all finish; then the primary exits 0.
      await Promise.all(Array.from({ length: 20 }, (_, i) => fetch(`${server.base}/api/username/warm_${i}/`)));
      await proxy.setMode('slow', { delayMs: 150 });
      const agents = Array.from({ length: 20 }, () => new http.Agent({ keepAlive: true, maxSockets: 1 }));
      const inFlight = agents.map((agent, i) => get(`${server.base}/api/username/cluster_${i}/`, agent));
      await new Promise((resolve) => setTimeout(resolve, 100));
      const workers = childrenOf(primary);
      // To the whole process group, as systemd's control-group kill does: each worker stops once.
      process.kill(-primary, 'SIGTERM');
      const answers = await Promise.all(inFlight);
      expect(answers.filter((a) => 'error' in a)).toEqual([]);
      for (const answer of answers) expect(answer).toMatchObject({ status: 200 });
      expect(await server.exited).toBe(0);
      for (const pid of workers) expect(fs.existsSync(`/proc/${pid}`)).toBe(false);
      for (const agent of agents) agent.destroy();
    } finally {
      await proxy.close();
    }
  }, 60_000);
});

describe('WEB_CONCURRENCY=2 when no worker can start', () => {
  it('gives up with exit 1 instead of re-forking forever or exiting 0', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      const server = await startServer({ WEB_CONCURRENCY: '2', SHUTDOWN_GRACE_MS: '1000' }, { port, ready: false });
      running.push(server.child);
      expect(await server.exited).toBe(1);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  }, 60_000);
});

describe('draining on SIGTERM (SHUTDOWN_DRAIN_MS)', () => {
  it('reports not ready while still serving, closes connections after their answers, then exits 0', async () => {
    const server = await startServer({ SHUTDOWN_DRAIN_MS: '1500' });
    running.push(server.child);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expect(await get(`${server.base}/api/readyz`, agent)).toMatchObject({ status: 200 });
      server.child.kill('SIGTERM');
      // A load balancer polling readiness stops sending traffic...
      await vi.waitFor(async () => expect(await get(`${server.base}/api/readyz`, agent)).toMatchObject({ status: 503 }), {
        timeout: 1000,
        interval: 20,
      });
      // ...while whatever still arrives is served, and its client told to reconnect elsewhere.
      const served = await get(`${server.base}/api/username/draining_1/`, agent);
      expect(served).toMatchObject({ status: 200, connection: 'close' });
      expect(JSON.parse((served as { body: string }).body)).toMatchObject({ errno: '0', data: { count: 0 } });
      expect(await server.exited).toBe(0);
    } finally {
      agent.destroy();
    }
  });
});

describe('starting', () => {
  it('starts with Redis and PostgreSQL down, reports not ready, and serves once they are back', async () => {
    const db = new URL(inject('databaseUrl'));
    const redis = new URL(inject('redisUrl'));
    const pgProxy = await startTcpProxy({ host: db.hostname, port: Number(db.port || 5432) });
    const redisProxy = await startTcpProxy({ host: redis.hostname, port: Number(redis.port || 6379) });
    db.host = `127.0.0.1:${pgProxy.port}`;
    redis.host = `127.0.0.1:${redisProxy.port}`;
    await pgProxy.cut();
    await redisProxy.cut();
    const server = await startServer({ DATABASE_URL: db.toString(), REDIS_URL: redis.toString() });
    running.push(server.child);
    try {
      const ready = await fetch(`${server.base}/api/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ errno: '4500', data: { database: 'down', store: 'down' } });
      expect((await fetch(`${server.base}/api/username/nobody_1/`)).status).toBe(503);
      await pgProxy.restore();
      await redisProxy.restore();
      await vi.waitFor(async () => expect((await fetch(`${server.base}/api/readyz`)).status).toBe(200), {
        timeout: 5000,
        interval: 100,
      });
      expect((await fetch(`${server.base}/api/username/nobody_1/`)).status).toBe(200);
      expect((await fetch(`${server.base}/api/image_code/`)).status).toBe(200);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
      await pgProxy.close();
      await redisProxy.close();
    }
  });
});

describe('an overloaded event loop', () => {
  let app: FastifyInstance;
  afterAll(() => app?.close());

  it('answers 503 with Retry-After instead of queueing, keeps the liveness route, and recovers', async () => {
    app = await buildTestApp({ MAX_EVENT_LOOP_DELAY_MS: '20', PRESSURE_SAMPLE_INTERVAL_MS: '200' });
    const end = Date.now() + 400;
    while (Date.now() < end) {} // the event loop is stuck for 400 ms
    await vi.waitFor(
      async () => {
        const busy = await new Visitor(app).get('/api/username/busy_one/');
        expect(busy.status).toBe(503);
        expect(busy.body).toEqual({
          errno: '4500',
          errmsg: 'The service is very busy right now, please retry in a moment.',
          data: { retryAfter: 1 },
        });
        // The health routes answer a report of their own with 503 too; a refusal before their
        // handler must still be the error envelope (it once failed their response schema).
        const ready = await new Visitor(app).get('/api/readyz');
        expect(ready.status).toBe(503);
        expect(ready.body).toMatchObject({ errno: '4500', data: { retryAfter: 1 } });
      },
      { timeout: 1000, interval: 10 },
    );
    expect((await new Visitor(app).get('/api/healthz')).status).toBe(200);
    await vi.waitFor(async () => expect((await new Visitor(app).get('/api/username/calm_one/')).status).toBe(200), {
      timeout: 5000,
    });
  });
});

describe('closing with a handler still running', () => {
  /** An app whose availability check waits at `gate`, after its Redis budget, before its query. */
  async function appWithGate(env: Record<string, string> = {}) {
    let entered!: () => void;
    const reached = new Promise<void>((resolve) => (entered = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const outcome: { count?: number; error?: string } = {};
    const app = await buildTestApp(env, {
      seams: {
        usersRepository: (repository) => ({
          ...repository,
          countByUsername: async (username) => {
            entered();
            await gate;
            try {
              outcome.count = await repository.countByUsername(username);
              return outcome.count;
            } catch (error) {
              outcome.error = (error as Error).message;
              throw error;
            }
          },
        }),
      },
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as net.AddressInfo;
    return { app, port, reached, release, outcome };
  }
  /** Closes the app; resolves whether it had closed 100 ms later, and the close itself. */
  async function closeAndLook(app: FastifyInstance) {
    let closed = false;
    const closing = app.close().then(() => {
      closed = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    return { closedEarly: closed, closing };
  }
  const connect = (port: number) =>
    new Promise<string>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    });

  it('for a client that has left: waits for it before closing the pools, so its next step still reaches the database', async () => {
    const { app, port, reached, release, outcome } = await appWithGate();
    const client = http.get(`http://127.0.0.1:${port}/api/username/left_early/`);
    client.on('error', () => {});
    await reached;
    client.destroy(); // the visitor leaves; the handler goes on
    const { closedEarly, closing } = await closeAndLook(app);
    expect(closedEarly).toBe(false);
    // Meanwhile the port takes no new connection: a balancer's next try goes elsewhere at once.
    expect(await connect(port)).toBe('ECONNREFUSED');
    release();
    await closing;
    expect(outcome).toEqual({ count: 0 });
  });

  it('after the deadline has answered: waits for it too', async () => {
    const { app, port, reached, release, outcome } = await appWithGate({
      REQUEST_DEADLINE_MS: '400',
      DATABASE_CONNECT_TIMEOUT_MS: '300',
      DATABASE_QUERY_TIMEOUT_MS: '300',
      DATABASE_STATEMENT_TIMEOUT_MS: '300',
      REDIS_CONNECT_TIMEOUT_MS: '300',
      REDIS_COMMAND_TIMEOUT_MS: '300',
    });
    const answer = get(`http://127.0.0.1:${port}/api/username/late_one/`, new http.Agent());
    await reached;
    expect(await answer).toMatchObject({ status: 503 }); // the deadline's answer; the handler still waits
    const { closedEarly, closing } = await closeAndLook(app);
    expect(closedEarly).toBe(false);
    release();
    await closing;
    expect(outcome).toEqual({ count: 0 });
  });
});
