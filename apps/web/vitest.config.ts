import { defineConfig } from 'vitest/config';
import { contractValidators } from './contract-validators.ts';

// Component tests run the forms against the same MSW handlers as `pnpm dev:mock`, in happy-dom
// with a same-origin URL (happy-dom sends CORS preflights for cross-origin fetches).
export default defineConfig({
  plugins: [contractValidators()],
  test: {
    name: 'web',
    environment: 'happy-dom',
    environmentOptions: {
      // Images load (through MSW, like fetch): the mock issues a captcha only when its image is fetched.
      happyDOM: { url: 'http://localhost/', settings: { enableImageFileLoading: true } },
    },
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test/setup.ts'],
  },
});
