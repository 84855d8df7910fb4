// How the API's processes are started (`pnpm start`, `pnpm dev`, the benchmarks): the V8 heap
// capped where the service holds (its live heap stays well below: a cap of 96 MB cost four
// fifths of the throughput, 192 MB none), and glibc held to two malloc arenas, since argon2's
// 19 MiB per hash, freed on libuv's threads, otherwise stays in per-thread arenas as RSS.
export const API_RUNTIME = {
  execArgv: ['--max-old-space-size=256'],
  env: { MALLOC_ARENA_MAX: '2' },
} as const;
