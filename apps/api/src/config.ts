// The only reader of process.env. Every variable is declared here with its default, parsed and
// checked once at start; a bad value stops the process with one clear message naming it.

import { isIP } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { API_PREFIX, DEFAULT_LIMITS, type Locale } from '@register/contracts';
import { type Static, Type } from 'typebox';
import { Value } from 'typebox/value';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../../..');

// Used only outside production and only on a loopback HOST, where they keep `pnpm start`
// zero-config; anywhere else they are refused.
const DEV_SESSION_SECRET = 'dev-only-session-secret-change-me-0123456789';
const DEV_CODE_SECRET = 'dev-only-code-secret-change-me-0123456789abcd';
/**
 * Outside production, browsers may POST from the SPA's dev server (5173) and `vite preview` (4173).
 * localhost first: the first origin is the default APP_URL and passkeys' RP ID, which can never be
 * an IP address (the SPA on 127.0.0.1 still logs in with a password, never with a passkey).
 */
const DEV_ORIGINS = ['5173', '4173'].flatMap((port) => [`http://localhost:${port}`, `http://127.0.0.1:${port}`]);
/** Variables that were renamed: setting the old name stops the API, so a limit is never silently lost. */
const RENAMED: Record<string, string> = {
  CAPTCHA_PER_IP_PER_MINUTE: 'CAPTCHA_LIMIT_MAX (with CAPTCHA_LIMIT_WINDOW_SECONDS)',
  SMS_PER_IP_PER_HOUR: 'SMS_LIMIT_MAX (with SMS_LIMIT_WINDOW_SECONDS)',
};
/** Variables that were removed: setting one stops the API, saying why it no longer applies. */
const REMOVED: Record<string, string> = {
  SMS_CODE_LENGTH: 'SMS codes are always 6 digits, as the request schema says',
};

/**
 * The proof of work's algorithms: altcha-lib derives them in Node's thread pool, browsers in
 * WebCrypto. Not the plain SHA-* ones: altcha-lib hashes those in a synchronous loop, so one
 * forged answer to a signed challenge would stall the event loop for the whole cost (measured:
 * 8 at once held every route for 2.8 s at cost 100,000).
 */
export const ALTCHA_ALGORITHMS = ['PBKDF2/SHA-256', 'PBKDF2/SHA-384', 'PBKDF2/SHA-512'] as const;
export type AltchaAlgorithm = (typeof ALTCHA_ALGORITHMS)[number];
/**
 * The most an attempt may cost: verifying a solution is one attempt, so this bounds the server's
 * CPU per verification (PBKDF2-SHA-256 at 100,000 iterations: about 30 ms here, in the libuv thread pool).
 */
export const ALTCHA_MAX_COST = 100_000;

const Int = (def: number, min: number, max: number, description: string) =>
  Type.Integer({ default: def, minimum: min, maximum: max, description });
const Bool = (description: string) => Type.Union([Type.Literal('true'), Type.Literal('false')], { description });

