// `pnpm bench`: the API against baselines that do only the unavoidable work, measured in one run
// on real PostgreSQL and Redis (a database of its own, seeded with BENCH_USERS users), with 1 and
// with 2 workers. Run it alone on the machine: the load generator (autocannon, from npm), the
// API, PostgreSQL and Redis share its cores. Compare ratios from one run, never absolute figures
// across runs or machines. Prints a table and writes bench/results/latest.json and the table in
// bench/RESULTS.md (between its markers; the rest of that file is written by people).
//
//   BENCH_SECONDS=5     each measurement (after a 1 s warm-up)
//   BENCH_USERS=100000  seeded users
//   BENCH_WORKERS=1,2   WEB_CONCURRENCY values to measure the API with
//   BENCH_ONLY=         a comma-separated subset: availability, images, logins, registrations,
//                       isolation (availability p99 under captcha load, with and without the
//                       render threads; 1 worker)
//                       (their baselines come along); unset: everything
//   BENCH_API_ENV='{"DATABASE_POOL_SIZE":"20"}'  more of the API's environment (JSON), to
//                       measure what a setting costs or buys
//   BENCH_PROFILE=1     the API and the baselines write V8 CPU profiles to bench/results/profiles
//                       (open them in Chrome's DevTools or speedscope)
import { type ChildProcess, fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { buildApi } from '../../../scripts/build-api.ts';
import { loadConfig } from '../src/config.ts';
import { createPasswordHasher } from '../src/modules/users/passwords.ts';
import { API_RUNTIME, BUILT_API } from '../src/runtime.ts';
import { processTree, rssNow, sampleProcesses } from './processes.ts';
import { registrationsPerSecond } from './registrations.ts';
import { createBenchDatabase, SEED_PASSWORD, seedMobile, seedUsername } from './seed.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const USERS = Number(process.env.BENCH_USERS ?? 100_000);
const WORKERS = (process.env.BENCH_WORKERS ?? '1,2').split(',').map(Number);
const CONNECTIONS = 50;
const SETTLE_MS = 5000;
const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',')) : null;
const wanted = (part: string) => !ONLY || ONLY.has(part);
/** Which baselines each part is compared with. */
const NEEDS: Record<string, string[]> = {
  availability: ['hello', 'redis-get', 'pg-count', 'pg-count-limited'],
  images: ['render'],
  logins: ['argon2-verify'],
  registrations: ['argon2', 'register-work'],
  isolation: [],
};
const ADMIN_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const RUN = `bench${Date.now().toString(36)}`;
const HERE = import.meta.dirname;
const PROFILE_ARGS = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${path.join(HERE, 'results/profiles')}`] : [];

interface Row {
  name: string;
  workers: number | null;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  peakRssMb: number[];
  cpuMsPerRequest: number | null;
  baseline?: string;
  ratio?: number;
}
const rows: Row[] = [];
const dash = (n: number, shown: string | number = n) => (Number.isNaN(n) ? '-' : shown);
const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function start(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const child = fork(path.resolve(HERE, script), args, {
    execArgv: [...process.execArgv, ...PROFILE_ARGS],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${script} exited (${code})`)));
    child.once('message', () => resolve(child));
  });
}
async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (
      await fetch(url).then(
        (r) => r.status < 500,
        () => false,
      )
    )
      return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing answered at ${url}`);
}
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** One autocannon measurement of `url`, with the processes of `pid` sampled for RSS and CPU. */
async function measure(name: string, pid: number, workers: number | null, opts: autocannon.Options): Promise<Row> {
  await autocannon({ connections: CONNECTIONS, ...opts, duration: 1 }); // warm-up
  const sampler = sampleProcesses(() => processTree(pid));
  const result = await autocannon({ connections: CONNECTIONS, duration: SECONDS, ...opts });
  const usage = sampler.stop();
  const requests = result.requests.total;
  const row: Row = {
    name,
    workers,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
    peakRssMb: usage.peakRssMb,
    cpuMsPerRequest: requests ? usage.cpuMs / requests : null,
  };
  rows.push(row);
  console.log(
    `  ${name}${workers ? ` (${workers} worker${workers > 1 ? 's' : ''})` : ''}: ${fmt(row.rps)} req/s, p99 ${row.p99} ms`,
  );
  return row;
}

// The API runs as pnpm start runs it: compiled.
buildApi();
const config = loadConfig({ NODE_ENV: 'test' });
const hasher = createPasswordHasher(config.argon2);
console.log(`bench: seeding ${fmt(USERS)} users into ${RUN} ...`);
const db = await createBenchDatabase(ADMIN_URL, RUN, USERS, await hasher.hash(SEED_PASSWORD));
const children: ChildProcess[] = [];
try {
  // ---- baselines: one small server each, the unavoidable work only ----
  console.log('bench: baselines');
  const baseline: Record<string, Row> = {};
  const baselines: [string, string, { path?: string; method?: 'POST' }][] = [
    ['hello', 'hello (Fastify, a constant envelope)', {}],
    ['redis-get', 'Redis GET (ioredis)', {}],
    ['pg-count', 'indexed count (raw pg pool)', { path: '/seed_42' }],
    ['pg-count-limited', 'indexed count + a per-client Redis counter (the budget every check spends)', { path: '/seed_42' }],
    ['render', 'captcha renderer alone', {}],
    ['argon2', 'argon2id hash alone', { method: 'POST', path: '/' }],
    ['argon2-verify', 'argon2id verify alone', { method: 'POST', path: '/verify' }],
    ['register-work', 'zxcvbn estimate + argon2id hash (what a registration cannot skip)', { method: 'POST', path: '/' }],
  ];
  let port = 3960;
  for (const [kind, name, opts] of baselines) {
    if (!Object.entries(NEEDS).some(([part, needs]) => wanted(part) && needs.includes(kind))) continue;
    const serverKind = kind === 'argon2-verify' ? 'argon2' : kind;
    const p = ++port;
    const child = await start('baseline-server.ts', [serverKind, String(p)], { DATABASE_URL: db.url, REDIS_URL });
    children.push(child);
    baseline[kind] = await measure(name, child.pid ?? 0, null, {
      url: `http://127.0.0.1:${p}${opts.path ?? '/'}`,
      method: opts.method ?? 'GET',
    });
    await stop(child);
  }

  // ---- the API, with 1 and 2 workers ----
  const startApi = async (workers: number, extra: Record<string, string> = {}) => {
    const apiPort = String(++port);
    const api = fork(path.resolve(HERE, '..', BUILT_API.entry), {
      execArgv: [...API_RUNTIME.execArgv, ...BUILT_API.execArgv, ...PROFILE_ARGS],
      env: {
        ...process.env,
        ...API_RUNTIME.env,
        ...extra,
        NODE_ENV: 'test',
        WEB_CONCURRENCY: String(workers),
        DATABASE_URL: db.url,
        REDIS_URL,
        PORT: apiPort,
        LOG_LEVEL: 'warn',
        // As in production, where it is the default: no API reference UI (Scalar's bundle).
        API_DOCS_ENABLED: 'false',
        REDIS_KEY_PREFIX: `${RUN}:${workers}:`,
        CAPTCHA_TEST_TEXT: 'ABCD',
        SMS_GATEWAY: 'outbox',
        // The load comes from one address: the per-client limits would measure themselves.
        RATE_LIMIT_MAX: '100000000',
        AVAILABILITY_LIMIT_MAX: '100000000',
        CAPTCHA_LIMIT_MAX: '100000000',
        SMS_LIMIT_MAX: '100000000',
        SMS_PER_BLOCK_PER_HOUR: '1000000',
        SMS_GLOBAL_PER_HOUR: '100000000',
        SMS_GLOBAL_PER_DAY: '100000000',
        LOGIN_MAX_FAILURES_PER_CLIENT: '1000000',
        ...JSON.parse(process.env.BENCH_API_ENV ?? '{}'),
      },
      stdio: 'inherit',
    });
    children.push(api);
    const base = `http://127.0.0.1:${apiPort}`;
    await waitFor(`${base}/api/healthz`);
    return { api, base, pid: api.pid ?? 0 };
  };

  if (wanted('isolation')) {
    // Image load beside availability checks: does drawing captchas delay the other routes?
    for (const threads of ['0', String(os.availableParallelism())]) {
      const { api, base, pid } = await startApi(1, { CAPTCHA_RENDER_THREADS: threads });
      const label = threads === '0' ? 'captchas drawn on the event loop' : `captchas drawn in ${threads} threads`;
      const images = autocannon({ connections: 25, duration: SECONDS + 1, url: `${base}/api/image_code/` });
      await new Promise((r) => setTimeout(r, 1000));
      const row = await measure(`GET /api/username/:u/ under captcha load (${label})`, pid, 1, {
        url: `${base}/api/username/seed_42/`,
        connections: 25,
        duration: SECONDS - 1,
      } as autocannon.Options);
      const imageResult = await images;
      row.name += `; ${fmt(imageResult.requests.average)} images/s meanwhile`;
      await stop(api);
    }
  }

  for (const workers of WORKERS) {
    if (!['availability', 'images', 'logins', 'registrations'].some(wanted)) break;
    console.log(`bench: the API, WEB_CONCURRENCY=${workers}`);
    const { api, base, pid } = await startApi(workers);
    // Taken and free names mixed: every other request asks for a seeded user.
    let n = 0;
    if (wanted('availability')) {
      const availability = await measure('GET /api/username/:u/ (taken and free mixed)', pid, workers, {
        url: base,
        requests: [
          {
            method: 'GET',
            setupRequest: (request) => {
              n++;
              const name = n % 2 ? seedUsername((n % USERS) + 1) : `free_${n}`;
              return { ...request, path: `/api/username/${name}/` };
            },
          },
        ],
      });
      Object.assign(availability, {
        baseline: 'pg-count-limited',
        ratio: availability.rps / (baseline['pg-count-limited']?.rps ?? 1),
      });
    }
    if (wanted('images')) {
      const images = await measure('GET /api/image_code/', pid, workers, { url: `${base}/api/image_code/` });
      Object.assign(images, { baseline: 'render', ratio: images.rps / (baseline.render?.rps ?? 1) });
    }
    if (wanted('logins')) {
      let m = 0;
      const logins = await measure('POST /api/user/login/ (seeded users in turn)', pid, workers, {
        url: base,
        requests: [
          {
            method: 'POST',
            path: '/api/user/login/',
            headers: { 'content-type': 'application/json' },
            setupRequest: (request) => ({
              ...request,
              body: JSON.stringify({ account: seedMobile((++m % USERS) + 1), password: SEED_PASSWORD }),
            }),
          },
        ],
      });
      Object.assign(logins, { baseline: 'argon2-verify', ratio: logins.rps / (baseline['argon2-verify']?.rps ?? 1) });
    }
    if (wanted('registrations')) {
      const sampler = sampleProcesses(() => processTree(pid));
      const flow = await registrationsPerSecond(`${base}/api`, { clients: 20, seconds: SECONDS, captcha: 'ABCD' });
      const usage = sampler.stop();
      const registrations: Row = {
        name: 'complete registrations (captcha, SMS code, register; 20 clients)',
        workers,
        rps: flow.perSecond,
        p50: flow.p50,
        p99: flow.p99,
        errors: flow.failed,
        peakRssMb: usage.peakRssMb,
        cpuMsPerRequest: flow.completed ? usage.cpuMs / flow.completed : null,
        baseline: 'register-work',
        ratio: flow.perSecond / (baseline['register-work']?.rps ?? 1),
      };
      rows.push(registrations);
      console.log(`  registrations: ${fmt(flow.perSecond, 1)}/s, ${flow.failed} failed ${JSON.stringify(flow.reasons)}`);
    }
    // What each process keeps once the load is over (the target is per worker, after the run).
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const kept = rssNow(processTree(pid));
    rows.push({
      name: `RSS after the run above, ${SETTLE_MS / 1000} s idle`,
      workers,
      rps: Number.NaN,
      p50: Number.NaN,
      p99: Number.NaN,
      errors: 0,
      peakRssMb: kept,
      cpuMsPerRequest: null,
    });
    console.log(`  RSS after the run: ${kept.map((m) => fmt(m)).join(' / ')} MB`);
    await stop(api);
  }
} finally {
  for (const child of children) await stop(child);
  await db.drop();
}

