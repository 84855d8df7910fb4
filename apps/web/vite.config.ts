import react from '@vitejs/plugin-react';
import { defineConfig, loadEnv, type ProxyOptions } from 'vite';
import { contractValidators } from './contract-validators.ts';
import { earlyCaptcha } from './early-captcha-plugin.ts';
import { precompress } from './precompress.ts';

const DEFAULT_API_URL = 'http://127.0.0.1:3000';

// `vite` and `vite preview` proxy /api to the API, so the session cookie is first-party and no
// CORS is involved. `vite --mode mock` has no proxy at all: the service worker answers /api.
export default defineConfig(({ mode }) => {
  const isMock = mode === 'mock';
  // The only place that reads API_URL (from the environment or a .env file beside this config).
  const apiUrl = loadEnv(mode, import.meta.dirname, '').API_URL || DEFAULT_API_URL;
  // The browser's Origin is this server's: the API accepts POSTs from it only when it is in the
  // API's ALLOWED_ORIGINS (by default the dev and preview servers; `pnpm start` sets it).
  const proxy: Record<string, ProxyOptions> = { '/api': { target: apiUrl, changeOrigin: false, xfwd: true } };

  return {
    // earlyCaptcha: /register's captcha image fetched beside the app's script, not after it.
    // precompress: .gz and .br beside each text file, for the production web server (deploy/nginx/).
    plugins: [react(), contractValidators(), earlyCaptcha(), precompress()],
    // The password-strength chunk (zxcvbn's dictionaries, ~1.7 MB, 0.85 MB gzipped) is big on
    // purpose and loaded only when the password field is used; everything else stays small.
    build: {
      chunkSizeWarningLimit: 1800,
      // Everything the first page needs is one chunk. The lazy pages share modules with it (the
      // SMS block, the strength meter), and left to itself the bundler cuts those into chunks of
      // their own, each compressed apart: seven initial scripts, 2.6 kB more gzipped than this
      // one chunk of the same code (README, The SPA).
      rolldownOptions: { output: { codeSplitting: { groups: [{ name: 'app', tags: ['$initial'] }] } } },
    },
    // The proof-of-work solver's modules and the passkey library are imported only lazily (the
    // solver's by a worker too): listed here, the dev server prepares them at start instead of
    // reloading the page on their first use (a passkey prompt would be lost with it).
    optimizeDeps: {
      include: [
        'altcha-lib',
        'altcha-lib/algorithms/web/pbkdf2',
        'altcha-lib/algorithms/web/sha',
        'altcha-lib/workers/shared',
        '@simplewebauthn/browser',
      ],
    },
    // The mock service worker script lives in public-mock/, so a production build never ships it.
    publicDir: isMock ? 'public-mock' : 'public',
    server: { proxy: isMock ? undefined : proxy },
    preview: { proxy },
  };
});