export const EnvSchema = Type.Object({
  NODE_ENV: Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')], {
    default: 'development',
  }),
  HOST: Type.String({ default: '127.0.0.1', description: 'Interface to listen on (0.0.0.0 in containers).' }),
  PORT: Int(3000, 0, 65535, 'HTTP port of the API.'),
  API_PREFIX: Type.String({ default: API_PREFIX, pattern: '^(/[A-Za-z0-9_-]+)*$', description: 'Mount point of every route.' }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  LOG_FORMAT: Type.Optional(
    Type.Union([Type.Literal('pretty'), Type.Literal('json')], {
      description: 'pretty (pino-pretty, the default in development) or json (one object per line, the default otherwise).',
    }),
  ),
  DEFAULT_LOCALE: Type.Union([Type.Literal('en'), Type.Literal('zh-CN')], {
    default: 'en',
    description: 'Language of every errmsg and field message when Accept-Language names none of en, zh-CN.',
  }),
  TRUST_PROXY: Type.Optional(
    Type.String({
      pattern: '^(true|false|\\d+|[0-9A-Fa-f.:/]+(,\\s*[0-9A-Fa-f.:/]+)*)$',
      description: 'Proxies whose X-Forwarded-* to trust: a hop count or a list of addresses/CIDRs.',
    }),
  ),

  REQUEST_ID_HEADER: Type.String({
    default: 'x-request-id',
    pattern: '^[a-z0-9-]{1,64}$',
    description: 'Header carrying the request id in every answer (and, behind TRUST_PROXY, read from the proxy).',
  }),
  API_DOCS_ENABLED: Type.Optional(Bool('The API reference UI at /api/docs; default true outside production.')),
  METRICS_TOKEN: Type.Optional(
    Type.String({
      minLength: 32,
      pattern: '^[\\x21-\\x7e]+$',
      description:
        'Bearer token /api/metrics requires (32+ printable characters); without it, metrics answer only outside production on loopback without TRUST_PROXY.',
    }),
  ),

  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://', description: 'PostgreSQL; unset = embedded PGlite.' })),
  DATABASE_POOL_SIZE: Int(10, 1, 200, 'Connections in the PostgreSQL pool of each worker.'),
  WEB_CONCURRENCY: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 64,
      description: 'Worker processes (node:cluster); default: the cores in production, 1 otherwise.',
    }),
  ),
  DATABASE_CONNECT_TIMEOUT_MS: Int(
    1000,
    100,
    60_000,
    'Waiting for a PostgreSQL connection (a new one, or a free one from the pool).',
  ),
  DATABASE_QUERY_TIMEOUT_MS: Int(2000, 100, 60_000, 'Client-side timeout of one query: the connection is then destroyed.'),
  DATABASE_STATEMENT_TIMEOUT_MS: Int(
    2000,
    100,
    60_000,
    'Server-side statement_timeout (also bounds the wait for a user insert).',
  ),
  DATA_DIR: Type.String({ default: '.data', description: 'Embedded database directory (relative to the repo root).' }),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://', description: 'Redis; unset = in-process store.' })),
  REDIS_CLUSTER_NODES: Type.Optional(
    Type.String({
      pattern: '^[^,\\s]+:\\d+(,\\s*[^,\\s]+:\\d+)*$',
      description: 'Redis Cluster seed nodes, host:port,host:port.',
    }),
  ),
  REDIS_SENTINELS: Type.Optional(
    Type.String({ pattern: '^[^,\\s]+:\\d+(,\\s*[^,\\s]+:\\d+)*$', description: 'Redis Sentinels, host:port,host:port.' }),
  ),
  REDIS_SENTINEL_NAME: Type.String({ default: 'mymaster', minLength: 1, description: 'The master name the sentinels watch.' }),
  REDIS_PASSWORD: Type.Optional(Type.String({ minLength: 1, description: 'Password for Cluster or Sentinel-managed nodes.' })),
  REDIS_KEY_PREFIX: Type.String({ default: 'reg:', maxLength: 64 }),
  REDIS_CONNECT_TIMEOUT_MS: Int(1000, 100, 60_000, 'Establishing a Redis connection.'),
  REDIS_COMMAND_TIMEOUT_MS: Int(
    1000,
    50,
    60_000,
    'One Redis command; a timeout closes the connection (replies can never pair up wrongly).',
  ),
  REQUEST_DEADLINE_MS: Int(3000, 200, 120_000, 'Every request is answered within this, whatever the backends do.'),
  SHUTDOWN_GRACE_MS: Int(10_000, 100, 600_000, 'On SIGTERM/SIGINT, how long requests in flight may take to finish.'),
  SHUTDOWN_DRAIN_MS: Int(
    0,
    0,
    600_000,
    'On SIGTERM, how long /readyz says not ready (and answers close their connections) before the listener closes.',
  ),
  MAX_EVENT_LOOP_DELAY_MS: Int(1000, 10, 60_000, 'Past this event-loop delay the API answers 503 instead of queueing more work.'),
  PRESSURE_SAMPLE_INTERVAL_MS: Int(1000, 10, 60_000, 'How often the event-loop delay is sampled.'),

  SESSION_SECRET: Type.Optional(
    Type.String({
      minLength: 32,
      description: 'Signs session cookies (32+ chars); a comma-separated list to rotate: signs with the first, accepts all.',
    }),
  ),
  SESSION_TTL_SECONDS: Int(1_209_600, 60, 31_536_000, 'Session lifetime (default 14 days, as Django).'),
  SESSION_COOKIE_NAME: Type.String({ default: 'sid', pattern: '^[A-Za-z0-9_.-]+$' }),
  SESSION_TOUCH_SECONDS: Int(
    300,
    0,
    86_400,
    "How often a logged-in request may record its session's last-seen time (the sessions list); 0: every request.",
  ),
  SESSIONS_PER_USER_MAX: Int(50, 1, 10_000, "A user's live sessions at most: the login past it ends their oldest."),
  COOKIE_SECURE: Type.Optional(Bool('Secure cookies; default true in production.')),
  ALLOWED_ORIGINS: Type.Optional(
    Type.String({ description: 'Comma-separated origins browsers may send state-changing requests from.' }),
  ),
  BODY_LIMIT_BYTES: Int(16_384, 1024, 1_048_576, 'Largest accepted request body.'),
  HEALTH_CACHE_MS: Int(1000, 0, 60_000, 'How long /health/ reuses its last backend check (0: every call checks).'),

  CODE_SECRET: Type.Optional(
    Type.String({
      minLength: 32,
      description:
        'HMAC key for stored SMS codes, captcha answers, device cookies and event-log pseudonyms; a comma-separated list to rotate.',
    }),
  ),
  CAPTCHA_TTL_SECONDS: Int(300, 30, 3600, 'Lifetime of a captcha answer.'),
  CAPTCHA_FORMAT: Type.Union([Type.Literal('png'), Type.Literal('jpeg')], { default: 'png' }),
  CAPTCHA_RENDER_THREADS: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: 64,
      description: 'Worker threads drawing captchas (0: on the event loop); default: the cores per worker process.',
    }),
  ),
  CAPTCHA_TEST_TEXT: Type.Optional(
    Type.String({ pattern: '^[A-Za-z0-9]{4}$', description: 'Fixed captcha answer, for tests only.' }),
  ),
  // The image code's alternative, a proof of work (ALTCHA v2; modules/altcha/).
  ALTCHA_ENABLED: Type.Optional(
    Bool('The proof of work beside the image code (default true); false: its route is a 404 and POSTs naming it are refused.'),
  ),
  ALTCHA_ALGORITHM: Type.Union(
    ALTCHA_ALGORITHMS.map((a) => Type.Literal(a)),
    {
      default: 'PBKDF2/SHA-256',
      description: "Key derivation of the proof of work: those altcha-lib and browsers' WebCrypto both have.",
    },
  ),
  ALTCHA_COST: Int(
    5000,
    1,
    ALTCHA_MAX_COST,
    'Iterations of one attempt (PBKDF2 iterations, or hash rounds for SHA-*): what the server spends to verify a solution.',
  ),
  ALTCHA_TTL_SECONDS: Int(300, 30, 3600, 'Lifetime of a proof-of-work challenge.'),

  // Per-client request limits (@fastify/rate-limit). A client is an IPv4 address or an IPv6 /64.
  CLIENT_IPV6_PREFIX: Int(64, 32, 128, 'IPv6 clients are grouped by this prefix length (a /64 is one subscriber).'),
  RATE_LIMIT_MAX: Int(600, 1, 100_000_000, 'Requests per client per window, on every route without a budget of its own.'),
  RATE_LIMIT_WINDOW_SECONDS: Int(60, 1, 86_400, 'Window of RATE_LIMIT_MAX.'),
  AVAILABILITY_LIMIT_MAX: Int(
    DEFAULT_LIMITS.availabilityMax,
    1,
    100_000_000,
    'Username and mobile checks per client per window.',
  ),
  AVAILABILITY_LIMIT_WINDOW_SECONDS: Int(
    DEFAULT_LIMITS.availabilityWindowSeconds,
    1,
    86_400,
    'Window of AVAILABILITY_LIMIT_MAX.',
  ),
  CAPTCHA_LIMIT_MAX: Int(30, 1, 100_000_000, 'Captcha images per client per window.'),
  CAPTCHA_LIMIT_WINDOW_SECONDS: Int(60, 1, 86_400, 'Window of CAPTCHA_LIMIT_MAX.'),
  ALTCHA_LIMIT_MAX: Int(30, 1, 100_000_000, 'Proof-of-work challenges per client per window.'),
  ALTCHA_LIMIT_WINDOW_SECONDS: Int(60, 1, 86_400, 'Window of ALTCHA_LIMIT_MAX.'),
  SMS_LIMIT_MAX: Int(30, 1, 100_000_000, 'SMS code requests per client per window.'),
  SMS_LIMIT_WINDOW_SECONDS: Int(3600, 1, 86_400, 'Window of SMS_LIMIT_MAX.'),

  SMS_GATEWAY: Type.Optional(Type.Union([Type.Literal('outbox'), Type.Literal('ccp')])),
  SMS_CODE_TTL_SECONDS: Int(DEFAULT_LIMITS.smsCodeTtlSeconds, 60, 3600, 'Lifetime of an SMS code.'),
  SMS_RESEND_SECONDS: Int(DEFAULT_LIMITS.smsResendSeconds, 10, 3600, 'Wait before another code to the same mobile.'),
  SMS_MAX_ATTEMPTS: Int(DEFAULT_LIMITS.smsMaxAttempts, 1, 20, 'Wrong codes allowed before the code is deleted.'),
  SMS_PER_MOBILE_PER_HOUR: Int(5, 1, 1000, 'SMS codes one client may have sent to one mobile per hour.'),
  SMS_PER_MOBILE_PER_DAY: Int(10, 1, 1000, 'SMS codes one client may have sent to one mobile per day.'),
  SMS_MOBILE_CEILING_PER_DAY: Int(40, 1, 10_000, 'SMS codes one mobile may receive per day, from all clients.'),
  SMS_PER_BLOCK_PER_HOUR: Int(30, 1, 1_000_000, 'SMS codes per hour to one number block (a mobile without its last 4 digits).'),
  SMS_GLOBAL_PER_HOUR: Int(1000, 1, 100_000_000, 'SMS codes the whole service sends per hour.'),
  SMS_GLOBAL_PER_DAY: Int(10_000, 1, 1_000_000_000, 'SMS codes the whole service sends per day.'),
  SMS_ALTCHA_PER_CLIENT_PER_HOUR: Int(3, 1, 1_000_000, 'SMS codes one client may have sent per hour through the proof of work.'),
  SMS_ALTCHA_PER_NETWORK_PER_HOUR: Int(
    12,
    1,
    1_000_000,
    'SMS codes one IPv6 network (SMS_ALTCHA_NETWORK_IPV6_PREFIX) may have sent per hour through the proof of work.',
  ),
  SMS_ALTCHA_NETWORK_IPV6_PREFIX: Int(48, 16, 64, 'The IPv6 network that budget counts: a /48 is one site.'),
  SMS_ALTCHA_GLOBAL_PER_HOUR: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 100_000_000,
      description:
        'SMS codes the whole service sends per hour through the proof of work; default a fifth of SMS_GLOBAL_PER_HOUR.',
    }),
  ),

  LOGIN_MAX_FAILURES: Int(DEFAULT_LIMITS.loginMaxFailures, 1, 1000, 'Failed logins per (identifier, client) per window.'),
  LOGIN_MAX_FAILURES_PER_CLIENT: Int(
    100,
    1,
    1_000_000,
    'Failed logins per client, over all accounts, per window before progressive delays.',
  ),
  LOGIN_WINDOW_SECONDS: Int(DEFAULT_LIMITS.loginWindowSeconds, 1, 86_400, 'Window of the login failure budgets.'),
  LOGIN_ACCOUNT_FREE_FAILURES: Int(30, 1, 1_000_000, 'Failures per account per window before progressive delays start.'),
  LOGIN_BASE_DELAY_SECONDS: Int(1, 1, 3600, 'First progressive delay; it doubles with each further failure.'),
  LOGIN_MAX_DELAY_SECONDS: Int(DEFAULT_LIMITS.loginMaxDelaySeconds, 1, 3600, 'Longest progressive delay.'),
  DEVICE_COOKIE_NAME: Type.String({
    default: 'device',
    pattern: '^[A-Za-z0-9_.-]+$',
    description: 'Cookie marking a browser that logged in before.',
  }),
  DEVICE_COOKIE_TTL_DAYS: Int(365, 1, 3650, 'Lifetime of the device cookie.'),

  SECURITY_EVENT_RETENTION_DAYS: Int(90, 1, 3650, 'Security events older than this are deleted.'),
  SECURITY_EVENT_FLUSH_MS: Int(250, 10, 60_000, 'How often buffered security events are written.'),
  SECURITY_EVENT_BUFFER_MAX: Int(
    10_000,
    100,
    1_000_000,
    'Events held while the database is slow; beyond it they are dropped and counted.',
  ),
  SECURITY_EVENT_WRITE_TIMEOUT_MS: Int(5000, 100, 60_000, 'A batch of events not written within this is dropped.'),
  CCP_BASE_URL: Type.String({ default: 'https://app.cloopen.com:8883', pattern: '^https?://' }),
  CCP_ACCOUNT_SID: Type.Optional(Type.String({ minLength: 1 })),
  CCP_AUTH_TOKEN: Type.Optional(Type.String({ minLength: 1 })),
  CCP_APP_ID: Type.Optional(Type.String({ minLength: 1 })),
  CCP_TEMPLATE_ID: Type.String({ default: '1', minLength: 1 }),
  CCP_NOTICE_TEMPLATE_ID: Type.Optional(
    Type.String({
      minLength: 1,
      description: "The provider template of SMS security notices (one parameter: the notice's text); codes use CCP_TEMPLATE_ID.",
    }),
  ),
  CCP_TIMEOUT_MS: Int(2000, 100, 60_000, 'Timeout of one call to the SMS provider.'),

  // Email addresses and their verification (modules/email), the mail transport (modules/mail) and
  // the security notices (modules/notifications).
  APP_URL: Type.Optional(
    Type.String({
      pattern: '^https?://',
      description: "The SPA's base URL, for the links in emails (/verify-email); default: the first of ALLOWED_ORIGINS.",
    }),
  ),
  MAIL_TRANSPORT: Type.Optional(
    Type.Union([Type.Literal('outbox'), Type.Literal('smtp')], {
      description: 'outbox (the dev mail outbox, /api/__dev/mail) or smtp; default smtp in production, outbox otherwise.',
    }),
  ),
  SMTP_URL: Type.Optional(
    Type.String({
      pattern: '^smtps?://',
      description:
        'The SMTP server, e.g. smtp://user:password@smtp.example.com:587 (STARTTLS) or smtps://...:465; required with MAIL_TRANSPORT=smtp.',
    }),
  ),
  MAIL_FROM: Type.Optional(
    Type.String({
      minLength: 3,
      maxLength: 320,
      pattern: '@',
      description: 'The From of every email, e.g. "Register <no-reply@example.com>"; required with MAIL_TRANSPORT=smtp.',
    }),
  ),
  MAIL_TIMEOUT_MS: Int(2000, 100, 60_000, 'Sending one email to the SMTP server, from connecting to its last reply.'),
  EMAIL_TOKEN_TTL_SECONDS: Int(86_400, 300, 604_800, 'Lifetime of an email verification link (default 24 h).'),
  EMAIL_PER_USER_PER_HOUR: Int(3, 1, 1000, 'Verification emails one account may have sent per hour (sets and resends).'),
  EMAIL_PER_ADDRESS_PER_HOUR: Int(3, 1, 1000, 'Verification emails one account may have sent to one address per hour.'),
  EMAIL_PER_ADDRESS_PER_DAY: Int(6, 1, 1000, 'Verification emails one account may have sent to one address per day.'),
  EMAIL_ADDRESS_CEILING_PER_DAY: Int(20, 1, 10_000, 'Verification emails one address may receive per day, from all accounts.'),
  SECURITY_SMS_NOTICES: Type.Optional(
    Bool("Also text each security notice to the account's mobile (each one costs an SMS); default false."),
  ),

  // Passkeys (WebAuthn; modules/passkeys): the relying party browsers bind every passkey to.
  WEBAUTHN_RP_ID: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 253,
      description:
        'The relying party id passkeys are bound to: a domain name, never an IP address, equal to or a parent of every WEBAUTHN_ORIGINS host; default: the host of the first of ALLOWED_ORIGINS.',
    }),
  ),
  WEBAUTHN_RP_NAME: Type.String({
    default: 'Register',
    minLength: 1,
    maxLength: 64,
    description: 'The service name the browser shows when it creates a passkey.',
  }),
  WEBAUTHN_ORIGINS: Type.Optional(
    Type.String({
      description: 'Comma-separated exact origins passkey ceremonies may come from; default: ALLOWED_ORIGINS.',
    }),
  ),
  PASSKEYS_PER_USER_MAX: Int(10, 1, 100, 'Passkeys one account may have.'),
  PASSKEY_CHALLENGE_TTL_SECONDS: Int(300, 30, 3600, 'Lifetime of a passkey ceremony (its challenge), used once.'),

  ARGON2_MEMORY_KIB: Int(19_456, 19_456, 4_194_304, 'argon2id memory cost (OWASP minimum 19456).'),
  ARGON2_TIME_COST: Int(2, 2, 20, 'argon2id iterations.'),
  ARGON2_PARALLELISM: Int(1, 1, 16, 'argon2id lanes.'),

  SUPERUSER_PASSWORD: Type.Optional(
    Type.String({ description: 'The password of `pnpm cli createsuperuser --noinput` (as DJANGO_SUPERUSER_PASSWORD).' }),
  ),
});
type Env = Static<typeof EnvSchema>;

