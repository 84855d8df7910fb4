// `pnpm --filter e2e bench:altcha`: the e2e suite's servers and browser, running the
// measurements under perf/ (one at a time, alone: they time things) instead of the specs.
import { defineConfig } from '@playwright/test';
import suite from './playwright.config.ts';

export default defineConfig({
  ...suite,
  testDir: './perf',
  testMatch: /\.spec\.ts$/,
  fullyParallel: false,
  workers: 1,
  reporter: [['list']],
  projects: suite.projects?.filter((project) => project.name === 'desktop'),
});
