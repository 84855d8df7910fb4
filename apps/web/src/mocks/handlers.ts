// The mock API: one MSW handler per route of the contracts' table, answering like apps/api does
// (same envelopes, codes, statuses and field messages), from the in-memory state in db.ts.
// Used by `pnpm dev:mock` (service worker) and by the component tests (msw/node).
//
//   taken usernames   admin, alice_1, bob_smith (password Mock-pass-2026, see MOCK_PASSWORD)
//   taken mobiles     13800138000, 13900139000, 13700137000
//   captcha answer    MOCK (any case), single-use like the real one
//   SMS code          random; GET /api/__dev/sms/<mobile>/ returns it (and dev:mock logs it)

import { checks } from 'virtual:contract-validators';
import {
  API_PREFIX,
  AUTH_MESSAGES,
  CAPTCHA_MESSAGES,
  Code,
  type CrossFieldRule,
  checkerFrom,
  envelopeOf,
  errorMap,
  failure,
  httpStatus,
  ImageCodeQuery,
  LoginBody,
  MOBILE_PATTERN,
  MobileParams,
  NORMALIZERS,
  ok,
  RATE_LIMIT_MESSAGES,
  REQUEST_MESSAGES,
  REQUEST_SCHEMAS,
  RegisterBody,
  type RequestChecker,
  type RouteName,
  routes,
  SMS_CODE_LENGTH,
  SMS_MESSAGES,
  SmsCodeBody,
  USER_MESSAGES,
  UsernameParams,
  type UserView,
  usernameProblem,
} from '@register/contracts';
import { passwordStrength } from '@register/contracts/password-strength';
import { type AnyHandler, delay, HttpResponse, http } from 'msw';
import type { TObject } from 'typebox';
import { captchaSvg } from './captcha-image';
import {
  createUser,
  db,
  deliverSms,
  findUserById,
  findUserByMobile,
  findUserByUsername,
  MOCK_AVAILABILITY,
  MOCK_CAPTCHA_ANSWER,
  MOCK_LOGIN,
  MOCK_SMS,
  type MockUser,
} from './db';

/** A handful of the API's 49k common passwords: enough to show the server-only rule. */
const COMMON_PASSWORDS = new Set(['password', 'password1', 'qwertyuiop', 'iloveyou', 'sunshine1', 'football']);
const requestSchemaName = (schema: TObject) => {
  const name = (Object.keys(REQUEST_SCHEMAS) as (keyof typeof REQUEST_SCHEMAS)[]).find((n) => REQUEST_SCHEMAS[n] === schema);
  if (!name) throw new Error('not one of the contracts’ request schemas');
  return name;
};
/** The rules' context as the API supplies it, with the mock's short list. */
const RULE_CONTEXT = { isCommonPassword: (password: string) => COMMON_PASSWORDS.has(password.toLowerCase()) };

const url = (name: RouteName) => API_PREFIX + routes[name].path;
const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));
const toUserView = (user: MockUser): UserView => ({ id: user.id, username: user.username, mobile: user.mobile });

function success<T>(data: T, errmsg?: string) {
  return HttpResponse.json(ok(data, errmsg));
}

interface Refusal {
  /** The status when it is not the code's usual one (415 for a content type). */
  status?: number;
  message?: string;
  fields?: Record<string, string>;
  retryAfter?: number;
}

/** The API's error envelope and status; thrown by the helpers, returned by MSW as the answer. */
function refuse(code: Code, { status = httpStatus[code], message = errorMap[code], fields, retryAfter }: Refusal = {}) {
  const data =
    fields || retryAfter !== undefined ? { ...(fields && { fields }), ...(retryAfter !== undefined && { retryAfter }) } : null;
  const headers = retryAfter === undefined ? undefined : { 'retry-after': String(retryAfter) };
  return HttpResponse.json(failure(code, message, data), { status, headers });
}

const fieldRefusal = (code: Code, field: string, message: string) => refuse(code, { message, fields: { [field]: message } });

// One checker per (schema, rules), as in the SPA (lib/checker.ts).
const checkers = new WeakMap<TObject, Map<unknown, RequestChecker<unknown>>>();
/** Validates a request part with the same checks (and route rules) the API uses; throws the 400 answer. */
function validated<T>(schema: TObject, input: unknown, rules?: CrossFieldRule<T>): T {
  const forSchema = checkers.get(schema) ?? new Map<unknown, RequestChecker<unknown>>();
  checkers.set(schema, forSchema);
  let check = forSchema.get(rules) as RequestChecker<T> | undefined;
  if (!check) {
    check = checkerFrom<T>(schema, checks[requestSchemaName(schema)], rules, RULE_CONTEXT);
    forSchema.set(rules, check as RequestChecker<unknown>);
  }
  const result = check(input);
  if (result.ok) return result.value;
  throw refuse(Code.PARAMERR, { message: Object.values(result.fields).join(' '), fields: result.fields });
}

