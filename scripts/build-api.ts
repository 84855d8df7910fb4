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

/**
 * Compiles the contracts, then the API, each into a fresh dist/ beside its src/; throws when tsc
 * fails, leaving the previous build as it was. Each is compiled aside and swapped in, so an API
 * already running from dist/ (which loads its render threads' and cluster workers' files later)
 * never finds the folder half-written or gone.
 */
export function buildApi(): void {
  for (const project of ['packages/contracts', 'apps/api']) {
    const dir = path.join(root, project);
    const [next, dist, old] = ['dist.next', 'dist', 'dist.old'].map((name) => path.join(dir, name)) as [string, string, string];
    fs.rmSync(next, { recursive: true, force: true });
    const result = spawnSync(tsc, ['-p', 'tsconfig.build.json', '--outDir', next], { cwd: dir, stdio: 'inherit' });
    if (result.status !== 0) {
      fs.rmSync(next, { recursive: true, force: true });
      throw new Error(`building ${project} failed (tsc exited ${result.status ?? result.signal}); its dist/ is unchanged`);
    }
    fs.rmSync(old, { recursive: true, force: true });
    if (fs.existsSync(dist)) fs.renameSync(dist, old);
    fs.renameSync(next, dist);
    fs.rmSync(old, { recursive: true, force: true });
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
