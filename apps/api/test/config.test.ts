import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';
import { loadEnvFile } from '../src/env-file.ts';

const production = {
  NODE_ENV: 'production',
  SESSION_SECRET: 's'.repeat(32),
  CODE_SECRET: 'c'.repeat(32),
  ALLOWED_ORIGINS: 'https://app.example.com',
  DATABASE_URL: 'postgresql://u@db:5432/register',
  REDIS_URL: 'redis://redis:6379',
  SMTP_URL: 'smtp://mail.example.com:587',
  MAIL_FROM: 'no-reply@example.com',
};
const ccp = { CCP_ACCOUNT_SID: 'sid', CCP_AUTH_TOKEN: 'token', CCP_APP_ID: 'app' };
const smtp = { SMTP_URL: production.SMTP_URL, MAIL_FROM: production.MAIL_FROM };

describe('loadConfig', () => {
  it('runs with no variables at all: embedded database, in-process store, dev outbox', () => {
    const config = loadConfig({});
    expect(config.database.kind).toBe('embedded');
    expect(config.redis.kind).toBe('memory');
    expect(config.sms.gateway).toBe('outbox');
    expect(config.session.secure).toBe(false);
    expect(config).toMatchObject({ port: 3000, prefix: '/api', bodyLimit: 16_384 });
  });

  it('reads servers, numbers and flags', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgresql://u@h:5/d',
      REDIS_URL: 'redis://h:6',
      PORT: '8080',
      COOKIE_SECURE: 'true',
    });
    expect(config.database).toMatchObject({ kind: 'postgres', url: 'postgresql://u@h:5/d' });
    expect(config.redis).toMatchObject({ kind: 'redis', topology: { url: 'redis://h:6' } });
    expect(config.port).toBe(8080);
    expect(config.session.secure).toBe(true);
  });

  it('names every bad variable in one error', () => {
    const error = (() => {
      try {
        loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', SESSION_SECRET: 'short', SMS_RESEND_SECONDS: '0' });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    for (const name of ['PORT', 'DATABASE_URL', 'SESSION_SECRET', 'SMS_RESEND_SECONDS']) expect(error?.message).toContain(name);
  });

  it('names a bad secret without ever showing it, and shows a bad URL without its credentials', () => {
    const messageOf = (env: Record<string, string>) => {
      try {
        loadConfig(env);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as Error).message;
      }
      throw new Error('loadConfig accepted it');
    };
    const secrets = {
      METRICS_TOKEN: 'tooshort-token-value',
      SESSION_SECRET: 'short-session-secret',
      CODE_SECRET: 'short-code-secret',
    };
    const message = messageOf(secrets);
    for (const [name, value] of Object.entries(secrets)) {
      expect(message).toMatch(new RegExp(`${name}: .+ \\(got a value of ${value.length} characters\\)`));
      expect(message).not.toContain(value);
    }
    // A printable-characters rule broken by a long token: still only its length.
    const spaced = `${'x'.repeat(30)} secret-part ${'y'.repeat(10)}`;
    expect(messageOf({ METRICS_TOKEN: spaced })).not.toContain('secret-part');
    // A URL's userinfo may hold a password: gone, whatever it contains; the rest still helps.
    const urls = messageOf({
      DATABASE_URL: 'mysql://app:hunter2@db.internal:3306/register',
      REDIS_URL: 'http://:p@ss/w0rd@cache.internal:6379',
    });
    expect(urls).toContain('DATABASE_URL: ');
    expect(urls).toContain('(got "mysql://***@db.internal:3306/register")');
    expect(urls).toContain('(got "http://***@cache.internal:6379")');
    for (const part of ['app:', 'hunter2', 'p@ss', 'w0rd']) expect(urls).not.toContain(part);
    // Anything else is shown as it was given.
    expect(messageOf({ PORT: 'eighty' })).toContain('(got "eighty")');
  });

  it('serves metrics without a token only outside production on loopback with no proxy in front', () => {
    expect(loadConfig({}).metrics.enabled).toBe(true);
    for (const TRUST_PROXY of ['1', '127.0.0.1', 'true']) expect(loadConfig({ TRUST_PROXY }).metrics.enabled).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'false' }).metrics.enabled).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '1', METRICS_TOKEN: 't'.repeat(32) }).metrics).toEqual({
      enabled: true,
      token: 't'.repeat(32),
    });
  });

  it('in production: requires secrets and a real SMS provider, and refuses the dev outbox and test captchas', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', ...ccp })).toThrow(
      /SESSION_SECRET is required[\s\S]*CODE_SECRET is required/,
    );
    expect(() => loadConfig({ ...production, SMS_GATEWAY: 'outbox' })).toThrow(/outbox.*refused in production/);
    expect(() => loadConfig({ ...production, ...ccp, CAPTCHA_TEST_TEXT: 'ABCD' })).toThrow(/CAPTCHA_TEST_TEXT/);
    expect(() => loadConfig({ ...production })).toThrow(/CCP_ACCOUNT_SID is required/);
    const config = loadConfig({ ...production, ...ccp, TRUST_PROXY: '1' });
    expect(config.sms.gateway).toBe('ccp');
    expect(config.session.secure).toBe(true);
  });

  it('in production: secure cookies need a trusted TLS proxy, and "trust every proxy" is refused', () => {
    expect(() => loadConfig({ ...production, ...ccp })).toThrow(/COOKIE_SECURE needs TLS/);
    expect(() => loadConfig({ ...production, ...ccp, TRUST_PROXY: 'true' })).toThrow(/forge its IP/);
    expect(loadConfig({ ...production, ...ccp, TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).trustProxy).toBe('10.0.0.0/8, 127.0.0.1');
    expect(loadConfig({ ...production, ...ccp, COOKIE_SECURE: 'false' }).session.secure).toBe(false);
  });

  it('fails closed: no NODE_ENV on a public interface is refused', () => {
    expect(() => loadConfig({ HOST: '0.0.0.0' })).toThrow(/NODE_ENV is not set/);
  });

  it('keeps the development relaxations on loopback, whatever NODE_ENV (or a .env) says', () => {
    const secrets = { SESSION_SECRET: 's'.repeat(32), CODE_SECRET: 'c'.repeat(32) };
    for (const NODE_ENV of ['development', 'test']) {
      const message = (() => {
        try {
          loadConfig({ HOST: '0.0.0.0', NODE_ENV, CAPTCHA_TEST_TEXT: 'ABCD' });
        } catch (error) {
          return (error as Error).message;
        }
        return '';
      })();
      for (const expected of [
        /SESSION_SECRET is required when HOST \(0\.0\.0\.0\) is not loopback/,
        /CODE_SECRET is required when HOST/,
        /SMS_GATEWAY=outbox exposes SMS codes through \/__dev\/sms: only on a loopback HOST/,
        /MAIL_TRANSPORT=outbox exposes verification links through \/__dev\/mail: only on a loopback HOST/,
        /CAPTCHA_TEST_TEXT makes every captcha trivial: only on a loopback HOST/,
      ]) {
        expect(message).toMatch(expected);
      }
    }
    // Real secrets and a real provider: a deliberate development instance on a network is allowed.
    const config = loadConfig({
      HOST: '0.0.0.0',
      NODE_ENV: 'development',
      ...secrets,
      SMS_GATEWAY: 'ccp',
      ...ccp,
      MAIL_TRANSPORT: 'smtp',
      ...smtp,
    });
    expect(config.host).toBe('0.0.0.0');
    expect(config.session.secret).toEqual([secrets.SESSION_SECRET]);
    // On loopback the development defaults stay zero-config.
    expect(loadConfig({ HOST: '127.0.0.1', CAPTCHA_TEST_TEXT: 'ABCD' }).sms.gateway).toBe('outbox');
  });

  it('mail: the dev outbox outside production, SMTP (with its server and sender) required in production', () => {
    expect(loadConfig({}).mail).toMatchObject({ transport: 'outbox' });
    expect(() => loadConfig({ ...production, ...ccp, TRUST_PROXY: '1', MAIL_TRANSPORT: 'outbox' })).toThrow(
      /MAIL_TRANSPORT=outbox exposes verification links through \/__dev\/mail and is refused in production/,
    );
    const { SMTP_URL: _, MAIL_FROM: __, ...withoutSmtp } = production;
    expect(() => loadConfig({ ...withoutSmtp, ...ccp, TRUST_PROXY: '1' })).toThrow(
      /SMTP_URL is required when MAIL_TRANSPORT=smtp[\s\S]*MAIL_FROM is required/,
    );
    expect(loadConfig({ ...production, ...ccp, TRUST_PROXY: '1' }).mail).toEqual({
      transport: 'smtp',
      smtpUrl: production.SMTP_URL,
      from: production.MAIL_FROM,
      timeoutMs: 2000,
    });
    // Like the SMS provider's, the mail server's timeout leaves room inside the request's deadline.
    expect(() => loadConfig({ MAIL_TRANSPORT: 'smtp', ...smtp, MAIL_TIMEOUT_MS: '3000' })).toThrow(
      /MAIL_TIMEOUT_MS must be shorter than REQUEST_DEADLINE_MS/,
    );
    // A password in SMTP_URL never appears in a message.
    const message = (() => {
      try {
        loadConfig({ SMTP_URL: 'ftp://user:hunter2@mail.example.com' });
      } catch (error) {
        return (error as Error).message;
      }
      return '';
    })();
    expect(message).toMatch(/SMTP_URL/);
    expect(message).not.toMatch(/hunter2/);
  });

  it('email links point at the SPA: APP_URL, else the first allowed origin; notices by SMS only when asked', () => {
    expect(loadConfig({}).email).toEqual({
      appUrl: 'http://localhost:5173',
      tokenTtlSeconds: 86_400,
      perUserPerHour: 3,
      perAddressPerHour: 3,
      perAddressPerDay: 6,
      addressCeilingPerDay: 20,
    });
    expect(() => loadConfig({ EMAIL_PER_ADDRESS_PER_DAY: '30' })).toThrow(/EMAIL_PER_ADDRESS_PER_DAY/);
    expect(loadConfig({ ALLOWED_ORIGINS: 'https://a.example.com,https://b.example.com' }).email.appUrl).toBe(
      'https://a.example.com',
    );
    expect(loadConfig({ APP_URL: 'https://example.com/register/' }).email.appUrl).toBe('https://example.com/register');
    expect(() => loadConfig({ APP_URL: 'https://example.com/?next=1' })).toThrow(/APP_URL/);
    expect(loadConfig({}).notices).toEqual({ sms: false });
    expect(loadConfig({ SECURITY_SMS_NOTICES: 'true' }).notices).toEqual({ sms: true });
  });

  it('wants the SMS provider to time out before the resend wait ends', () => {
    expect(() => loadConfig({ SMS_GATEWAY: 'ccp', ...ccp, CCP_TIMEOUT_MS: '60000', SMS_RESEND_SECONDS: '60' })).toThrow(
      /CCP_TIMEOUT_MS/,
    );
  });

  it('takes ALLOWED_ORIGINS as exact origins: the dev servers by default, required in production', () => {
    expect(loadConfig({}).allowedOrigins).toEqual([
      'http://localhost:5173',
      'http://127.0.0.1:5173',
      'http://localhost:4173',
      'http://127.0.0.1:4173',
    ]);
    expect(loadConfig({ ALLOWED_ORIGINS: 'https://a.example, http://b.example:8080/' }).allowedOrigins).toEqual([
      'https://a.example',
      'http://b.example:8080',
    ]);
    expect(() => loadConfig({ ALLOWED_ORIGINS: 'https://a.example/app' })).toThrow(
      /ALLOWED_ORIGINS: "https:\/\/a.example\/app" is not an origin/,
    );
    expect(() => loadConfig({ ALLOWED_ORIGINS: '*' })).toThrow(/ALLOWED_ORIGINS/);
    const { ALLOWED_ORIGINS: _, ...withoutOrigins } = production;
    expect(() => loadConfig({ ...withoutOrigins, ...ccp, TRUST_PROXY: '1' })).toThrow(
      /ALLOWED_ORIGINS is required in production/,
    );
  });

  it('takes one Redis topology: a server, a Cluster or Sentinels', () => {
    expect(loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:7000, 10.0.0.2:7001' }).redis).toMatchObject({
      topology: {
        cluster: [
          { host: '10.0.0.1', port: 7000 },
          { host: '10.0.0.2', port: 7001 },
        ],
      },
    });
    expect(loadConfig({ REDIS_SENTINELS: 's1:26379', REDIS_SENTINEL_NAME: 'main' }).redis).toMatchObject({
      topology: { sentinels: [{ host: 's1', port: 26379 }], name: 'main' },
    });
    expect(() => loadConfig({ REDIS_URL: 'redis://h:6', REDIS_SENTINELS: 's1:26379' })).toThrow(/only one of REDIS_URL/);
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: 'no-port' })).toThrow(/REDIS_CLUSTER_NODES/);
  });

  it('keeps every backend timeout inside the request deadline', () => {
    expect(() => loadConfig({ REQUEST_DEADLINE_MS: '1000', DATABASE_QUERY_TIMEOUT_MS: '1500' })).toThrow(
      /DATABASE_QUERY_TIMEOUT_MS must be shorter than REQUEST_DEADLINE_MS/,
    );
    expect(() => loadConfig({ DATABASE_STATEMENT_TIMEOUT_MS: '2500', DATABASE_QUERY_TIMEOUT_MS: '2000' })).toThrow(
      /DATABASE_STATEMENT_TIMEOUT_MS cannot exceed/,
    );
  });

  it('in production: requires PostgreSQL and Redis, never the embedded defaults', () => {
    const { DATABASE_URL: _d, REDIS_URL: _r, ...embedded } = production;
    expect(() => loadConfig({ ...embedded, ...ccp, TRUST_PROXY: '1' })).toThrow(
      /REDIS_URL is required in production[\s\S]*DATABASE_URL is required in production/,
    );
  });

  it('refuses the renamed limit variables instead of silently ignoring them', () => {
    expect(() => loadConfig({ SMS_PER_IP_PER_HOUR: '5' })).toThrow(/SMS_PER_IP_PER_HOUR was renamed: use SMS_LIMIT_MAX/);
    expect(() => loadConfig({ CAPTCHA_PER_IP_PER_MINUTE: '5' })).toThrow(/CAPTCHA_LIMIT_MAX/);
    expect(() => loadConfig({ SMS_CODE_LENGTH: '4' })).toThrow(/SMS_CODE_LENGTH was removed: SMS codes are always 6 digits/);
  });

  it('keeps the login and SMS budgets consistent: no budget one client alone could spend for everyone', () => {
    expect(() => loadConfig({ LOGIN_MAX_FAILURES: '10', LOGIN_ACCOUNT_FREE_FAILURES: '20' })).toThrow(
      /LOGIN_ACCOUNT_FREE_FAILURES must be more than twice LOGIN_MAX_FAILURES/,
    );
    expect(() => loadConfig({ SMS_PER_MOBILE_PER_DAY: '30', SMS_MOBILE_CEILING_PER_DAY: '20' })).toThrow(
      /SMS_MOBILE_CEILING_PER_DAY/,
    );
    expect(() => loadConfig({ LOGIN_BASE_DELAY_SECONDS: '60', LOGIN_MAX_DELAY_SECONDS: '30' })).toThrow(
      /LOGIN_BASE_DELAY_SECONDS/,
    );
    expect(loadConfig({}).login).toEqual({
      maxFailures: 10,
      maxFailuresPerClient: 100,
      windowSeconds: 900,
      accountFreeFailures: 30,
      baseDelaySeconds: 1,
      maxDelaySeconds: 30,
      deviceCookie: { name: 'device', ttlSeconds: 365 * 86_400 },
    });
  });

  it('refuses argon2 parameters weaker than OWASP', () => {
    expect(() => loadConfig({ ARGON2_MEMORY_KIB: '4096' })).toThrow(/ARGON2_MEMORY_KIB/);
  });
});