/** A JSON key Fastify's parser refuses (prototype poisoning), anywhere in the value. */
function poisoned(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  for (const [key, inner] of Object.entries(value)) {
    if (key === '__proto__') return true;
    if (key === 'constructor' && typeof inner === 'object' && inner !== null && Object.hasOwn(inner, 'prototype')) return true;
    if (poisoned(inner)) return true;
  }
  return false;
}

/** The body as the API's parsers read it: JSON (prototype poisoning refused) or a urlencoded form. */
async function requestBody(request: Request): Promise<unknown> {
  const type = request.headers.get('content-type') ?? '';
  const text = await request.text();
  if (type.startsWith('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text));
  if (!type.startsWith('application/json'))
    throw refuse(Code.PARAMERR, { message: REQUEST_MESSAGES.unsupportedType, status: 415 });
  if (text === '') throw refuse(Code.PARAMERR, { message: REQUEST_MESSAGES.emptyJson });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw refuse(Code.PARAMERR, { message: REQUEST_MESSAGES.malformedJson });
  }
  if (poisoned(value)) throw refuse(Code.PARAMERR, { message: REQUEST_MESSAGES.malformedJson });
  return value;
}

/** The query as Fastify parses it: a repeated key becomes an array. */
function queryOf(request: Request): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of new URL(request.url).searchParams) {
    const previous = query[key];
    query[key] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
  }
  return query;
}

function consumeCaptcha(answer: string): void {
  const expected = db.captcha;
  db.captcha = null; // single-use, right or wrong
  if (expected === null) throw fieldRefusal(Code.PARAMERR, 'captcha', CAPTCHA_MESSAGES.expired);
  if (answer.toUpperCase() !== expected.toUpperCase()) throw fieldRefusal(Code.PARAMERR, 'captcha', CAPTCHA_MESSAGES.wrong);
}

/** Checks a code, spending one attempt; the code stays until the user exists (as on the API). */
function checkSmsCode(mobile: string, code: string): void {
  const pending = db.codes.get(mobile);
  if (!pending || pending.expiresAt <= Date.now() || pending.attemptsLeft === 0) {
    db.codes.delete(mobile);
    throw fieldRefusal(Code.PARAMERR, 'sms_code', SMS_MESSAGES.expired);
  }
  pending.attemptsLeft--;
  if (pending.code === code) return;
  if (pending.attemptsLeft === 0) {
    db.codes.delete(mobile);
    throw fieldRefusal(Code.PARAMERR, 'sms_code', SMS_MESSAGES.exhausted);
  }
  throw fieldRefusal(Code.PARAMERR, 'sms_code', SMS_MESSAGES.wrong(pending.attemptsLeft));
}

/** The API's enumeration budget for the availability checks (both routes together). */
function spendAvailabilityCheck(): void {
  const now = Date.now();
  const window = db.availabilityChecks;
  if (window.until <= now) Object.assign(window, { count: 0, until: now + MOCK_AVAILABILITY.windowSeconds * 1000 });
  window.count++;
  if (window.count > MOCK_AVAILABILITY.max) {
    throw refuse(Code.THROTTLED, { message: RATE_LIMIT_MESSAGES.availability, retryAfter: seconds(window.until - now) });
  }
}

function takenRefusal(taken: { username: boolean; mobile: boolean }) {
  const fields: Record<string, string> = {};
  if (taken.username) fields.username = USER_MESSAGES.usernameTaken;
  if (taken.mobile) fields.mobile = SMS_MESSAGES.registered;
  return refuse(Code.DATAEXIST, { message: Object.values(fields).join(' '), fields });
}

function randomCode(length: number): string {
  return Array.from({ length }, () => Math.floor(Math.random() * 10)).join('');
}

export interface MockHandlerOptions {
  /** Adds a realistic 100-400 ms response time (dev:mock); tests leave it off. */
  latency?: boolean;
}

