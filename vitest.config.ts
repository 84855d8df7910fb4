import { defineConfig } from 'vitest/config';

// `pnpm test:unit`: every package's unit and integration tests, each with its own config.
export default defineConfig({
  test: { projects: ['packages/contracts', 'apps/api', 'apps/web'] },
});
