// `pnpm bench:soak`: the whole registration flow from many simulated clients, for a while, on
// real PostgreSQL and Redis, optionally cutting one of them for a few seconds in the middle.
// A measurement, not a test: it reports what happened.
//
//   SOAK_SECONDS=60        how long the clients run
//   SOAK_CLIENTS=20        concurrent clients (each: captcha, SMS code, register, /me, again)
//   SOAK_CUT=none          none | redis | postgres: cut that backend in the middle of the run
//   SOAK_CUT_SECONDS=5     for how long
//
// Reported: answers by route and errno, 5xx answers, users created against registrations
// answered as successful (they must be equal: nothing half-done), registrations answered 5xx
// while their user already existed (checked at once, on a direct connection, before the visitor
// presses again: a retry must not hide a lie), SMS requests answered 503 that left the number in
// its cooldown, and the API's memory at start and end.
import { fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { buildApi } from '../../../scripts/build-api.ts';
import { applyMigrations, postgresMigrationAdapter } from '../src/db/migrate.ts';
import { API_RUNTIME, BUILT_API } from '../src/runtime.ts';
import { httpVisitor } from '../test/http-visitor.ts';
import { startTcpProxy } from '../test/tcp-proxy.ts';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 60);
const CLIENTS = Number(process.env.SOAK_CLIENTS ?? 20);
const CUT = (process.env.SOAK_CUT ?? 'none') as 'none' | 'redis' | 'postgres';
const CUT_SECONDS = Number(process.env.SOAK_CUT_SECONDS ?? 5);
const ADMIN_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PORT = '3918';
const RUN = `soak${Date.now().toString(36)}`;
/** Mobiles of this run start at a random point, so runs do not collide with earlier users. */
const MOBILE_OFFSET = Math.floor(Math.random() * 1e9);

// The run gets its own database (migrated, dropped at the end) and Redis key prefix.
const admin = new pg.Client({ connectionString: ADMIN_URL });
await admin.connect();
await admin.query(`CREATE DATABASE "${RUN}"`);
const DATABASE_URL = Object.assign(new URL(ADMIN_URL), { pathname: `/${RUN}` }).toString();
const migration = postgresMigrationAdapter(DATABASE_URL);
await applyMigrations(migration);
await migration.dropShadow();

const db = new URL(DATABASE_URL);
const redis = new URL(REDIS_URL);
const pgProxy = await startTcpProxy({ host: db.hostname, port: Number(db.port || 5432) });
const redisProxy = await startTcpProxy({ host: redis.hostname, port: Number(redis.port || 6379) });
db.host = `127.0.0.1:${pgProxy.port}`;
redis.host = `127.0.0.1:${redisProxy.port}`;