export function createHandlers({ latency = false }: MockHandlerOptions = {}): AnyHandler[] {
  const wait = () => (latency ? delay() : undefined);

  return [
    http.get(url('imageCode'), async ({ request }) => {
      await wait();
      validated<ImageCodeQuery>(ImageCodeQuery, queryOf(request));
      db.captcha = MOCK_CAPTCHA_ANSWER;
      return new HttpResponse(captchaSvg(MOCK_CAPTCHA_ANSWER), {
        headers: { 'content-type': 'image/svg+xml', 'cache-control': 'no-store' },
      });
    }),

    http.get(url('checkUsername'), async ({ params }) => {
      await wait();
      spendAvailabilityCheck();
      const { username } = validated<UsernameParams>(UsernameParams, params);
      return success({ username, count: findUserByUsername(username) || usernameProblem(username) ? 1 : 0 });
    }),

    http.get(url('checkMobile'), async ({ params }) => {
      await wait();
      spendAvailabilityCheck();
      const { mobile } = validated<MobileParams>(MobileParams, params);
      return success({ mobile, count: findUserByMobile(mobile) ? 1 : 0 });
    }),

    http.post(url('sendSmsCode'), async ({ request }) => {
      await wait();
      const { mobile, captcha } = validated<SmsCodeBody>(SmsCodeBody, await requestBody(request));
      consumeCaptcha(captcha);
      if (findUserByMobile(mobile)) throw fieldRefusal(Code.DATAEXIST, 'mobile', SMS_MESSAGES.registered);
      const now = Date.now();
      const cooldownUntil = db.cooldownUntil.get(mobile) ?? 0;
      if (cooldownUntil > now) {
        const retryAfter = seconds(cooldownUntil - now);
        const message = SMS_MESSAGES.cooldown(retryAfter);
        throw refuse(Code.THROTTLED, { message, fields: { mobile: message }, retryAfter });
      }
      const code = randomCode(SMS_CODE_LENGTH);
      db.cooldownUntil.set(mobile, now + MOCK_SMS.resendSeconds * 1000);
      db.codes.set(mobile, { code, attemptsLeft: MOCK_SMS.maxAttempts, expiresAt: now + MOCK_SMS.ttlSeconds * 1000 });
      const minutes = Math.ceil(MOCK_SMS.ttlSeconds / 60);
      deliverSms({
        mobile,
        code,
        text: SMS_MESSAGES.text(code, minutes),
        sentAt: new Date(now).toISOString(),
      });
      return success(
        { expiresIn: MOCK_SMS.ttlSeconds, resendIn: MOCK_SMS.resendSeconds, codeLength: SMS_CODE_LENGTH },
        SMS_MESSAGES.sent,
      );
    }),

    http.post(url('register'), async ({ request }) => {
      await wait();
      const form = validated<RegisterBody>(RegisterBody, await requestBody(request), routes.register.rules);
      // As on the API: the code first, then whether the names are taken, then the strength.
      checkSmsCode(form.mobile, form.sms_code);
      const taken = { username: Boolean(findUserByUsername(form.username)), mobile: Boolean(findUserByMobile(form.mobile)) };
      if (taken.username || taken.mobile) throw takenRefusal(taken);
      const strength = passwordStrength(form.password, { username: form.username, mobile: form.mobile });
      if (strength.problem) throw fieldRefusal(Code.PARAMERR, 'password', strength.problem);
      const user = createUser({ username: form.username, mobile: form.mobile, password: form.password });
      db.codes.delete(form.mobile);
      db.sessionUserId = user.id;
      return success({ ...toUserView(user), loggedIn: true }, USER_MESSAGES.registered);
    }),

    http.post(url('login'), async ({ request }) => {
      await wait();
      const { account, password } = validated<LoginBody>(LoginBody, await requestBody(request));
      const mobile = NORMALIZERS.mobile(account);
      const isMobile = new RegExp(MOBILE_PATTERN).test(mobile);
      const accountKey = isMobile ? mobile : account.toLowerCase();
      const now = Date.now();
      // The API's strict budget per identifier (the mock has one client); its other budgets
      // (per client, the account's progressive delay) need many clients to matter.
      const failures = db.loginFailures.get(accountKey);
      if (failures && failures.until > now && failures.count >= MOCK_LOGIN.maxFailures) {
        throw refuse(Code.THROTTLED, { message: AUTH_MESSAGES.throttled, retryAfter: seconds(failures.until - now) });
      }
      const user = isMobile ? findUserByMobile(mobile) : findUserByUsername(account);
      if (!user || user.password !== password) {
        const count = failures && failures.until > now ? failures.count + 1 : 1;
        db.loginFailures.set(accountKey, {
          count,
          until: failures && failures.until > now ? failures.until : now + MOCK_LOGIN.windowSeconds * 1000,
        });
        throw refuse(Code.LOGINERR, { message: AUTH_MESSAGES.failed });
      }
      db.loginFailures.delete(accountKey);
      db.sessionUserId = user.id;
      return success(toUserView(user), AUTH_MESSAGES.loggedIn);
    }),

    http.post(url('logout'), async () => {
      await wait();
      db.sessionUserId = null;
      return success(null, AUTH_MESSAGES.loggedOut);
    }),

    http.get(url('session'), async () => {
      await wait();
      const user = findUserById(db.sessionUserId);
      return success(user ? toUserView(user) : null);
    }),

    http.get(url('index'), () =>
      success({
        routes: Object.values(routes).map(({ method, path, summary }) => ({ method, path: API_PREFIX + path, summary })),
      }),
    ),

    http.get(url('me'), async () => {
      await wait();
      const user = findUserById(db.sessionUserId);
      if (!user) throw refuse(Code.SESSIONERR);
      return success(toUserView(user));
    }),

    ...(['health', 'readyz'] as const).map((name) =>
      http.get(url(name), () =>
        HttpResponse.json(envelopeOf(Code.OK, { database: 'ok', store: 'ok', backends: { database: 'mock', store: 'mock' } })),
      ),
    ),

    http.get(url('healthz'), () => success({ status: 'ok' })),

    http.get(url('devSms'), ({ params }) => {
      const { mobile } = validated<MobileParams>(MobileParams, params);
      const message = db.outbox.get(mobile);
      if (!message) throw refuse(Code.NODATA, { message: REQUEST_MESSAGES.noOutboxMessage });
      return success(message);
    }),
  ];
}

export const handlers = createHandlers();
