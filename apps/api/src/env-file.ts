// A `.env` at the repository root, when present, fills in the variables the environment leaves
// unset (the environment wins), before config.ts reads process.env. Each entry point (the
// server, the CLI, the migrations) loads it; the test suites (NODE_ENV=test) never do, so a
// developer's .env cannot change what a test sees.
import fs from 'node:fs';
import path from 'node:path';

export const ENV_FILE = path.resolve(import.meta.dirname, '../../../.env');

/** Loads the .env file when there is one; returns its path, or null. */
export function loadEnvFile(file = ENV_FILE): string | null {
  if (process.env.NODE_ENV === 'test' || !fs.existsSync(file)) return null;
  process.loadEnvFile(file);
  return file;
}
