import react from '@vitejs/plugin-react';
import { defineConfig, loadEnv, type ProxyOptions } from 'vite';

const DEFAULT_API_URL = 'http://127.0.0.1:3000';

// `vite` and `vite preview` proxy /api to the API, so the session cookie is first-party and no
// CORS is involved. `vite --mode mock` has no proxy at all: the service worker answers /api.
export default defineConfig(({ mode }) => {
  const isMock = mode === 'mock';
  // The only place that reads API_URL (from the environment or a .env file beside this config).
  const apiUrl = loadEnv(mode, import.meta.dirname, '').API_URL || DEFAULT_API_URL;
  // changeOrigin stays false: the API refuses POSTs whose Origin is not its own Host, and the
  // browser's Origin is the dev server's, so the dev server's Host must reach the API.
  const proxy: Record<string, ProxyOptions> = { '/api': { target: apiUrl, changeOrigin: false, xfwd: true } };

  return {
    plugins: [react()],
    // The password-strength chunk (zxcvbn's dictionaries, ~1.7 MB, 0.85 MB gzipped) is big on
    // purpose and loaded only when the password field is used; everything else stays small.
    build: { chunkSizeWarningLimit: 1800 },
    // The mock service worker script lives in public-mock/, so a production build never ships it.
    publicDir: isMock ? 'public-mock' : 'public',
    server: { proxy: isMock ? undefined : proxy },
    preview: { proxy },
  };
});
