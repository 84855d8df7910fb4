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

// Every limit stays at its default: the suite is what one real visitor (one address) does.
const apiEnv: Record<string, string> = {
  PORT: String(API_PORT),
  NODE_ENV: 'test',
  LOG_LEVEL: 'warn',
  CAPTCHA_TEST_TEXT: CAPTCHA_ANSWER,
  SMS_GATEWAY: 'outbox',
  // The SPA is served from its own origin (vite preview): the one origin browsers may POST from.
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
      command: `pnpm build && pnpm exec vite preview --port ${WEB_PORT} --strictPort --host 127.0.0.1`,
      cwd: '../apps/web',
      url: WEB_URL,
      env: { API_URL },
      timeout: 120_000,
      reuseExistingServer: false,
    },
  ],
});