export interface Config {
  env: Env['NODE_ENV'];
  /** Worker processes serving the one port (WEB_CONCURRENCY); 1: this process serves. */
  workers: number;
  host: string;
  port: number;
  prefix: string;
  logLevel: string;
  /** Human-readable lines (development) or JSON lines (production, tests, log shippers). */
  logFormat: 'pretty' | 'json';
  /** Fastify's trustProxy: false, true (any proxy), a hop count, or addresses/CIDRs. */
  trustProxy: boolean | number | string;
  /** The request id's header; an incoming one is used only from a trusted proxy's connection (plugins/request-id.ts). */
  requestId: { header: string };
  /** The API reference UI (/api/docs); the OpenAPI document (/api/openapi.json) is always served. */
  docs: { enabled: boolean };
  /** /api/metrics: answered only when enabled, and then only with the bearer token when one is set. */
  metrics: { enabled: boolean; token: string | undefined };
  /** The catalog answering a request whose Accept-Language names none of ours. */
  defaultLocale: Locale;
  database:
    | {
        kind: 'postgres';
        url: string;
        poolSize: number;
        connectTimeoutMs: number;
        queryTimeoutMs: number;
        statementTimeoutMs: number;
      }
    | { kind: 'embedded'; dir: string };
  redis:
    | {
        kind: 'redis';
        /** One server (url), a Cluster (its seed nodes), or a primary found through Sentinels. */
        topology: { url: string } | { cluster: HostPort[] } | { sentinels: HostPort[]; name: string };
        password: string | undefined;
        keyPrefix: string;
        connectTimeoutMs: number;
        commandTimeoutMs: number;
      }
    | { kind: 'memory'; keyPrefix: string };
  /** Every request is answered within this, unless it has begun an irrevocable step (lib/deadline.ts). */
  deadlineMs: number;
  /** The bound of one store step after an irrevocable one (a session save): Redis's command timeout. */
  storeStepMs: number;
  shutdownGraceMs: number;
  shutdownDrainMs: number;
  pressure: { maxEventLoopDelayMs: number; sampleIntervalMs: number };
  /** `secret`: newest first; the first signs, every one is accepted (rotation). */
  session: {
    secret: string[];
    ttlSeconds: number;
    anonymousTtlSeconds: number;
    cookieName: string;
    secure: boolean;
    /** At most how often a logged-in request records its session's last-seen time. */
    touchSeconds: number;
    /** A user's live sessions at most (the login past it ends the oldest). */
    perUserMax: number;
  };
  allowedOrigins: string[];
  bodyLimit: number;
  healthCacheMs: number;
  /** Newest first: the first keys new HMACs, every one is checked (rotation, lib/digest.ts). */
  codeSecret: string[];
  limits: {
    ipv6Prefix: number;
    global: RequestLimit;
    availability: RequestLimit;
    captcha: RequestLimit;
    altcha: RequestLimit;
    sms: RequestLimit;
  };
  captcha: { ttlSeconds: number; format: 'png' | 'jpeg'; testText: string | undefined; renderThreads: number };
  /** The image code's alternative (ALTCHA v2 proof of work): off means its route is unknown. */
  altcha: { enabled: boolean; algorithm: AltchaAlgorithm; cost: number; ttlSeconds: number };
  sms: {
    gateway: 'outbox' | 'ccp';
    ttlSeconds: number;
    resendSeconds: number;
    maxAttempts: number;
    perMobilePerHour: number;
    perMobilePerDay: number;
    mobileCeilingPerDay: number;
    perBlockPerHour: number;
    globalPerHour: number;
    globalPerDay: number;
    /** Tighter budgets for sends passed by the proof of work (cheaper for a bot than the image). */
    altchaPerClientPerHour: number;
    /** Per IPv6 network of SMS_ALTCHA_NETWORK_IPV6_PREFIX bits (IPv4 clients: per client only). */
    altchaPerNetworkPerHour: number;
    altchaNetworkIpv6Prefix: number;
    altchaGlobalPerHour: number;
    ccp: {
      baseUrl: string;
      accountSid: string;
      authToken: string;
      appId: string;
      templateId: string;
      /** The template of security notices (CCP_NOTICE_TEMPLATE_ID); without it a notice is not sent. */
      noticeTemplateId?: string | undefined;
      timeoutMs: number;
    };
  };
  login: {
    maxFailures: number;
    maxFailuresPerClient: number;
    windowSeconds: number;
    accountFreeFailures: number;
    baseDelaySeconds: number;
    maxDelaySeconds: number;
    deviceCookie: { name: string; ttlSeconds: number };
  };
  events: { retentionDays: number; flushMs: number; bufferMax: number; writeTimeoutMs: number };
  /** How email leaves: the dev outbox (never in production) or an SMTP server. */
  mail: { transport: 'outbox' | 'smtp'; smtpUrl: string; from: string; timeoutMs: number };
  /** The account's email address and its verification link. */
  email: {
    /** The SPA's base URL (no trailing slash): links are `${appUrl}/verify-email#token=...`. */
    appUrl: string;
    tokenTtlSeconds: number;
    perUserPerHour: number;
    /** Per (address, account): what one account spends on an address never denies it to another. */
    perAddressPerHour: number;
    perAddressPerDay: number;
    /** Per address, all accounts together: what protects the address from being flooded. */
    addressCeilingPerDay: number;
  };
  /** Security notices: always by email to a verified address; by SMS too when `sms`. */
  notices: { sms: boolean };
  /** Passkeys: the relying party (RP ID, name), the origins ceremonies may come from, the cap per user. */
  webauthn: { rpId: string; rpName: string; origins: string[]; perUserMax: number; challengeTtlSeconds: number };
  argon2: { memoryCost: number; timeCost: number; parallelism: number };
  /** The operators' commands (pnpm cli). */
  admin: { superuserPassword: string | undefined };
}

