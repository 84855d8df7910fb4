// `pnpm bench`: measures the costly parts of registration and prints figures and ratios.
// Run it alone on the machine (2 cores: any other load skews it). Compare ratios measured in
// one run, never absolute numbers across runs or machines. Writes bench/results.md.
//
//   1. captcha rendering, PNG vs JPEG (one core)
//   2. argon2id hashing at the configured parameters
//   3. HTTP throughput of the API on real PostgreSQL + Redis (a child process), driven by
//      autocannon from this process: a 404 as the framework baseline, then the real routes.
import { fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { loadConfig } from '../src/config.ts';
import { randomCaptchaText, renderCaptcha } from '../src/modules/captcha/captcha.renderer.ts';
import { createPasswordHasher } from '../src/modules/users/passwords.ts';

const lines: string[] = [];
const out = (line = '') => {
  console.log(line);
  lines.push(line);
};
const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function timeLoop(seconds: number, once: () => Promise<unknown>): Promise<number> {
  const end = performance.now() + seconds * 1000;
  let n = 0;
  while (performance.now() < end) {
    await once();
    n++;
  }
  return n / seconds;
}

out(
  `# Benchmarks (${new Date().toISOString().slice(0, 10)}, node ${process.version}, ${(await import('node:os')).cpus().length} cores)`,
);
out();
out('## Captcha rendering (160x56, 4 glyphs, noise; sequential, one core)');
await renderCaptcha('WARM');
const png = await timeLoop(3, () => renderCaptcha(randomCaptchaText(), 'png'));
const jpeg = await timeLoop(3, () => renderCaptcha(randomCaptchaText(), 'jpeg'));
out(
  `| format | images/s | ms/image |\n|---|---|---|\n| png | ${fmt(png)} | ${fmt(1000 / png, 2)} |\n| jpeg | ${fmt(jpeg)} | ${fmt(1000 / jpeg, 2)} |`,
);
out(`jpeg/png speed ratio: ${fmt(jpeg / png, 2)}`);
out();

const config = loadConfig({});
out(`## argon2id (m=${config.argon2.memoryCost} KiB, t=${config.argon2.timeCost}, p=${config.argon2.parallelism})`);
const hasher = createPasswordHasher(config.argon2);
const hashes = await timeLoop(3, () => hasher.hash('correct horse battery'));
const hash = await hasher.hash('correct horse battery');
const verifies = await timeLoop(3, () => hasher.verify(hash, 'correct horse battery'));
out(
  `hash: ${fmt(hashes, 1)}/s (${fmt(1000 / hashes, 1)} ms), verify: ${fmt(verifies, 1)}/s (${fmt(1000 / verifies, 1)} ms), sequential`,
);
out();

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PORT = '3917';
out(`## HTTP (API in a child process on PostgreSQL + Redis; autocannon, 50 connections, 5 s per route)`);
const api = fork(path.resolve(import.meta.dirname, '../src/server.ts'), {
  env: {
    ...process.env,
    DATABASE_URL,
    REDIS_URL,
    PORT,
    LOG_LEVEL: 'warn',
    REDIS_KEY_PREFIX: 'bench:',
    // The load comes from one address: the per-client limits would measure themselves.
    RATE_LIMIT_MAX: '100000000',
    AVAILABILITY_LIMIT_MAX: '100000000',
    CAPTCHA_LIMIT_MAX: '100000000',
    SMS_LIMIT_MAX: '100000000',
  },
  stdio: 'inherit',
});
try {
  const base = `http://127.0.0.1:${PORT}`;
  let up = false;
  for (let i = 0; i < 200 && !up; i++) {
    up = await fetch(`${base}/api/health/`).then(
      (r) => r.ok,
      () => false,
    );
    if (!up) await new Promise((r) => setTimeout(r, 100));
  }
  if (!up) throw new Error(`the API did not start on ${base}`);
  const routes: [string, autocannon.Options][] = [
    ['404 (framework + envelope baseline)', { url: `${base}/api/nope/` }],
    ['GET /api/health/ (PG + Redis ping)', { url: `${base}/api/health/` }],
    ['GET /api/username/:u/ (PG count)', { url: `${base}/api/username/bench_user_1/` }],
    ['GET /api/mobile/:m/ (PG count)', { url: `${base}/api/mobile/13800138000/` }],
    ['GET /api/image_code/ (render + session + Redis)', { url: `${base}/api/image_code/` }],
    [
      'POST /api/sms_code/ invalid (validation only)',
      {
        url: `${base}/api/sms_code/`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"mobile":"1","captcha":"x"}',
      },
    ],
  ];
  const results: { name: string; rps: number; p99: number }[] = [];
  for (const [name, opts] of routes) {
    const r = await autocannon({ connections: 50, duration: 5, ...opts });
    results.push({ name, rps: r.requests.average, p99: r.latency.p99 });
  }
  const baseline = results[0]?.rps ?? 1;
  out('| route | requests/s | p99 ms | vs baseline |\n|---|---|---|---|');
  for (const r of results) out(`| ${r.name} | ${fmt(r.rps)} | ${fmt(r.p99)} | ${fmt(r.rps / baseline, 2)} |`);
} finally {
  api.kill('SIGTERM');
}
fs.writeFileSync(path.resolve(import.meta.dirname, 'results.md'), `${lines.join('\n')}\n`);
process.exit(0);
