// `pnpm start` / `pnpm dev` (scripts/start.ts): the SPA's server passes /api on to the API, so
// an SPA address off loopback must meet the API's own off-loopback rules before anything starts.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DEFAULT_WEB_HOST, spaAddress } from '../../../scripts/spa-address.ts';
import { loadConfig } from '../src/config.ts';

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

// Passkeys are bound to an RP ID, a domain name (never an IP address), by default the host of the
// first of ALLOWED_ORIGINS: the SPA is at http://localhost:PORT, and that origin comes first.
describe('the SPA address of pnpm start / pnpm dev', () => {
  it('is http://localhost:PORT by default, first of the allowed origins, the RP ID the API then takes', () => {
    expect(DEFAULT_WEB_HOST).toBe('localhost');
    const spa = spaAddress(DEFAULT_WEB_HOST, '5173');
    expect(spa).toEqual({
      url: 'http://localhost:5173',
      origins: ['http://localhost:5173', 'http://127.0.0.1:5173'],
      passkeyOrigins: ['http://localhost:5173'],
      passkeyNote: null,
    });
    const config = loadConfig({ ALLOWED_ORIGINS: spa.origins.join(','), WEBAUTHN_ORIGINS: spa.passkeyOrigins.join(',') });
    expect(config.webauthn).toMatchObject({ rpId: 'localhost', origins: ['http://localhost:5173'] });
    expect(config.email.appUrl).toBe('http://localhost:5173');
    // What production would check: localhost covers its own origin, and 127.0.0.1 is left out of it.
    expect(() =>
      loadConfig({
        ALLOWED_ORIGINS: spa.origins.join(','),
        WEBAUTHN_ORIGINS: spa.passkeyOrigins.join(','),
        WEBAUTHN_RP_ID: 'localhost',
      }),
    ).not.toThrow();
    // The API's own development defaults put localhost first too.
    expect(loadConfig({}).webauthn.rpId).toBe('localhost');
  });

  it('listening everywhere, is reached at localhost; at a loopback IP, says where passkeys work', () => {
    for (const host of ['0.0.0.0', '::', '[::]']) {
      expect(spaAddress(host, '8080')).toMatchObject({ url: 'http://localhost:8080', passkeyNote: null });
    }
    const ip = spaAddress('127.0.0.1', '5173');
    expect(ip.url).toBe('http://127.0.0.1:5173');
    expect(ip.origins[0]).toBe('http://localhost:5173');
    expect(ip.passkeyNote).toMatch(/only at http:\/\/localhost:5173 \(an IP address is never a passkey's RP ID\)/);
    const v6 = spaAddress('::1', '5173');
    expect(v6.url).toBe('http://[::1]:5173');
    expect(v6.origins).toEqual(['http://localhost:5173', 'http://[::1]:5173', 'http://127.0.0.1:5173']);
    expect(v6.passkeyOrigins).toEqual(['http://localhost:5173']);
  });

  it('at a domain name, makes that name the first origin and the passkeys origin; at another IP, none', () => {
    const named = spaAddress('dev.example.test', '5173');
    expect(named.url).toBe('http://dev.example.test:5173');
    expect(named.origins[0]).toBe('http://dev.example.test:5173');
    expect(named.passkeyOrigins).toEqual(['http://dev.example.test:5173']);
    const lan = spaAddress('192.168.1.20', '5173');
    expect(lan.passkeyOrigins).toEqual([]);
    expect(lan.passkeyNote).toMatch(/domain name/);
  });
});