// As pnpm start runs it: compiled.
buildApi();
const api = fork(path.resolve(import.meta.dirname, '..', BUILT_API.entry), {
  execArgv: [...API_RUNTIME.execArgv, ...BUILT_API.execArgv],
  env: {
    ...process.env,
    ...API_RUNTIME.env,
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

/** Direct connections (not through the proxies) to check what the answers claimed. */
const truth = new pg.Client({ connectionString: DATABASE_URL });
await truth.connect();
const truthRedis = new Redis(REDIS_URL, { lazyConnect: true });
await truthRedis.connect();

const byErrno = new Map<string, number>();
/** Registrations answered 5xx (or not at all) although their user row was already committed. */
const createdButRefused = { answered5xx: 0, noAnswer: 0 };
/** Mobiles whose SMS request was answered 503: "nothing happened", so no cooldown may remain. */
const smsRefused503: string[] = [];
let serverErrors = 0;
let transportErrors = 0;
const registered = new Set<string>();

/** A route's name in the report: `/__dev/sms/13…/` and the like counted as one. */
function label(route: string): string {
  return route.replace(/\d+/g, ':n');
}

function count(key: string) {
  byErrno.set(key, (byErrno.get(key) ?? 0) + 1);
}

async function userExists(username: string): Promise<boolean> {
  const { rows } = await truth.query('SELECT 1 FROM tb_user WHERE username = $1', [username]);
  return rows.length > 0;
}

/** One request, counted by its answer's errno (or "transport" when no answer came). */
async function call(route: string, visitor: ReturnType<typeof httpVisitor>, body?: object) {
  try {
    const res = await visitor.request<{ errno: string; data: Record<string, unknown> | null } | undefined>(
      body ? 'POST' : 'GET',
      route,
      body,
    );
    if (res.status >= 500) serverErrors++;
    if (!res.body) {
      count(`${label(route)} ${res.status} (image)`);
      return { status: res.status, errno: '0', data: null };
    }
    count(`${label(route)} ${res.body.errno}`);
    return { status: res.status, errno: res.body.errno, data: res.body.data };
  } catch {
    transportErrors++;
    count(`${label(route)} (no answer)`);
    return { status: 0, errno: 'transport', data: null };
  }
}

let seq = 0;
async function client(id: number, until: number) {
  while (Date.now() < until) {
    const jar = httpVisitor(base, { timeoutMs: 10_000 });
    const n = ++seq;
    const mobile = `1${3 + (id % 7)}${String((MOBILE_OFFSET + n) % 1e9).padStart(9, '0')}`;
    const username = `${RUN}_${n}`;
    if ((await call('/image_code/', jar)).status !== 200) continue;
    const sms = await call('/sms_code/', jar, { mobile, captcha: 'ABCD' });
    if (sms.status === 503) smsRefused503.push(mobile);
    if (sms.errno !== '0') continue;
    const outbox = await call(`/__dev/sms/${mobile}/`, jar);
    const code = String(outbox.data?.code ?? '');
    const password = 'correct horse battery';
    // A visitor told 503 (or given no answer) presses the button again, as people do.
    for (let attempt = 0; attempt < 8; attempt++) {
      const res = await call('/user/register/', jar, { username, password, password_repeat: password, mobile, sms_code: code });
      if (res.errno === '0') registered.add(username);
      if (res.status > 0 && res.status < 500) break;
      if (await userExists(username)) {
        if (res.status === 0) createdButRefused.noAnswer++;
        else createdButRefused.answered5xx++;
      }
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

  const created = Number(
    (await truth.query('SELECT count(*) FROM tb_user WHERE username LIKE $1', [`${RUN}\\_%`])).rows[0].count,
  );
  let smsBlockedAfter503 = 0;
  for (const mobile of smsRefused503) {
    if (await truthRedis.exists(`${RUN}:{sms}:cooldown:${mobile}`)) smsBlockedAfter503++;
  }

  const total = [...byErrno.values()].reduce((a, b) => a + b, 0) + transportErrors;
  const lines = [
    `# Soak (${new Date().toISOString()}): ${CLIENTS} clients, ${SECONDS} s, cut: ${CUT}${CUT === 'none' ? '' : ` for ${CUT_SECONDS} s`}`,
    '',
    `requests: ${total} (${(total / SECONDS).toFixed(0)}/s), 5xx answers: ${serverErrors}, no answer: ${transportErrors}`,
    '',
    '| route errno | answers |',
    '|---|---|',
    ...[...byErrno].sort(([a], [b]) => a.localeCompare(b)).map(([errno, count]) => `| ${errno} | ${count} |`),
    '',
    `registrations answered as successful: ${registered.size}; users created: ${created} (${registered.size === created ? 'equal' : 'NOT EQUAL'})`,
    `registrations answered 5xx although the user existed: ${createdButRefused.answered5xx}; unanswered although it existed: ${createdButRefused.noAnswer}`,
    `SMS requests answered 503: ${smsRefused503.length}; of them, numbers left in their cooldown: ${smsBlockedAfter503}`,
    `API memory (RSS): ${rssStart.toFixed(0)} MB at start, ${rssEnd.toFixed(0)} MB at end`,
  ];
  console.log(lines.join('\n'));
  fs.writeFileSync(path.resolve(import.meta.dirname, 'soak-results.md'), `${lines.join('\n')}\n`);
  if (registered.size !== created || createdButRefused.answered5xx > 0 || smsBlockedAfter503 > 0) {
    process.exitCode = 1;
  }
} finally {
  api.kill('SIGTERM');
  await new Promise((r) => api.once('exit', r));
  await truth.end();
  await admin.query(`DROP DATABASE IF EXISTS "${RUN}" WITH (FORCE)`);
  await admin.end();
  for (let cursor = '0'; ; ) {
    const [next, keys] = await truthRedis.scan(cursor, 'MATCH', `${RUN}:*`, 'COUNT', 1000);
    if (keys.length) await truthRedis.del(...keys);
    cursor = next;
    if (cursor === '0') break;
  }
  truthRedis.disconnect();
  await pgProxy.close();
  await redisProxy.close();
}
