// The WebAuthn relying party from config: its defaults, and the RP IDs browsers would refuse,
// which production (and any RP ID set explicitly) refuses at start with one clear message.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { PRODUCTION_ENV } from './helper.ts';

// The production start the other config tests use, with backends that need not answer.
const production = {
  ...PRODUCTION_ENV,
  DATABASE_URL: 'postgresql://u@db:5432/register',
  REDIS_URL: 'redis://redis:6379',
};
const problem = (env: Record<string, string | undefined>) => {
  try {
    loadConfig(env);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
};

describe('the WebAuthn relying party', () => {
  it('defaults: the host of the first ALLOWED_ORIGINS, "Register", the allowed origins, 10 passkeys, 5 minutes', () => {
    expect(loadConfig(production).webauthn).toEqual({
      rpId: 'app.example.com',
      rpName: 'Register',
      origins: ['https://app.example.com'],
      perUserMax: 10,
      challengeTtlSeconds: 300,
    });
    const set = loadConfig({
      ...production,
      ALLOWED_ORIGINS: 'https://app.example.com,https://admin.example.com',
      WEBAUTHN_RP_ID: 'Example.com',
      WEBAUTHN_RP_NAME: 'Acme accounts',
      WEBAUTHN_ORIGINS: 'https://app.example.com, https://login.example.com',
      PASSKEYS_PER_USER_MAX: '3',
      PASSKEY_CHALLENGE_TTL_SECONDS: '120',
    }).webauthn;
    expect(set).toEqual({
      rpId: 'example.com',
      rpName: 'Acme accounts',
      origins: ['https://app.example.com', 'https://login.example.com'],
      perUserMax: 3,
      challengeTtlSeconds: 120,
    });
    // Development: the dev servers' first origin is http://localhost:5173 (never an IP address).
    expect(loadConfig({}).webauthn.rpId).toBe('localhost');
    // ...and passkeys take part only on the origins it covers: 127.0.0.1's are left out.
    expect(loadConfig({}).webauthn.origins).toEqual(['http://localhost:5173', 'http://localhost:4173']);
    // Development: localhost is a domain an RP ID may be.
    expect(loadConfig({ WEBAUTHN_RP_ID: 'localhost', WEBAUTHN_ORIGINS: 'http://localhost:5173' }).webauthn).toMatchObject({
      rpId: 'localhost',
      origins: ['http://localhost:5173'],
    });
  });

  it('accepts an RP ID equal to, or a dot-separated suffix of, every accepted origin host', () => {
    for (const [rpId, origins] of [
      ['app.example.com', 'https://app.example.com'],
      ['example.com', 'https://app.example.com,https://example.com,https://a.b.example.com:8443'],
    ]) {
      expect(problem({ ...production, ALLOWED_ORIGINS: origins as string, WEBAUTHN_RP_ID: rpId as string }), rpId).toBeNull();
    }
  });

  it('refuses in production an RP ID that does not cover an origin: example.com accepts app.example.com, never evilexample.com', () => {
    const message = problem({
      ...production,
      ALLOWED_ORIGINS: 'https://app.example.com,https://evilexample.com',
      WEBAUTHN_RP_ID: 'example.com',
    });
    expect(message).toMatch(/WEBAUTHN_RP_ID: "example.com" does not cover https:\/\/evilexample.com: /);
    expect(message).not.toMatch(/app\.example\.com:/);
    // The default too: the first origin's host does not cover the second.
    expect(problem({ ...production, ALLOWED_ORIGINS: 'https://app.example.com,https://other.example.org' })).toMatch(
      /WEBAUTHN_RP_ID \(by default the host of the first of ALLOWED_ORIGINS\): "app.example.com" does not cover https:\/\/other.example.org/,
    );
    expect(problem({ ...production, WEBAUTHN_ORIGINS: 'https://example.com' })).toMatch(
      /"app.example.com" does not cover https:\/\/example.com/,
    );
    // A subdomain RP ID does not cover its parent.
    expect(problem({ ...production, ALLOWED_ORIGINS: 'https://example.com', WEBAUTHN_RP_ID: 'app.example.com' })).toMatch(
      /does not cover/,
    );
  });

  it('refuses an IP address as the RP ID, set or by default, IPv4 or IPv6, in any spelling', () => {
    for (const origins of ['http://10.0.0.5', 'https://192.168.1.10:8443', 'http://[::1]:3000', 'http://[2001:db8::1]']) {
      expect(problem({ ...production, ALLOWED_ORIGINS: origins }), origins).toMatch(
        /WEBAUTHN_RP_ID \(by default the host of the first of ALLOWED_ORIGINS\): ".+" is an IP address, which browsers never accept as an RP ID/,
      );
    }
    for (const rpId of ['127.0.0.1', '127.1', '::1', '[::1]', '0x7f000001']) {
      expect(problem({ WEBAUTHN_RP_ID: rpId }), rpId).toMatch(/WEBAUTHN_RP_ID: ".+" is an IP address/);
    }
  });

  it('refuses an explicit RP ID anywhere (not only in production) when it is no domain name or misses an origin', () => {
    for (const rpId of ['https://example.com', 'example.com:443', 'example.com/app', 'exa mple.com', 'bücher.de', ' ']) {
      expect(problem({ WEBAUTHN_RP_ID: rpId, WEBAUTHN_ORIGINS: 'https://example.com' }), rpId).toMatch(
        /WEBAUTHN_RP_ID: .* is not a domain name like example.com/,
      );
    }
    // The development origins include 127.0.0.1's, which no RP ID covers: by default they take
    // no part in passkeys, so an explicit `localhost` starts; named in WEBAUTHN_ORIGINS they are refused.
    expect(problem({ WEBAUTHN_RP_ID: 'localhost' })).toBeNull();
    expect(problem({ WEBAUTHN_RP_ID: 'localhost', WEBAUTHN_ORIGINS: 'http://localhost:5173,http://127.0.0.1:5173' })).toMatch(
      /"localhost" does not cover http:\/\/127.0.0.1:5173/,
    );
    // An RP ID that covers none of the development origins is refused too.
    expect(problem({ WEBAUTHN_RP_ID: 'example.com' })).toMatch(/"example.com" does not cover http:\/\/localhost:5173/);
    // Without an explicit RP ID, development starts (the SPA then decides where passkeys can work).
    expect(problem({})).toBeNull();
  });

  it('checks WEBAUTHN_ORIGINS as exact origins, and the numbers within their bounds', () => {
    expect(problem({ ...production, WEBAUTHN_ORIGINS: 'https://app.example.com/login' })).toMatch(
      /WEBAUTHN_ORIGINS: "https:\/\/app.example.com\/login" is not an origin/,
    );
    expect(problem({ ...production, WEBAUTHN_ORIGINS: ',' })).toMatch(/WEBAUTHN_ORIGINS names no origin/);
    expect(problem({ PASSKEYS_PER_USER_MAX: '0' })).toMatch(/PASSKEYS_PER_USER_MAX/);
    expect(problem({ PASSKEY_CHALLENGE_TTL_SECONDS: '5' })).toMatch(/PASSKEY_CHALLENGE_TTL_SECONDS/);
    expect(problem({ WEBAUTHN_RP_NAME: 'x'.repeat(65) })).toMatch(/WEBAUTHN_RP_NAME/);
  });

  it('refuses a trailing dot (example.com.); folds uppercase; takes punycode', () => {
    for (const env of [
      { WEBAUTHN_RP_ID: 'example.com.', WEBAUTHN_ORIGINS: 'https://example.com.' },
      { ...production, ALLOWED_ORIGINS: 'https://app.example.com.', WEBAUTHN_RP_ID: 'app.example.com.' },
    ] as Record<string, string>[]) {
      expect(problem(env), JSON.stringify(env)).toMatch(/WEBAUTHN_RP_ID: "[a-z.]+\." is not a domain name .*trailing dot/);
    }
    // Uppercase is folded, an international name must be punycode (refused above as bücher.de).
    expect(
      problem({ ...production, ALLOWED_ORIGINS: 'https://xn--bcher-kva.de', WEBAUTHN_RP_ID: 'XN--BCHER-KVA.DE' }),
    ).toBeNull();
  });
});
