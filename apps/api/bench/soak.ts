// `pnpm bench:soak`: the whole registration flow from many simulated clients, for a while, on
// real PostgreSQL and Redis, optionally cutting one of them for a few seconds in the middle.
// A measurement, not a test: it reports what happened.
//
//   SOAK_SECONDS=60        how long the clients run
//   SOAK_CLIENTS=20        concurrent clients (each: captcha, SMS code, register, /me, again)
//   SOAK_CUT=none          none | redis | postgres: cut that backend in the middle of the run
//   SOAK_CUT_SECONDS=5     for how long
//
// Reported: answers by errno, 5xx answers, users created against registrations answered as
// successful (they must be equal: nothing half-done), and the API's memory at start and end.
import { fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { startTcpProxy } from '../test/tcp-proxy.ts';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 60);
const CLIENTS = Number(process.env.SOAK_CLIENTS ?? 20);
const CUT = (process.env.SOAK_CUT ?? 'none') as 'none' | 'redis' | 'postgres';
const CUT_SECONDS = Number(process.env.SOAK_CUT_SECONDS ?? 5);
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PORT = '3918';
const RUN = `soak${Date.now().toString(36)}`;
/** Mobiles of this run start at a random point, so runs do not collide with earlier users. */
const MOBILE_OFFSET = Math.floor(Math.random() * 1e9);

const db = new URL(DATABASE_URL);
const redis = new URL(REDIS_URL);
const pgProxy = await startTcpProxy({ host: db.hostname, port: Number(db.port || 5432) });
const redisProxy = await startTcpProxy({ host: redis.hostname, port: Number(redis.port || 6379) });
db.host = `127.0.0.1:${pgProxy.port}`;
redis.host = `127.0.0.1:${redisProxy.port}`;

const api = fork(path.resolve(import.meta.dirname, '../src/server.ts'), {
  env: {
    ...process.env,
    NODE_ENV: 'test',
    DATABASE_URL: db.toString(),
    REDIS_URL: redis.toString(),
    PORT,
    LOG_LEVEL: 'warn',
    REDIS_KEY_PREFIX: `${RUN}:`,
    CAPTCHA_TEST_TEXT: 'ABCD',
    SMS_GATEWAY: 'outbox',
    // One address plays every client: the per-client limits would measure themselves.
    RATE_LIMIT_MAX: '100000000',
    CAPTCHA_LIMIT_MAX: '100000000',
    SMS_LIMIT_MAX: '100000000',
    SMS_PER_BLOCK_PER_HOUR: '1000000',
    SMS_GLOBAL_PER_HOUR: '100000000',
    SMS_GLOBAL_PER_DAY: '100000000',
  },
  stdio: 'inherit',
});
const base = `http://127.0.0.1:${PORT}/api`;

function rssMb(pid: number | undefined): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

const byErrno = new Map<string, number>();
let serverErrors = 0;
let transportErrors = 0;
const registered = new Set<string>();

/** One request, counted by its answer's errno (or "transport" when no answer came). */
async function call(route: string, jar: Map<string, string>, body?: object) {
  try {
    const res = await fetch(`${base}${route}`, {
      method: body ? 'POST' : 'GET',
      headers: {
        ...(body ? { 'content-type': 'application/json' } : {}),
        ...(jar.size ? { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(10_000),
    });
    for (const cookie of res.headers.getSetCookie()) {
      const [pair = ''] = cookie.split(';');
      jar.set(pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1));
    }
    if (res.status >= 500) serverErrors++;
    if (!(res.headers.get('content-type') ?? '').startsWith('application/json')) {
      await res.arrayBuffer();
      byErrno.set(`${res.status} (image)`, (byErrno.get(`${res.status} (image)`) ?? 0) + 1);
      return { status: res.status, errno: '0', data: null };
    }
    const envelope = (await res.json()) as { errno: string; data: Record<string, unknown> | null };
    byErrno.set(envelope.errno, (byErrno.get(envelope.errno) ?? 0) + 1);
    return { status: res.status, errno: envelope.errno, data: envelope.data };
  } catch {
    transportErrors++;
    return { status: 0, errno: 'transport', data: null };
  }
}

let seq = 0;
async function client(id: number, until: number) {
  while (Date.now() < until) {
    const jar = new Map<string, string>();
    const n = ++seq;
    const mobile = `1${3 + (id % 7)}${String((MOBILE_OFFSET + n) % 1e9).padStart(9, '0')}`;
    const username = `${RUN}_${n}`;
    if ((await call('/image_code/', jar)).status !== 200) continue;
    if ((await call('/sms_code/', jar, { mobile, captcha: 'ABCD' })).errno !== '0') continue;
    const outbox = await call(`/__dev/sms/${mobile}/`, jar);
    const code = String(outbox.data?.code ?? '');
    const password = 'correct horse battery';
    // A visitor told 503 (or given no answer) presses the button again, as people do.
    for (let attempt = 0; attempt < 8; attempt++) {
      const res = await call('/user/register/', jar, { username, password, password_repeat: password, mobile, sms_code: code });
      if (res.errno === '0') registered.add(username);
      if (res.status > 0 && res.status < 500) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    await call('/user/me/', jar);
  }
}

try {
  for (let i = 0; i < 200; i++) {
    if (
      await fetch(`${base}/readyz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const rssStart = rssMb(api.pid);
  const until = Date.now() + SECONDS * 1000;
  const clients = Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i, until)));
  if (CUT !== 'none') {
    await new Promise((r) => setTimeout(r, (SECONDS * 1000) / 2 - (CUT_SECONDS * 1000) / 2));
    const proxy = CUT === 'redis' ? redisProxy : pgProxy;
    console.log(`soak: cutting ${CUT} for ${CUT_SECONDS} s`);
    await proxy.cut();
    await new Promise((r) => setTimeout(r, CUT_SECONDS * 1000));
    await proxy.restore();
    console.log(`soak: ${CUT} is back`);
  }
  await clients;
  const rssEnd = rssMb(api.pid);

  const check = new pg.Client({ connectionString: DATABASE_URL });
  await check.connect();
  const created = Number(
    (await check.query('SELECT count(*) FROM tb_user WHERE username LIKE $1', [`${RUN}\\_%`])).rows[0].count,
  );
  await check.end();

  const total = [...byErrno.values()].reduce((a, b) => a + b, 0) + transportErrors;
  const lines = [
    `# Soak (${new Date().toISOString()}): ${CLIENTS} clients, ${SECONDS} s, cut: ${CUT}${CUT === 'none' ? '' : ` for ${CUT_SECONDS} s`}`,
    '',
    `requests: ${total} (${(total / SECONDS).toFixed(0)}/s), 5xx answers: ${serverErrors}, no answer: ${transportErrors}`,
    '',
    '| errno | answers |',
    '|---|---|',
    ...[...byErrno].sort(([a], [b]) => a.localeCompare(b)).map(([errno, count]) => `| ${errno} | ${count} |`),
    '',
    `registrations answered as successful: ${registered.size}; users created: ${created} (${registered.size === created ? 'equal' : 'NOT EQUAL'})`,
    `API memory (RSS): ${rssStart.toFixed(0)} MB at start, ${rssEnd.toFixed(0)} MB at end`,
  ];
  console.log(lines.join('\n'));
  fs.writeFileSync(path.resolve(import.meta.dirname, 'soak-results.md'), `${lines.join('\n')}\n`);
  if (registered.size !== created) process.exitCode = 1;
} finally {
  api.kill('SIGTERM');
  await new Promise((r) => api.once('exit', r));
  await pgProxy.close();
  await redisProxy.close();
}
