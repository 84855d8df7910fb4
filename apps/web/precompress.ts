// A Vite plugin: after a production build, writes NAME.gz and NAME.br beside every text file of
// the output (the page, scripts, styles, SVG), at the strongest settings (see below), once per build. The
// production web server sends them as they are (nginx's gzip_static and brotli_static, see
// deploy/nginx/), so no visitor waits for compression and none is done twice.
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { Plugin } from 'vite';

const gzip = promisify(zlib.gzip);
const brotli = promisify(zlib.brotliCompress);
const COMPRESSIBLE = /\.(html|js|mjs|css|svg|json|txt|webmanifest|map)$/;
/** Below this, a compressed copy saves less than its own headers cost. */
const MIN_BYTES = 512;
/**
 * Brotli's strongest setting costs about 3 s per MB here; past this size (the password-strength
 * chunk, 1.7 MB, fetched only once the password field is used) quality 9 takes 0.4 s and is 5 %
 * bigger, still 5 % smaller than gzip -9.
 */
const MAX_QUALITY_BYTES = 1_000_000;

/** Writes .gz and .br beside each compressible file under dir; returns the files it compressed. */
export async function precompressDir(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => e.isFile() && COMPRESSIBLE.test(e.name)).map((e) => path.join(e.parentPath, e.name));
  const done: string[] = [];
  await Promise.all(
    files.map(async (file) => {
      const body = await fs.readFile(file);
      if (body.length < MIN_BYTES) return;
      const [gz, br] = await Promise.all([
        gzip(body, { level: zlib.constants.Z_BEST_COMPRESSION }),
        brotli(body, {
          params: {
            [zlib.constants.BROTLI_PARAM_QUALITY]: body.length <= MAX_QUALITY_BYTES ? zlib.constants.BROTLI_MAX_QUALITY : 9,
            [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length,
            [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT,
          },
        }),
      ]);
      await Promise.all([fs.writeFile(`${file}.gz`, gz), fs.writeFile(`${file}.br`, br)]);
      done.push(path.relative(dir, file));
    }),
  );
  return done.sort();
}

export function precompress(): Plugin {
  return {
    name: 'precompress',
    apply: 'build',
    // After the files are written, and only when the build succeeded.
    async writeBundle(options) {
      if (!options.dir) return;
      const files = await precompressDir(options.dir);
      this.info(`precompressed ${files.length} files (.gz and .br)`);
    },
  };
}
