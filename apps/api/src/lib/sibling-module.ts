import path from 'node:path';

/**
 * A module beside `from` (an import.meta.url), in the form `from` was loaded in: `.ts` from the
 * sources (tests, development), `.js` from the build (`pnpm start`, the image). For what is
 * started by file name rather than imported (a worker thread, a cluster worker), which the
 * compiler's rewriting of import specifiers does not reach.
 */
export function siblingModule(name: string, from: string): URL {
  return new URL(`./${name}${path.extname(new URL(from).pathname)}`, from);
}
