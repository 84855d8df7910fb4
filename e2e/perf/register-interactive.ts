// `pnpm bench:web`: how soon /register is usable, measured in a real Chromium with the
// Performance API: from navigation start until the username field accepts input and the captcha
// image is decoded. Median of 5 cold loads (a fresh browser context each), on localhost, then
// with 4x CPU slowdown and a 1.6 Mbps / 150 ms round-trip network (Chrome DevTools Protocol).
// The SPA is the production build, served twice: by `vite preview` (uncompressed) and by a small
// gzip-compressing server (static-server.ts, standing in for a production web server); the API
// runs on its embedded defaults. A measurement, not a test: it prints the figures.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Browser, chromium } from '@playwright/test';
import { startStaticServer } from './static-server.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const API_PORT = 3410;
const WEB_PORT = 4410;
const GZIP_PORT = 4411;
const LOADS = 5;
const DEBIAN_CHROMIUM = '/usr/bin/chromium';

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
}
async function waitFor(url: string) {
  for (let i = 0; i < 600; i++) {
    if (
      await fetch(url).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing answered at ${url}`);
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

async function interactiveMs(browser: Browser, throttled: boolean, port = WEB_PORT): Promise<number> {
  const context = await browser.newContext();
  const page = await context.newPage();
  if (throttled) {
    const cdp = await context.newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 150,
      downloadThroughput: (1.6 * 1024 * 1024) / 8,
      uploadThroughput: (750 * 1024) / 8,
    });
  }
  await page.goto(`http://127.0.0.1:${port}/register`, { waitUntil: 'commit' });
  const ms = await page.evaluate(
    () =>
      new Promise<number>((resolve) => {
        const ready = () => {
          const field = document.querySelector<HTMLInputElement>('#username');
          const image = document.querySelector<HTMLImageElement>('img[alt^="Image code"]');
          return Boolean(field && !field.disabled && image?.complete && image.naturalWidth > 0);
        };
        const check = () => (ready() ? resolve(performance.now()) : requestAnimationFrame(check));
        check();
      }),
  );
  await context.close();
  return ms;
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-web-'));
const api = run(process.execPath, ['src/server.ts'], path.join(ROOT, 'apps/api'), {
  NODE_ENV: 'test',
  PORT: String(API_PORT),
  LOG_LEVEL: 'warn',
  DATA_DIR: dataDir,
  DATABASE_URL: '',
  REDIS_URL: '',
});
const vite = path.join(ROOT, 'apps/web/node_modules/.bin/vite');
const web = run(
  vite,
  ['preview', '--port', String(WEB_PORT), '--strictPort', '--host', '127.0.0.1'],
  path.join(ROOT, 'apps/web'),
  {
    API_URL: `http://127.0.0.1:${API_PORT}`,
  },
);
try {
  await waitFor(`http://127.0.0.1:${API_PORT}/api/healthz`);
  await waitFor(`http://127.0.0.1:${WEB_PORT}/register`);
  const browser = await chromium.launch(fs.existsSync(DEBIAN_CHROMIUM) ? { executablePath: DEBIAN_CHROMIUM } : {});
  try {
    const gzip = await startStaticServer(path.join(ROOT, 'apps/web/dist'), API_PORT, GZIP_PORT);
    try {
      for (const [server, port] of [
        ['vite preview, uncompressed', WEB_PORT],
        ['gzip', GZIP_PORT],
      ] as const) {
        await interactiveMs(browser, false, port); // the servers' own warm-up
        for (const throttled of [false, true]) {
          const times: number[] = [];
          for (let i = 0; i < LOADS; i++) times.push(await interactiveMs(browser, throttled, port));
          const label = `${server}, ${throttled ? '4x CPU slowdown, 1.6 Mbps, 150 ms RTT' : 'localhost'}`;
          const all = times.map((t) => t.toFixed(0)).join(', ');
          console.log(`/register interactive (${label}): median ${median(times).toFixed(0)} ms of ${all}`);
        }
      }
    } finally {
      gzip.close();
    }
  } finally {
    await browser.close();
  }
} finally {
  api.kill('SIGTERM');
  web.kill('SIGTERM');
  fs.rmSync(dataDir, { recursive: true, force: true });
}
