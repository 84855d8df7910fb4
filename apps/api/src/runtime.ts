// How the API's processes are started (`pnpm start`, `pnpm dev`, the benchmarks). A heap
// snapshot under load holds 62 MB of live objects (half of it zxcvbn's dictionaries), yet RSS
// grew by 130 MB of anonymous memory: V8's young generation sized for the allocation rate, and
// glibc's per-thread arenas keeping argon2's 19 MiB per hash after libuv's threads free it.
// So: young semi-spaces of 8 MB (4 MB cost 45 % of the throughput, 8 MB nothing measurable,
// and RSS fell from about 370 to 265 MB after availability and image load), the old space
// capped at 256 MB (128 MB thrashed: a fifth of the throughput), two malloc arenas.
export const API_RUNTIME = {
  execArgv: ['--max-old-space-size=256', '--max-semi-space-size=8'],
  env: { MALLOC_ARENA_MAX: '2' },
} as const;

/**
 * The compiled API (scripts/build-api.ts): plain JavaScript, so Node loads no TypeScript
 * stripper (about 15 MB per process and per captcha thread). The `built` export condition makes
 * @register/contracts resolve to its build too, and type stripping is off: a TypeScript file
 * reached from the build fails at once instead of quietly loading the stripper back. Relative
 * to apps/api.
 */
export const BUILT_API = {
  entry: 'dist/server.js',
  execArgv: ['--conditions=built', '--no-experimental-strip-types'],
} as const;