// ---- report ----
const header = `${os.cpus().length} cores, node ${process.version}, ${fmt(USERS)} seeded users, ${CONNECTIONS} connections, ${SECONDS} s each, ${new Date().toISOString()}`;
const table = [
  '| work | workers | requests/s | p50 ms | p99 ms | errors | peak RSS MB (per process) | CPU ms/request | vs baseline |',
  '|---|---|---|---|---|---|---|---|---|',
  ...rows.map(
    (r) =>
      `| ${r.name} | ${r.workers ?? '-'} | ${dash(r.rps, fmt(r.rps, r.rps < 100 ? 1 : 0))} | ${dash(r.p50)} | ${dash(r.p99)} | ${r.errors} | ${r.peakRssMb.map((m) => fmt(m)).join(' / ')} | ${r.cpuMsPerRequest === null ? '-' : fmt(r.cpuMsPerRequest, 2)} | ${r.ratio === undefined ? '' : `${fmt(r.ratio, 2)} of ${r.baseline}`} |`,
  ),
].join('\n');
console.log(`\n${header}\n\n${table}`);
fs.mkdirSync(path.join(HERE, 'results'), { recursive: true });
fs.writeFileSync(path.join(HERE, 'results/latest.json'), `${JSON.stringify({ header, rows }, null, 2)}\n`);
const resultsFile = path.join(HERE, 'RESULTS.md');
const previous = fs.existsSync(resultsFile)
  ? fs.readFileSync(resultsFile, 'utf8')
  : '# Benchmark results\n\n<!-- latest -->\n<!-- /latest -->\n';
fs.writeFileSync(
  resultsFile,
  previous.replace(
    /<!-- latest -->[\s\S]*<!-- \/latest -->/,
    `<!-- latest -->\nLatest run: ${header}\n\n${table}\n<!-- /latest -->`,
  ),
);
process.exit(0);
