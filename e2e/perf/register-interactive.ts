// `pnpm bench:web`: how soon /register is usable, measured in a real Chromium with the
// Performance API: from navigation start until the username field accepts input and the captcha
// image is decoded. Median of 5 cold loads (a fresh browser context each), on localhost, then
// with 4x CPU slowdown and a 1.6 Mbps / 150 ms round-trip network (Chrome DevTools Protocol).
// The SPA is the production build, served twice: by `vite preview` (Vite 8 gzips on the fly) and by the
// production web server, nginx with deploy/nginx/'s config (the build's precompressed brotli and
// gzip), where this machine has it; elsewhere by a small gzip-compressing server
// (static-server.ts) standing in for it, the two taking turns load by load. The API runs on its
// embedded defaults. A measurement, not a test: it prints the figures, and the JavaScript each
// server puts on the wire.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Browser, chromium } from '@playwright/test';
import { findNginx, NGINX_INSTALL_HINT, startNginx, tempPrefix } from '../../deploy/nginx/nginx-config.ts';
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

interface Load {
  ms: number;
  /** Bytes of JavaScript transferred (headers included), from the Resource Timing entries. */
  scriptBytes: number;
}

async function interactiveMs(browser: Browser, throttled: boolean, port = WEB_PORT): Promise<Load> {
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
  const scriptBytes = await page.evaluate(() =>
    performance
      .getEntriesByType('resource')
      .filter((entry) => entry.name.endsWith('.js'))
      .reduce((sum, entry) => sum + (entry as PerformanceResourceTiming).transferSize, 0),
  );
  await context.close();
  return { ms, scriptBytes };
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
    const dist = path.join(ROOT, 'apps/web/dist');
    const nginxBinary = findNginx();
    const prefix = tempPrefix('bench-web-nginx');
    let compressed: { name: string; close(): Promise<void> | void };
    if (nginxBinary) {
      const nginx = await startNginx(
        { listen: `127.0.0.1:${GZIP_PORT}`, root: dist, apiUpstream: `127.0.0.1:${API_PORT}`, prefix },
        { binary: nginxBinary },
      );
      compressed = { name: 'nginx (deploy/nginx/, precompressed brotli + gzip)', close: () => nginx.stop() };
    } else {
      console.log(`nginx is not installed (${NGINX_INSTALL_HINT}): measuring a small gzip server instead.`);
      const gzip = await startStaticServer(dist, API_PORT, GZIP_PORT);
      compressed = { name: 'gzip (static-server.ts)', close: () => void gzip.close() };
    }
    try {
      const servers = [
        ['vite preview, gzip on the fly', WEB_PORT],
        [compressed.name, GZIP_PORT],
      ] as const;
      for (const [, port] of servers) await interactiveMs(browser, false, port); // the servers' own warm-up
      for (const throttled of [false, true]) {
        // The servers take turns, load by load, so a machine getting busier or quieter meanwhile
        // weighs on both alike.
        const loads: Load[][] = servers.map(() => []);
        for (let i = 0; i < LOADS; i++) {
          for (const [index, [, port]] of servers.entries()) loads[index]?.push(await interactiveMs(browser, throttled, port));
        }
        for (const [index, [server]] of servers.entries()) {
          const times = (loads[index] ?? []).map((load) => load.ms);
          const label = `${server}, ${throttled ? '4x CPU slowdown, 1.6 Mbps, 150 ms RTT' : 'localhost'}`;
          const all = times.map((t) => t.toFixed(0)).join(', ');
          const kB = (median((loads[index] ?? []).map((load) => load.scriptBytes)) / 1000).toFixed(1);
          console.log(
            `/register interactive (${label}): median ${median(times).toFixed(0)} ms of ${all}; JS on the wire ${kB} kB`,
          );
        }
      }
    } finally {
      await compressed.close();
      fs.rmSync(prefix, { recursive: true, force: true });
    }
  } finally {
    await browser.close();
  }
} finally {
  api.kill('SIGTERM');
  web.kill('SIGTERM');
  fs.rmSync(dataDir, { recursive: true, force: true });
}
