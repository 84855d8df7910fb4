// Builds the real app (buildApp) against this run's PostgreSQL and Redis, and a Visitor that
// talks to it like a browser: it keeps cookies between requests.

import { randomBytes, randomInt } from 'node:crypto';
import type { Envelope, OutboxMessage } from '@register/contracts';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { inject } from 'vitest';
import { type BuildOptions, buildApp } from '../src/app.ts';
import { type Config, loadConfig } from '../src/config.ts';
import { type Deadline, slowError } from '../src/lib/deadline.ts';
import type { EventInput, EventKind, SecurityEvents } from '../src/modules/security-events/events.service.ts';
import { httpVisitor } from './http-visitor.ts';

export const CAPTCHA = 'ABCD';
export const PASSWORD = 'correct horse battery';

/** What a production start needs besides the backends (fake secrets and provider), for tests of production defaults. */
export const PRODUCTION_ENV = {
  NODE_ENV: 'production',
  SESSION_SECRET: 's'.repeat(32),
  CODE_SECRET: 'c'.repeat(32),
  ALLOWED_ORIGINS: 'https://app.example.com',
  TRUST_PROXY: '1',
  WEB_CONCURRENCY: '1',
  SMS_GATEWAY: 'ccp',
  CCP_ACCOUNT_SID: 'sid',
  CCP_AUTH_TOKEN: 'token',
  CCP_APP_ID: 'app',
  MAIL_TRANSPORT: 'smtp',
  SMTP_URL: 'smtp://mail.example.com:587',
  MAIL_FROM: 'Register <no-reply@example.com>',
  CAPTCHA_TEST_TEXT: undefined,
};

/** Config for a test app: real servers, a key prefix of its own, the fixed test captcha. */
export function testConfig(env: Record<string, string | undefined> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: inject('databaseUrl'),
    DATABASE_POOL_SIZE: '4',
    REDIS_URL: inject('redisUrl'),
    REDIS_KEY_PREFIX: `${inject('redisPrefix')}${randomBytes(4).toString('hex')}:`,
    CAPTCHA_TEST_TEXT: CAPTCHA,
    // A loaded 2-core machine (PGlite's WebAssembly runs on the event loop) can stall a test's
    // loop past the production bound; only the overload test (lifecycle.test.ts) sets its own.
    MAX_EVENT_LOOP_DELAY_MS: '60000',
    // Every health check asks the backends (the cache has a test of its own).
    HEALTH_CACHE_MS: '0',
    // The suites make many requests from one address; the limit tests set their own budgets.
    RATE_LIMIT_MAX: '1000000',
    AVAILABILITY_LIMIT_MAX: '1000000',
    CAPTCHA_LIMIT_MAX: '1000000',
    SMS_LIMIT_MAX: '1000000',
    SMS_PER_BLOCK_PER_HOUR: '1000000',
    SMS_GLOBAL_PER_HOUR: '1000000',
    SMS_GLOBAL_PER_DAY: '1000000',
    ...env,
  });
}

export async function buildTestApp(
  env: Record<string, string | undefined> = {},
  options: BuildOptions = {},
): Promise<FastifyInstance> {
  const app = await buildApp(testConfig(env), options);
  await app.ready();
  return app;
}

