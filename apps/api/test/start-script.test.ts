// `pnpm start` / `pnpm dev` (scripts/start.ts): the SPA's server passes /api on to the API, so
// an SPA address off loopback must meet the API's own off-loopback rules before anything starts.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const START = path.resolve(import.meta.dirname, '../../../scripts/start.ts');

async function start(env: Record<string, string>) {
  const base = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '3799', WEB_PORT: '5799' };
  return run(process.execPath, [START], { env: { ...base, ...env }, timeout: 20_000 }).then(
    () => ({ code: 0, stderr: '' }),
    (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
  );
}

describe('scripts/start.ts', () => {
  it.each([
    ['development', { NODE_ENV: 'development' }],
    ['unset', {}],
  ])('refuses WEB_HOST=0.0.0.0 with NODE_ENV %s and the development defaults, starting nothing', async (_, env) => {
    const result = await start({ ...env, WEB_HOST: '0.0.0.0', CAPTCHA_TEST_TEXT: 'ABCD' });
    expect(result.code).toBe(78);
    expect(result.stderr).toMatch(/SESSION_SECRET is required when HOST \(0\.0\.0\.0\) is not loopback/);
    expect(result.stderr).toMatch(/SMS_GATEWAY=outbox exposes SMS codes/);
    expect(result.stderr).toMatch(/CAPTCHA_TEST_TEXT makes every captcha trivial/);
    expect(result.stderr).toMatch(/the SPA's server passes \/api on to the API/);
  });
});