export interface HostPort {
  host: string;
  port: number;
}
const hostPorts = (list: string): HostPort[] =>
  list.split(',').map((item) => {
    const at = item.trim().lastIndexOf(':');
    return { host: item.trim().slice(0, at), port: Number(item.trim().slice(at + 1)) };
  });

/** A per-client request budget: at most `max` requests per `windowMs`. */
export interface RequestLimit {
  max: number;
  windowMs: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses an environment (process.env by default) into a Config, or throws ConfigError listing every problem. */
export function loadConfig(source: Record<string, string | undefined> = process.env): Config {
  const raw: Record<string, string> = {};
  for (const key of Object.keys(EnvSchema.properties)) {
    const value = source[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const isSet = (key: string) => source[key] !== undefined && source[key] !== '';
  const retired = [
    ...Object.keys(RENAMED)
      .filter(isSet)
      .map((k) => `  ${k} was renamed: use ${RENAMED[k]}.`),
    ...Object.keys(REMOVED)
      .filter(isSet)
      .map((k) => `  ${k} was removed: ${REMOVED[k]}.`),
  ];
  if (retired.length) throw new ConfigError(`Invalid configuration:\n${retired.join('\n')}`);
  const explicitNodeEnv = 'NODE_ENV' in raw; // read before Value.Default fills raw in
  const env = Value.Convert(EnvSchema, Value.Default(EnvSchema, { ...raw }));
  const errors = Value.Errors(EnvSchema, env);
  if (errors.length) {
    const lines = errors.map((e) => {
      const key = e.instancePath.replace(/^\//, '') || '(environment)';
      const got = raw[key];
      return `  ${key}: ${e.message}${got === undefined ? '' : ` (got ${shownValue(key, got)})`}`;
    });
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return toConfig(env as Env, explicitNodeEnv);
}

/** Variables holding a secret: their values never appear in a message (logs, CI output, terminals). */
const SECRET_NAME = /(_SECRET|_TOKEN|_PASSWORD)$/;

/**
 * A bad value as a config message may show it: a secret only by its length, a URL without its
 * userinfo (`postgresql://user:password@host` may hold a password; everything up to the last `@`
 * goes, since a password need not be percent-encoded), anything else as it is.
 */
function shownValue(key: string, value: string): string {
  if (SECRET_NAME.test(key)) return `a value of ${value.length} characters`;
  const url = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)(.*)@/s.exec(value);
  return JSON.stringify(url ? `${url[1]}***@${value.slice(url[0].length)}` : value);
}

function parseTrustProxy(value: string | undefined): Config['trustProxy'] {
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  return /^\d+$/.test(value) ? Number(value) : value;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/** ALLOWED_ORIGINS as exact origins (scheme://host[:port]); anything else is a config problem. */
function parseOrigins(value: string | undefined, production: boolean, problems: string[], name = 'ALLOWED_ORIGINS'): string[] {
  if (value === undefined) {
    if (production) problems.push('ALLOWED_ORIGINS is required in production: the origins the SPA is served from.');
    return production ? [] : DEV_ORIGINS;
  }
  const origins: string[] = [];
  for (const item of value
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean)) {
    let origin: string | null = null;
    try {
      const url = new URL(item);
      if ((url.protocol === 'http:' || url.protocol === 'https:') && url.origin === item.replace(/\/$/, '')) origin = url.origin;
    } catch {}
    if (origin) origins.push(origin);
    else problems.push(`${name}: ${JSON.stringify(item)} is not an origin like https://app.example.com (no path).`);
  }
  return origins;
}

/**
 * APP_URL (the SPA's base URL, which may have a path) without its trailing slash, or the first
 * allowed origin: the SPA is served from there.
 */
function parseAppUrl(value: string | undefined, origins: string[], problems: string[]): string {
  if (value === undefined) return origins[0] ?? '';
  try {
    const url = new URL(value);
    if (!url.search && !url.hash && !url.username && !url.password) return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
  } catch {}
  problems.push(`APP_URL: ${JSON.stringify(value)} is not a base URL like https://app.example.com (no query or fragment).`);
  return '';
}

/**
 * The WebAuthn relying party (modules/passkeys). A browser accepts an RP ID only when it is the
 * page's host or a parent domain of it, and never an IP address: a wrong one fails every passkey
 * ceremony in the browser, so production (and any RP ID set explicitly) refuses it at start.
 */
function parseWebauthn(env: Env, allowedOrigins: string[], production: boolean, problems: string[]): Config['webauthn'] {
  const explicit = env.WEBAUTHN_RP_ID !== undefined;
  const first = allowedOrigins[0];
  const rpId = env.WEBAUTHN_RP_ID?.trim().toLowerCase() ?? (first ? new URL(first).hostname : '');
  // Outside production the allowed origins include 127.0.0.1's, where no passkey can ever work
  // (an IP is never an RP ID): by default only those the RP ID covers take part. In production
  // every allowed origin must be covered, so a misconfiguration stops the start below.
  // (An RP ID that covers none of them is checked against them all, to be reported.)
  const covered = allowedOrigins.filter((origin) => covers(rpId, origin));
  const origins =
    env.WEBAUTHN_ORIGINS !== undefined
      ? parseOrigins(env.WEBAUTHN_ORIGINS, production, problems, 'WEBAUTHN_ORIGINS')
      : production || covered.length === 0
        ? allowedOrigins
        : covered;
  if (env.WEBAUTHN_ORIGINS !== undefined && origins.length === 0) problems.push('WEBAUTHN_ORIGINS names no origin.');
  // Without ALLOWED_ORIGINS in production there is no default to check: that is reported already.
  if ((production || explicit) && (explicit || first)) {
    const problem = rpIdProblem(rpId, origins);
    const name = explicit ? 'WEBAUTHN_RP_ID' : 'WEBAUTHN_RP_ID (by default the host of the first of ALLOWED_ORIGINS)';
    if (problem) problems.push(`${name}: ${problem}`);
  }
  return {
    rpId,
    rpName: env.WEBAUTHN_RP_NAME,
    origins,
    perUserMax: env.PASSKEYS_PER_USER_MAX,
    challengeTtlSeconds: env.PASSKEY_CHALLENGE_TTL_SECONDS,
  };
}

/** Whether a page at `origin` may use passkeys of `rpId`: its host is the RP ID or a subdomain of it. */
function covers(rpId: string, origin: string): boolean {
  const host = new URL(origin).hostname;
  return host === rpId || host.endsWith(`.${rpId}`);
}

/** Why browsers would refuse this RP ID for these origins, or null when they accept it. */
function rpIdProblem(rpId: string, origins: string[]): string | null {
  let host: string | null = null;
  try {
    host = new URL(`http://${rpId}`).hostname;
  } catch {}
  if (isIP(rpId.replace(/^\[|\]$/g, '')) || (host !== null && isIP(host.replace(/^\[|\]$/g, '')))) {
    return `${JSON.stringify(rpId)} is an IP address, which browsers never accept as an RP ID: serve the SPA from a domain name (http://localhost:PORT in development) and use that name.`;
  }
  if (!rpId || host !== rpId || rpId.endsWith('.')) {
    return `${JSON.stringify(rpId)} is not a domain name like example.com (lowercase ASCII, punycode for an international name; no scheme, port, path or trailing dot).`;
  }
  const uncovered = origins.filter((origin) => !covers(rpId, origin));
  if (uncovered.length === 0) return null;
  return `${JSON.stringify(rpId)} does not cover ${uncovered.join(', ')}: every accepted origin's host (WEBAUTHN_ORIGINS, by default ALLOWED_ORIGINS) must be the RP ID or a subdomain of it (example.com covers app.example.com, never evilexample.com).`;
}

function toConfig(env: Env, explicitNodeEnv: boolean): Config {
  const production = env.NODE_ENV === 'production';
  const problems: string[] = [];
  const trustProxy = parseTrustProxy(env.TRUST_PROXY);
  const secureCookies = env.COOKIE_SECURE ? env.COOKIE_SECURE === 'true' : production;
  // Fail closed: the dev defaults (public secrets, the SMS outbox) must never face a network by accident.
  if (!explicitNodeEnv && !LOOPBACK.has(env.HOST)) {
    problems.push(
      `NODE_ENV is not set and HOST=${env.HOST} is not loopback: set NODE_ENV=production (or development, deliberately).`,
    );
  }
  if (production && trustProxy === true) {
    problems.push('TRUST_PROXY=true lets any client forge its IP: give the hop count or the proxy addresses.');
  }
  // The API speaks plain HTTP; behind a TLS proxy it knows the request was https only through a trusted proxy.
  if (production && secureCookies && trustProxy === false) {
    problems.push('COOKIE_SECURE needs TLS: set TRUST_PROXY to your TLS-terminating proxy (or COOKIE_SECURE=false).');
  }
  // Whatever NODE_ENV says (a .env file included), the development relaxations (public
  // secrets, the SMS outbox and its /api/__dev/ routes, a fixed captcha) exist only while the
  // API listens on loopback, where nobody else can reach them.
  const loopback = LOOPBACK.has(env.HOST);
  // A list rotates a secret: the newest first, the ones it replaces after it while anything
  // they signed may still come back (sessions; codes for a code lifetime).
  const secret = (name: 'SESSION_SECRET' | 'CODE_SECRET', dev: string): string[] => {
    const value = env[name];
    if (value) {
      const list = value.split(',').map((s) => s.trim());
      if (list.some((s) => s.length < 32)) problems.push(`${name}: every secret in the list must be 32+ characters.`);
      if (new Set(list).size !== list.length) problems.push(`${name}: the list names a secret twice.`);
      return list;
    }
    if (production) problems.push(`${name} is required in production (32+ random characters).`);
    else if (!loopback)
      problems.push(`${name} is required when HOST (${env.HOST}) is not loopback: the development one is public.`);
    return [dev];
  };
  const gateway = env.SMS_GATEWAY ?? (production ? 'ccp' : 'outbox');
  if (production && gateway === 'outbox') {
    problems.push('SMS_GATEWAY=outbox exposes SMS codes through /__dev/sms and is refused in production.');
  } else if (!loopback && gateway === 'outbox') {
    problems.push(`SMS_GATEWAY=outbox exposes SMS codes through /__dev/sms: only on a loopback HOST, not ${env.HOST}.`);
  }
  const mailTransport = env.MAIL_TRANSPORT ?? (production ? 'smtp' : 'outbox');
  if (production && mailTransport === 'outbox') {
    problems.push('MAIL_TRANSPORT=outbox exposes verification links through /__dev/mail and is refused in production.');
  } else if (!loopback && mailTransport === 'outbox') {
    problems.push(
      `MAIL_TRANSPORT=outbox exposes verification links through /__dev/mail: only on a loopback HOST, not ${env.HOST}.`,
    );
  }
  if (mailTransport === 'smtp') {
    for (const key of ['SMTP_URL', 'MAIL_FROM'] as const) {
      if (!env[key]) problems.push(`${key} is required when MAIL_TRANSPORT=smtp.`);
    }
  }
  if (env.SECURITY_SMS_NOTICES === 'true' && gateway === 'ccp' && !env.CCP_NOTICE_TEMPLATE_ID) {
    problems.push('CCP_NOTICE_TEMPLATE_ID is required when SECURITY_SMS_NOTICES=true: notices have a template of their own.');
  }
  if (!production && !loopback && env.CAPTCHA_TEST_TEXT) {
    problems.push(`CAPTCHA_TEST_TEXT makes every captcha trivial: only on a loopback HOST, not ${env.HOST}.`);
  }
  // The embedded defaults are for trying the service: their limits and sessions live in one
  // process (and the in-process rate-limit store forgets under pressure), their data on one disk.
  if (production && !env.REDIS_URL)
    problems.push('REDIS_URL is required in production (the in-process store is for trying the service).');
  if (production && !env.DATABASE_URL)
    problems.push('DATABASE_URL is required in production (PGlite is for trying the service).');
  if (production && env.CAPTCHA_TEST_TEXT)
    problems.push('CAPTCHA_TEST_TEXT makes every captcha trivial and is refused in production.');
  if (gateway === 'ccp' && env.CCP_TIMEOUT_MS >= env.SMS_RESEND_SECONDS * 1000) {
    problems.push(
      'CCP_TIMEOUT_MS must be shorter than SMS_RESEND_SECONDS, so a late failure cannot clean up after a newer send.',
    );
  }
  // One client trying both the username and the mobile makes 2 x LOGIN_MAX_FAILURES failures per
  // window; the account's delays must start above that, or one attacker alone could slow the owner.
  if (env.LOGIN_ACCOUNT_FREE_FAILURES <= 2 * env.LOGIN_MAX_FAILURES) {
    problems.push(
      'LOGIN_ACCOUNT_FREE_FAILURES must be more than twice LOGIN_MAX_FAILURES, so one client cannot slow an account alone.',
    );
  }
  if (env.LOGIN_BASE_DELAY_SECONDS > env.LOGIN_MAX_DELAY_SECONDS) {
    problems.push('LOGIN_BASE_DELAY_SECONDS cannot exceed LOGIN_MAX_DELAY_SECONDS.');
  }
  if (env.EMAIL_PER_ADDRESS_PER_DAY > env.EMAIL_ADDRESS_CEILING_PER_DAY) {
    problems.push('EMAIL_PER_ADDRESS_PER_DAY (per account) cannot exceed EMAIL_ADDRESS_CEILING_PER_DAY (all accounts).');
  }
  if (env.SMS_PER_MOBILE_PER_DAY > env.SMS_MOBILE_CEILING_PER_DAY) {
    problems.push('SMS_PER_MOBILE_PER_DAY (per client) cannot exceed SMS_MOBILE_CEILING_PER_DAY (all clients).');
  }
  const altchaGlobalPerHour = env.SMS_ALTCHA_GLOBAL_PER_HOUR ?? Math.max(1, Math.floor(env.SMS_GLOBAL_PER_HOUR / 5));
  if (altchaGlobalPerHour > env.SMS_GLOBAL_PER_HOUR) {
    problems.push(
      'SMS_ALTCHA_GLOBAL_PER_HOUR cannot exceed SMS_GLOBAL_PER_HOUR: it is the share of it the proof of work may spend.',
    );
  }
  if (env.SMS_ALTCHA_NETWORK_IPV6_PREFIX > env.CLIENT_IPV6_PREFIX) {
    problems.push('SMS_ALTCHA_NETWORK_IPV6_PREFIX cannot exceed CLIENT_IPV6_PREFIX: a network holds clients.');
  }
  if (env.SMS_ALTCHA_PER_NETWORK_PER_HOUR < env.SMS_ALTCHA_PER_CLIENT_PER_HOUR) {
    problems.push('SMS_ALTCHA_PER_NETWORK_PER_HOUR cannot be below SMS_ALTCHA_PER_CLIENT_PER_HOUR: a network holds clients.');
  }
  const allowedOrigins = parseOrigins(env.ALLOWED_ORIGINS, production, problems);
  const appUrl = parseAppUrl(env.APP_URL, allowedOrigins, problems);
  const webauthn = parseWebauthn(env, allowedOrigins, production, problems);
  // Metrics tell traffic, errors and budgets: with no token they are served only where nobody
  // else can reach them (outside production, on loopback, with no proxy in front), like the other
  // development relaxations. A configured TRUST_PROXY says a proxy passes requests on: a loopback
  // API behind nginx is public through it, so without a token there are no metrics.
  const metricsEnabled = env.METRICS_TOKEN !== undefined || (!production && loopback && trustProxy === false);
  const workers = env.WEB_CONCURRENCY ?? (production ? os.availableParallelism() : 1);
  // Their state lives in one process: a second worker would have its own users, sessions, limits.
  if (workers > 1 && !env.DATABASE_URL)
    problems.push(`WEB_CONCURRENCY=${workers} needs DATABASE_URL: the embedded database lives in one process.`);
  if (workers > 1 && !(env.REDIS_URL || env.REDIS_CLUSTER_NODES || env.REDIS_SENTINELS)) {
    problems.push(`WEB_CONCURRENCY=${workers} needs Redis: the in-process store lives in one process.`);
  }
  const redisChoices = [env.REDIS_URL, env.REDIS_CLUSTER_NODES, env.REDIS_SENTINELS].filter(Boolean).length;
  if (redisChoices > 1) problems.push('Set only one of REDIS_URL, REDIS_CLUSTER_NODES and REDIS_SENTINELS.');
  const redisTopology: Extract<Config['redis'], { kind: 'redis' }>['topology'] | null = env.REDIS_URL
    ? { url: env.REDIS_URL }
    : env.REDIS_CLUSTER_NODES
      ? { cluster: hostPorts(env.REDIS_CLUSTER_NODES) }
      : env.REDIS_SENTINELS
        ? { sentinels: hostPorts(env.REDIS_SENTINELS), name: env.REDIS_SENTINEL_NAME }
        : null;
  // A backend's timeout must leave room inside the request's deadline, or the deadline (not the
  // backend's own timeout, which also discards the connection) would answer for it.
  const timeouts = ['DATABASE_CONNECT_TIMEOUT_MS', 'DATABASE_QUERY_TIMEOUT_MS', 'REDIS_COMMAND_TIMEOUT_MS'] as const;
  for (const key of [
    ...timeouts,
    ...(gateway === 'ccp' ? (['CCP_TIMEOUT_MS'] as const) : []),
    ...(mailTransport === 'smtp' ? (['MAIL_TIMEOUT_MS'] as const) : []),
  ]) {
    if (env[key] >= env.REQUEST_DEADLINE_MS) {
      problems.push(`${key} must be shorter than REQUEST_DEADLINE_MS (${env.REQUEST_DEADLINE_MS}).`);
    }
  }
  if (env.DATABASE_STATEMENT_TIMEOUT_MS > env.DATABASE_QUERY_TIMEOUT_MS) {
    problems.push('DATABASE_STATEMENT_TIMEOUT_MS cannot exceed DATABASE_QUERY_TIMEOUT_MS: the server gives up first, cleanly.');
  }
  if (gateway === 'ccp') {
    for (const key of ['CCP_ACCOUNT_SID', 'CCP_AUTH_TOKEN', 'CCP_APP_ID'] as const) {
      if (!env[key]) problems.push(`${key} is required when SMS_GATEWAY=ccp.`);
    }
  }
  const config: Config = {
    env: env.NODE_ENV,
    host: env.HOST,
    port: env.PORT,
    prefix: env.API_PREFIX,
    logLevel: env.LOG_LEVEL,
    workers,
    logFormat: env.LOG_FORMAT ?? (env.NODE_ENV === 'development' ? 'pretty' : 'json'),
    trustProxy,
    requestId: { header: env.REQUEST_ID_HEADER },
    docs: { enabled: env.API_DOCS_ENABLED ? env.API_DOCS_ENABLED === 'true' : !production },
    metrics: { enabled: metricsEnabled, token: env.METRICS_TOKEN },
    defaultLocale: env.DEFAULT_LOCALE,
    database: env.DATABASE_URL
      ? {
          kind: 'postgres',
          url: env.DATABASE_URL,
          poolSize: env.DATABASE_POOL_SIZE,
          connectTimeoutMs: env.DATABASE_CONNECT_TIMEOUT_MS,
          queryTimeoutMs: env.DATABASE_QUERY_TIMEOUT_MS,
          statementTimeoutMs: env.DATABASE_STATEMENT_TIMEOUT_MS,
        }
      : { kind: 'embedded', dir: path.resolve(REPO_ROOT, env.DATA_DIR, 'pglite') },
    redis: redisTopology
      ? {
          kind: 'redis',
          topology: redisTopology,
          password: env.REDIS_PASSWORD,
          keyPrefix: env.REDIS_KEY_PREFIX,
          connectTimeoutMs: env.REDIS_CONNECT_TIMEOUT_MS,
          commandTimeoutMs: env.REDIS_COMMAND_TIMEOUT_MS,
        }
      : { kind: 'memory', keyPrefix: env.REDIS_KEY_PREFIX },
    deadlineMs: env.REQUEST_DEADLINE_MS,
    storeStepMs: env.REDIS_COMMAND_TIMEOUT_MS,
    shutdownGraceMs: env.SHUTDOWN_GRACE_MS,
    shutdownDrainMs: env.SHUTDOWN_DRAIN_MS,
    pressure: { maxEventLoopDelayMs: env.MAX_EVENT_LOOP_DELAY_MS, sampleIntervalMs: env.PRESSURE_SAMPLE_INTERVAL_MS },
    session: {
      secret: secret('SESSION_SECRET', DEV_SESSION_SECRET),
      ttlSeconds: env.SESSION_TTL_SECONDS,
      // A visitor's session holds only a captcha, then the SMS code bound to it, until login:
      // keep it no longer than those two can live.
      anonymousTtlSeconds: env.CAPTCHA_TTL_SECONDS + env.SMS_CODE_TTL_SECONDS,
      cookieName: env.SESSION_COOKIE_NAME,
      secure: secureCookies,
      touchSeconds: env.SESSION_TOUCH_SECONDS,
      perUserMax: env.SESSIONS_PER_USER_MAX,
    },
    allowedOrigins,
    bodyLimit: env.BODY_LIMIT_BYTES,
    healthCacheMs: env.HEALTH_CACHE_MS,
    codeSecret: secret('CODE_SECRET', DEV_CODE_SECRET),
    limits: {
      ipv6Prefix: env.CLIENT_IPV6_PREFIX,
      global: { max: env.RATE_LIMIT_MAX, windowMs: env.RATE_LIMIT_WINDOW_SECONDS * 1000 },
      availability: { max: env.AVAILABILITY_LIMIT_MAX, windowMs: env.AVAILABILITY_LIMIT_WINDOW_SECONDS * 1000 },
      captcha: { max: env.CAPTCHA_LIMIT_MAX, windowMs: env.CAPTCHA_LIMIT_WINDOW_SECONDS * 1000 },
      altcha: { max: env.ALTCHA_LIMIT_MAX, windowMs: env.ALTCHA_LIMIT_WINDOW_SECONDS * 1000 },
      sms: { max: env.SMS_LIMIT_MAX, windowMs: env.SMS_LIMIT_WINDOW_SECONDS * 1000 },
    },
    captcha: {
      ttlSeconds: env.CAPTCHA_TTL_SECONDS,
      format: env.CAPTCHA_FORMAT,
      testText: env.CAPTCHA_TEST_TEXT,
      renderThreads: env.CAPTCHA_RENDER_THREADS ?? Math.max(1, Math.floor(os.availableParallelism() / workers)),
    },
    altcha: {
      enabled: env.ALTCHA_ENABLED !== 'false',
      algorithm: env.ALTCHA_ALGORITHM,
      cost: env.ALTCHA_COST,
      ttlSeconds: env.ALTCHA_TTL_SECONDS,
    },
    sms: {
      gateway,
      ttlSeconds: env.SMS_CODE_TTL_SECONDS,
      resendSeconds: env.SMS_RESEND_SECONDS,
      maxAttempts: env.SMS_MAX_ATTEMPTS,
      perMobilePerHour: env.SMS_PER_MOBILE_PER_HOUR,
      perMobilePerDay: env.SMS_PER_MOBILE_PER_DAY,
      mobileCeilingPerDay: env.SMS_MOBILE_CEILING_PER_DAY,
      perBlockPerHour: env.SMS_PER_BLOCK_PER_HOUR,
      globalPerHour: env.SMS_GLOBAL_PER_HOUR,
      globalPerDay: env.SMS_GLOBAL_PER_DAY,
      altchaPerClientPerHour: env.SMS_ALTCHA_PER_CLIENT_PER_HOUR,
      altchaPerNetworkPerHour: env.SMS_ALTCHA_PER_NETWORK_PER_HOUR,
      altchaNetworkIpv6Prefix: env.SMS_ALTCHA_NETWORK_IPV6_PREFIX,
      altchaGlobalPerHour,
      ccp: {
        baseUrl: env.CCP_BASE_URL.replace(/\/+$/, ''),
        accountSid: env.CCP_ACCOUNT_SID ?? '',
        authToken: env.CCP_AUTH_TOKEN ?? '',
        appId: env.CCP_APP_ID ?? '',
        templateId: env.CCP_TEMPLATE_ID,
        noticeTemplateId: env.CCP_NOTICE_TEMPLATE_ID,
        timeoutMs: env.CCP_TIMEOUT_MS,
      },
    },
    login: {
      maxFailures: env.LOGIN_MAX_FAILURES,
      maxFailuresPerClient: env.LOGIN_MAX_FAILURES_PER_CLIENT,
      windowSeconds: env.LOGIN_WINDOW_SECONDS,
      accountFreeFailures: env.LOGIN_ACCOUNT_FREE_FAILURES,
      baseDelaySeconds: env.LOGIN_BASE_DELAY_SECONDS,
      maxDelaySeconds: env.LOGIN_MAX_DELAY_SECONDS,
      deviceCookie: { name: env.DEVICE_COOKIE_NAME, ttlSeconds: env.DEVICE_COOKIE_TTL_DAYS * 86_400 },
    },
    events: {
      retentionDays: env.SECURITY_EVENT_RETENTION_DAYS,
      flushMs: env.SECURITY_EVENT_FLUSH_MS,
      bufferMax: env.SECURITY_EVENT_BUFFER_MAX,
      writeTimeoutMs: env.SECURITY_EVENT_WRITE_TIMEOUT_MS,
    },
    mail: {
      transport: mailTransport,
      smtpUrl: env.SMTP_URL ?? '',
      from: env.MAIL_FROM ?? '',
      timeoutMs: env.MAIL_TIMEOUT_MS,
    },
    email: {
      appUrl,
      tokenTtlSeconds: env.EMAIL_TOKEN_TTL_SECONDS,
      perUserPerHour: env.EMAIL_PER_USER_PER_HOUR,
      perAddressPerHour: env.EMAIL_PER_ADDRESS_PER_HOUR,
      perAddressPerDay: env.EMAIL_PER_ADDRESS_PER_DAY,
      addressCeilingPerDay: env.EMAIL_ADDRESS_CEILING_PER_DAY,
    },
    notices: { sms: env.SECURITY_SMS_NOTICES === 'true' },
    webauthn,
    argon2: { memoryCost: env.ARGON2_MEMORY_KIB, timeCost: env.ARGON2_TIME_COST, parallelism: env.ARGON2_PARALLELISM },
    admin: { superuserPassword: env.SUPERUSER_PASSWORD },
  };
  if (problems.length) throw new ConfigError(`Invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  return config;
}
