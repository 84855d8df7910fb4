// End-to-end tests in a real browser against the real API and the built SPA.
// The API runs on PostgreSQL + Redis when DATABASE_URL / REDIS_URL are set (as in CI), on the
// embedded defaults otherwise; always with the dev SMS outbox and a fixed captcha answer.
import fs from 'node:fs';
import { defineConfig, devices } from '@playwright/test';
import { API_PORT, API_URL, CAPTCHA_ANSWER, WEB_PORT, WEB_URL } from './fixtures/env.ts';

// Debian's chromium where it exists (Playwright cannot download browsers on every machine);
// Playwright's own browser elsewhere.
const DEBIAN_CHROMIUM = '/usr/bin/chromium';
const launchOptions = fs.existsSync(DEBIAN_CHROMIUM) ? { executablePath: DEBIAN_CHROMIUM } : {};
/** The SPA as the suite builds and serves it (relative to apps/web; .data/ is ignored by git). */
const WEB_DIST = '.data/e2e-dist';

// Every limit stays at its default but one: the suite is many visitors behind one address (two
// workers, each test a new visitor), as behind a NAT, and its pages ask for about 40 captcha
// images a minute, more than the default per-client budget of 30 that one person never reaches.
// The per-mobile, SMS and login budgets stay as they are.
const apiEnv: Record<string, string> = {
  CAPTCHA_LIMIT_MAX: '120',
  PORT: String(API_PORT),
  NODE_ENV: 'test',
  LOG_LEVEL: 'warn',
  CAPTCHA_TEST_TEXT: CAPTCHA_ANSWER,
  SMS_GATEWAY: 'outbox',
  // The SPA is served from its own origin (vite preview): the one origin browsers may POST from,
  // and so (by default) passkeys' one origin and their RP ID: localhost.
  ALLOWED_ORIGINS: WEB_URL,
  REDIS_KEY_PREFIX: `e2e:${Date.now().toString(36)}:`,
  DATA_DIR: '.data/e2e',
};
for (const name of ['DATABASE_URL', 'REDIS_URL'] as const) {
  const value = process.env[name];
  if (value) apiEnv[name] = value;
}

export default defineConfig({
  testDir: './specs',
  outputDir: './test-results',
  fullyParallel: true,
  workers: 2,
  forbidOnly: true,
  timeout: 30_000,
  expect: { timeout: 7_000 },
  reporter: [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }]],
  use: {
    baseURL: WEB_URL,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions,
  },
  projects: [
    { name: 'desktop', use: { ...devices['Desktop Chrome'], launchOptions }, testIgnore: /mobile\.spec/ },
    { name: 'phone', use: { ...devices['Pixel 7'], launchOptions }, testMatch: /mobile\.spec/ },
  ],
  webServer: [
    {
      command: 'node src/server.ts',
      cwd: '../apps/api',
      url: `${API_URL}/api/health/`,
      env: apiEnv,
      timeout: 120_000,
      reuseExistingServer: false,
      stdout: 'pipe',
    },
    {
      // --host localhost: vite listens on what localhost resolves to first (127.0.0.1 or ::1),
      // the address Node's clients (this url check) try first too; Chromium tries both. The suite's
      // build has a directory of its own: a `pnpm build` while it runs (dist/) changes no chunk
      // under the pages it has open.
      command: `pnpm exec vite build --outDir ${WEB_DIST} && pnpm exec vite preview --outDir ${WEB_DIST} --port ${WEB_PORT} --strictPort --host localhost`,
      cwd: '../apps/web',
      url: WEB_URL,
      env: { API_URL },
      timeout: 120_000,
      reuseExistingServer: false,
    },
  ],
});
