// The API compiled to plain JavaScript (apps/api/dist, with the contracts it imports in
// packages/contracts/dist), for `pnpm start`, the benchmarks and the image. Node then never loads
// its TypeScript stripper (amaro: about 15 MB in every process and every captcha thread), and
// starts faster. Tests and `pnpm dev` run the sources themselves. tsc takes a few seconds.
//   node scripts/build-api.ts     (also `pnpm --filter api build`)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const tsc = path.join(root, 'node_modules/.bin/tsc');

/** Compiles the contracts, then the API (each into a fresh dist/ beside its src/); throws when tsc fails. */
export function buildApi(): void {
  for (const project of ['packages/contracts', 'apps/api']) {
    const dir = path.join(root, project);
    // Fresh: a module deleted from src/ must not linger in dist/.
    fs.rmSync(path.join(dir, 'dist'), { recursive: true, force: true });
    const result = spawnSync(tsc, ['-p', 'tsconfig.build.json'], { cwd: dir, stdio: 'inherit' });
    if (result.status !== 0) throw new Error(`building ${project} failed (tsc exited ${result.status ?? result.signal})`);
  }
}

if (import.meta.main) {
  try {
    buildApi();
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
}