describe('WEB_CONCURRENCY', () => {
  it('is 1 outside production, the cores in production, and more than 1 only on PostgreSQL and Redis', () => {
    expect(loadConfig({}).workers).toBe(1);
    expect(loadConfig({ ...production, ...ccp, TRUST_PROXY: '1' }).workers).toBe(os.availableParallelism());
    expect(() => loadConfig({ WEB_CONCURRENCY: '2' })).toThrow(
      /WEB_CONCURRENCY=2 needs DATABASE_URL: the embedded database lives in one process[\s\S]*WEB_CONCURRENCY=2 needs Redis/,
    );
    expect(
      loadConfig({ WEB_CONCURRENCY: '2', DATABASE_URL: production.DATABASE_URL, REDIS_URL: production.REDIS_URL }).workers,
    ).toBe(2);
  });
});

describe('.env', () => {
  it('.env.example, copied as it is, is the embedded default it says it is', () => {
    const example = parseEnv(fs.readFileSync(path.resolve(import.meta.dirname, '../../../.env.example'), 'utf8'));
    const config = loadConfig(example);
    expect(config.database.kind).toBe('embedded');
    expect(config.redis.kind).toBe('memory');
    expect(config.sms.gateway).toBe('outbox');
    expect(config).toEqual(loadConfig({ NODE_ENV: 'development' }));
  });

  it('fills in what the environment leaves unset, never overrides it, and is not read by the tests', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'envfile-')), '.env');
    fs.writeFileSync(file, 'ENVFILE_PROBE_A=from-file\nENVFILE_PROBE_B=from-file # a comment\n');
    const saved = process.env.NODE_ENV;
    process.env.ENVFILE_PROBE_B = 'from-environment';
    try {
      expect(loadEnvFile(file)).toBeNull(); // NODE_ENV=test
      expect(process.env.ENVFILE_PROBE_A).toBeUndefined();
      process.env.NODE_ENV = 'development';
      expect(loadEnvFile(file)).toBe(file);
      expect(process.env.ENVFILE_PROBE_A).toBe('from-file');
      expect(process.env.ENVFILE_PROBE_B).toBe('from-environment');
      expect(loadEnvFile(path.join(path.dirname(file), 'missing.env'))).toBeNull();
    } finally {
      process.env.NODE_ENV = saved;
      delete process.env.ENVFILE_PROBE_A;
      delete process.env.ENVFILE_PROBE_B;
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
  });
});