export function randomMobile(): string {
  return `1${randomInt(3, 10)}${String(randomInt(0, 1e9)).padStart(9, '0')}`;
}
export function randomUsername(prefix = 'u'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

export interface Reply<T = unknown> {
  status: number;
  body: Envelope<T> & { data: (T & { fields?: Record<string, string>; retryAfter?: number }) | null };
  headers: LightMyRequestResponse['headers'];
  raw: LightMyRequestResponse;
}

/**
 * A browser-like client: sends and stores cookies like a browser would. By default it talks to
 * the app through app.inject(); given `http` (the base URL of a listening app) it talks real
 * HTTP, where Node's own request and socket behaviour (and its timers) are part of the test.
 */
export class Visitor {
  readonly cookies = new Map<string, string>();
  private readonly app: FastifyInstance;
  private readonly ip: string;
  private readonly http: string | undefined;
  /** Sent with every request, as a browser sends its Accept-Language. */
  private readonly headers: Record<string, string>;

  constructor(app: FastifyInstance, ip = '127.0.0.1', options: { http?: string; headers?: Record<string, string> } = {}) {
    this.app = app;
    this.ip = ip;
    this.http = options.http;
    this.headers = options.headers ?? {};
  }

  async request<T = unknown>(options: InjectOptions): Promise<Reply<T>> {
    if (this.http !== undefined) return this.overHttp<T>(options);
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const raw = await this.app.inject({
      remoteAddress: this.ip,
      ...options,
      headers: { ...this.headers, ...(cookie ? { cookie } : {}), ...options.headers },
    });
    for (const c of raw.cookies as { name: string; value: string; maxAge?: number; expires?: Date }[]) {
      const expired = c.maxAge === 0 || (c.expires && c.expires.getTime() <= Date.now()) || c.value === '';
      if (expired) this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
    const isJson = String(raw.headers['content-type'] ?? '').startsWith('application/json');
    return { status: raw.statusCode, body: isJson ? raw.json() : (undefined as never), headers: raw.headers, raw };
  }

  private async overHttp<T>(options: InjectOptions): Promise<Reply<T>> {
    const remote = httpVisitor(this.http, { cookies: this.cookies });
    const payload = options.payload as object | undefined;
    const answer = await remote.request<Reply<T>['body']>(options.method ?? 'GET', String(options.url ?? '/'), payload);
    return { status: answer.status, body: answer.body, headers: Object.fromEntries(answer.headers), raw: undefined as never };
  }
  get<T = unknown>(url: string) {
    return this.request<T>({ method: 'GET', url });
  }
  post<T = unknown>(url: string, payload?: object) {
    return this.request<T>({ method: 'POST', url, ...(payload ? { payload } : {}) });
  }

  /** Loads a captcha (as the register page does) and asks for an SMS code with its answer. */
  async requestSmsCode(mobile: string, answer = CAPTCHA) {
    await this.get('/api/image_code/');
    return this.post<{ expiresIn: number; resendIn: number; codeLength: number }>('/api/sms_code/', { mobile, captcha: answer });
  }

  /** The whole registration: captcha, SMS, the code from the dev outbox, register. */
  async register(username: string, mobile: string, password = PASSWORD) {
    const sent = await this.requestSmsCode(mobile);
    if (sent.status !== 200) throw new Error(`sms_code failed: ${JSON.stringify(sent.body)}`);
    const code = await readOutbox(this.app, mobile);
    return this.post<{ id: number; username: string; mobile: string }>('/api/user/register/', {
      username,
      password,
      password_repeat: password,
      mobile,
      sms_code: code,
    });
  }
}

/** The code of the last SMS to a mobile, read the way the e2e tests read it: the dev outbox endpoint. */
export async function readOutbox(app: FastifyInstance, mobile: string): Promise<string> {
  const res = await app.inject({ method: 'GET', url: `/api/__dev/sms/${mobile}/` });
  const body = res.json() as Envelope<OutboxMessage>;
  if (!body.data) throw new Error(`no SMS to ${mobile}: ${res.body}`);
  return body.data.code;
}

/** A clock tests move by hand. */
export function manualClock(start = Date.now()) {
  let now = start;
  const clock = () => now;
  clock.advance = (ms: number) => {
    now += ms;
  };
  return clock;
}

/** A SecurityEvents that keeps what services record, for service-level tests (routes use the real log). */
export function eventsSpy(): SecurityEvents & { recorded: { kind: EventKind; input: EventInput }[] } {
  const recorded: { kind: EventKind; input: EventInput }[] = [];
  return {
    recorded,
    record: (kind, input = {}) => void recorded.push({ kind, input }),
    flush: async () => {},
    stats: () => ({ recorded: recorded.length, written: 0, dropped: 0, pending: 0 }),
    close: async () => {},
  };
}

/** A request deadline that passes when the test says so (services check it before each write). */
export function expiringDeadline(): Deadline & { expire(): void } {
  let expired = false;
  const check = () => {
    if (expired) throw slowError();
  };
  return {
    check,
    commit: check,
    expire() {
      expired = true;
    },
  };
}
