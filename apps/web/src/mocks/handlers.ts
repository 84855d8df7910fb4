// The mock API: one MSW handler per route of the contracts' table, answering like apps/api does
// (same envelopes, codes, statuses and field messages), from the in-memory state in db.ts.
// Used by `pnpm dev:mock` (service worker) and by the component tests (msw/node).
//
//   taken usernames   admin, alice_1, bob_smith (password Mock-pass-2026, see MOCK_PASSWORD)
//   taken mobiles     13800138000, 13900139000, 13700137000
//   captcha answer    MOCK (any case), single-use like the real one
//   proof of work     a real ALTCHA v2 challenge of a tiny cost; a solution is single-use
//   SMS code          random; GET /api/__dev/sms/<mobile>/ returns it (and dev:mock logs it)

import { checks } from 'virtual:contract-validators';
import {
  API_PREFIX,
  type Catalog,
  Code,
  type CrossFieldRule,
  checkerFrom,
  en,
  envelopeOf,
  failure,
  httpStatus,
  ImageCodeQuery,
  LoginBody,
  MOBILE_PATTERN,
  MobileParams,
  NORMALIZERS,
  negotiateLocale,
  ok,
  REQUEST_SCHEMAS,
  RegisterBody,
  type RequestChecker,
  type RouteName,
  routes,
  SMS_CODE_LENGTH,
  SmsCodeBody,
  UsernameParams,
  type UserView,
  usernameProblem,
} from '@register/contracts';
import { zhCN } from '@register/contracts/i18n/zh-CN';
import { passwordStrength } from '@register/contracts/password-strength';
import { createChallenge, type Payload, verifySolution } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/web/pbkdf2';
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
  MOCK_ALTCHA,
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

/** The catalog of the language a request asks for, as the API chooses it (DEFAULT_LOCALE en). */
const catalogOf = (request: Request): Catalog =>
  negotiateLocale(request.headers.get('accept-language'), 'en') === 'zh-CN' ? zhCN : en;

function success<T>(m: Catalog, data: T, errmsg: string = m.codes[Code.OK]) {
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
function refuse(
  m: Catalog,
  code: Code,
  { status = httpStatus[code], message = m.codes[code], fields, retryAfter }: Refusal = {},
) {
  const data =
    fields || retryAfter !== undefined ? { ...(fields && { fields }), ...(retryAfter !== undefined && { retryAfter }) } : null;
  const headers = retryAfter === undefined ? undefined : { 'retry-after': String(retryAfter) };
  return HttpResponse.json(failure(code, message, data), { status, headers });
}

const fieldRefusal = (m: Catalog, code: Code, field: string, message: string) =>
  refuse(m, code, { message, fields: { [field]: message } });

// One checker per (schema, rules, language), as in the SPA (lib/checker.ts).
const checkers = new WeakMap<TObject, Map<unknown, Map<Catalog, RequestChecker<unknown>>>>();
/** Validates a request part with the same checks (and route rules) the API uses; throws the 400 answer. */
function validated<T>(m: Catalog, schema: TObject, input: unknown, rules?: CrossFieldRule<T>): T {
  const forSchema = checkers.get(schema) ?? new Map<unknown, Map<Catalog, RequestChecker<unknown>>>();
  checkers.set(schema, forSchema);
  const forRules = forSchema.get(rules) ?? new Map<Catalog, RequestChecker<unknown>>();
  forSchema.set(rules, forRules);
  let check = forRules.get(m) as RequestChecker<T> | undefined;
  if (!check) {
    check = checkerFrom<T>(schema, checks[requestSchemaName(schema)], rules, { ...RULE_CONTEXT, messages: m });
    forRules.set(m, check as RequestChecker<unknown>);
  }
  const result = check(input);
  if (result.ok) return result.value;
  throw refuse(m, Code.PARAMERR, { message: Object.values(result.fields).join(m.sentenceGap), fields: result.fields });
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
async function requestBody(m: Catalog, request: Request): Promise<unknown> {
  const type = request.headers.get('content-type') ?? '';
  const text = await request.text();
  if (type.startsWith('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text));
  if (!type.startsWith('application/json')) throw refuse(m, Code.PARAMERR, { message: m.request.unsupportedType, status: 415 });
  if (text === '') throw refuse(m, Code.PARAMERR, { message: m.request.emptyJson });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw refuse(m, Code.PARAMERR, { message: m.request.malformedJson });
  }
  if (poisoned(value)) throw refuse(m, Code.PARAMERR, { message: m.request.malformedJson });
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

function consumeCaptcha(m: Catalog, answer: string): void {
  const expected = db.captcha;
  db.captcha = null; // single-use, right or wrong
  if (expected === null) throw fieldRefusal(m, Code.PARAMERR, 'captcha', m.captcha.expired);
  if (answer.toUpperCase() !== expected.toUpperCase()) throw fieldRefusal(m, Code.PARAMERR, 'captcha', m.captcha.wrong);
}

/** The `{ challenge, solution }` inside an `altcha` payload, or null when it is not one. */
function decodeAltcha(payload: string): Payload | null {
  let decoded: unknown;
  try {
    decoded = JSON.parse(atob(payload));
  } catch {
    return null;
  }
  const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;
  if (!isObject(decoded) || !isObject(decoded.challenge) || !isObject(decoded.solution)) return null;
  if (!isObject(decoded.challenge.parameters) || typeof decoded.challenge.signature !== 'string') return null;
  // Its content (parameters, counter, key) is altcha-lib's to check, as on the API.
  return decoded as unknown as Payload;
}

/** Verifies a proof of work and spends it: forged, wrong, expired or used already all say the same. */
async function consumeAltcha(m: Catalog, payload: string): Promise<void> {
  const refused = fieldRefusal(m, Code.PARAMERR, 'altcha', m.captcha.altchaFailed);
  const decoded = decodeAltcha(payload);
  if (!decoded) throw refused;
  const { signature = '' } = decoded.challenge;
  if (db.altchaSpent.has(signature)) throw refused;
  const result = await verifySolution({ ...decoded, deriveKey, hmacSignatureSecret: MOCK_ALTCHA.hmacSecret }).catch(() => null);
  // As on the API, a challenge of ours is spent by any answer to it, right or wrong.
  if (result && !result.invalidSignature && !result.expired) db.altchaSpent.add(signature);
  if (!result?.verified) throw refused;
}

/** Checks a code, spending one attempt; the code stays until the user exists (as on the API). */
function checkSmsCode(m: Catalog, mobile: string, code: string): void {
  const pending = db.codes.get(mobile);
  if (!pending || pending.expiresAt <= Date.now() || pending.attemptsLeft === 0) {
    db.codes.delete(mobile);
    throw fieldRefusal(m, Code.PARAMERR, 'sms_code', m.sms.expired);
  }
  pending.attemptsLeft--;
  if (pending.code === code) return;
  if (pending.attemptsLeft === 0) {
    db.codes.delete(mobile);
    throw fieldRefusal(m, Code.PARAMERR, 'sms_code', m.sms.exhausted);
  }
  throw fieldRefusal(m, Code.PARAMERR, 'sms_code', m.sms.wrong(pending.attemptsLeft));
}

/** The API's enumeration budget for the availability checks (both routes together). */
function spendAvailabilityCheck(m: Catalog): void {
  const now = Date.now();
  const window = db.availabilityChecks;
  if (window.until <= now) Object.assign(window, { count: 0, until: now + MOCK_AVAILABILITY.windowSeconds * 1000 });
  window.count++;
  if (window.count > MOCK_AVAILABILITY.max) {
    throw refuse(m, Code.THROTTLED, { message: m.rateLimit.availability, retryAfter: seconds(window.until - now) });
  }
}

function takenRefusal(m: Catalog, taken: { username: boolean; mobile: boolean }) {
  const fields: Record<string, string> = {};
  if (taken.username) fields.username = m.user.usernameTaken;
  if (taken.mobile) fields.mobile = m.user.mobileTaken;
  return refuse(m, Code.DATAEXIST, { message: Object.values(fields).join(m.sentenceGap), fields });
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
      validated<ImageCodeQuery>(catalogOf(request), ImageCodeQuery, queryOf(request));
      db.captcha = MOCK_CAPTCHA_ANSWER;
      return new HttpResponse(captchaSvg(MOCK_CAPTCHA_ANSWER), {
        headers: { 'content-type': 'image/svg+xml', 'cache-control': 'no-store' },
      });
    }),

    http.get(url('altchaChallenge'), async ({ request }) => {
      await wait();
      const challenge = await createChallenge({
        algorithm: MOCK_ALTCHA.algorithm,
        cost: MOCK_ALTCHA.cost,
        deriveKey,
        hmacSignatureSecret: MOCK_ALTCHA.hmacSecret,
        expiresAt: Math.floor(Date.now() / 1000) + MOCK_ALTCHA.ttlSeconds,
      });
      return success(catalogOf(request), challenge);
    }),

    http.get(url('checkUsername'), async ({ request, params }) => {
      const m = catalogOf(request);
      await wait();
      spendAvailabilityCheck(m);
      const { username } = validated<UsernameParams>(m, UsernameParams, params);
      return success(m, { username, count: findUserByUsername(username) || usernameProblem(username) ? 1 : 0 });
    }),

    http.get(url('checkMobile'), async ({ request, params }) => {
      const m = catalogOf(request);
      await wait();
      spendAvailabilityCheck(m);
      const { mobile } = validated<MobileParams>(m, MobileParams, params);
      return success(m, { mobile, count: findUserByMobile(mobile) ? 1 : 0 });
    }),

    http.post(url('sendSmsCode'), async ({ request }) => {
      const m = catalogOf(request);
      await wait();
      const { mobile, captcha, altcha } = validated<SmsCodeBody>(
        m,
        SmsCodeBody,
        await requestBody(m, request),
        routes.sendSmsCode.rules,
      );
      // The rules let exactly one of the two through.
      if (altcha !== undefined) await consumeAltcha(m, altcha);
      else consumeCaptcha(m, captcha ?? '');
      if (findUserByMobile(mobile)) throw fieldRefusal(m, Code.DATAEXIST, 'mobile', m.sms.registered);
      const now = Date.now();
      const cooldownUntil = db.cooldownUntil.get(mobile) ?? 0;
      if (cooldownUntil > now) {
        const retryAfter = seconds(cooldownUntil - now);
        const message = m.sms.cooldown(retryAfter);
        throw refuse(m, Code.THROTTLED, { message, fields: { mobile: message }, retryAfter });
      }
      const code = randomCode(SMS_CODE_LENGTH);
      db.cooldownUntil.set(mobile, now + MOCK_SMS.resendSeconds * 1000);
      db.codes.set(mobile, { code, attemptsLeft: MOCK_SMS.maxAttempts, expiresAt: now + MOCK_SMS.ttlSeconds * 1000 });
      const minutes = Math.ceil(MOCK_SMS.ttlSeconds / 60);
      deliverSms({
        mobile,
        code,
        // In English, as the API's gateways send it.
        text: en.sms.text(code, minutes),
        sentAt: new Date(now).toISOString(),
      });
      return success(
        m,
        { expiresIn: MOCK_SMS.ttlSeconds, resendIn: MOCK_SMS.resendSeconds, codeLength: SMS_CODE_LENGTH },
        m.sms.sent,
      );
    }),

    http.post(url('register'), async ({ request }) => {
      const m = catalogOf(request);
      await wait();
      const form = validated<RegisterBody>(m, RegisterBody, await requestBody(m, request), routes.register.rules);
      // As on the API: the code first, then whether the names are taken, then the strength.
      checkSmsCode(m, form.mobile, form.sms_code);
      const taken = { username: Boolean(findUserByUsername(form.username)), mobile: Boolean(findUserByMobile(form.mobile)) };
      if (taken.username || taken.mobile) throw takenRefusal(m, taken);
      const strength = passwordStrength(form.password, { username: form.username, mobile: form.mobile }, m);
      if (strength.problem) throw fieldRefusal(m, Code.PARAMERR, 'password', strength.problem);
      const user = createUser({ username: form.username, mobile: form.mobile, password: form.password });
      db.codes.delete(form.mobile);
      db.sessionUserId = user.id;
      return success(m, { ...toUserView(user), loggedIn: true }, m.user.registered);
    }),

    http.post(url('login'), async ({ request }) => {
      const m = catalogOf(request);
      await wait();
      const { account, password } = validated<LoginBody>(m, LoginBody, await requestBody(m, request));
      const mobile = NORMALIZERS.mobile(account);
      const isMobile = new RegExp(MOBILE_PATTERN).test(mobile);
      const accountKey = isMobile ? mobile : account.toLowerCase();
      const now = Date.now();
      // The API's strict budget per identifier (the mock has one client); its other budgets
      // (per client, the account's progressive delay) need many clients to matter.
      const failures = db.loginFailures.get(accountKey);
      if (failures && failures.until > now && failures.count >= MOCK_LOGIN.maxFailures) {
        throw refuse(m, Code.THROTTLED, { message: m.auth.throttled, retryAfter: seconds(failures.until - now) });
      }
      const user = isMobile ? findUserByMobile(mobile) : findUserByUsername(account);
      if (!user || user.password !== password) {
        const count = failures && failures.until > now ? failures.count + 1 : 1;
        db.loginFailures.set(accountKey, {
          count,
          until: failures && failures.until > now ? failures.until : now + MOCK_LOGIN.windowSeconds * 1000,
        });
        throw refuse(m, Code.LOGINERR, { message: m.auth.failed });
      }
      db.loginFailures.delete(accountKey);
      db.sessionUserId = user.id;
      return success(m, toUserView(user), m.auth.loggedIn);
    }),

    http.post(url('logout'), async ({ request }) => {
      await wait();
      db.sessionUserId = null;
      const m = catalogOf(request);
      return success(m, null, m.auth.loggedOut);
    }),

    http.get(url('session'), async ({ request }) => {
      await wait();
      const user = findUserById(db.sessionUserId);
      return success(catalogOf(request), user ? toUserView(user) : null);
    }),

    http.get(url('index'), ({ request }) =>
      success(catalogOf(request), {
        routes: Object.values(routes).map(({ method, path, summary }) => ({ method, path: API_PREFIX + path, summary })),
      }),
    ),

    http.get(url('me'), async ({ request }) => {
      const m = catalogOf(request);
      await wait();
      const user = findUserById(db.sessionUserId);
      if (!user) throw refuse(m, Code.SESSIONERR);
      return success(m, toUserView(user));
    }),

    ...(['health', 'readyz'] as const).map((name) =>
      http.get(url(name), () =>
        HttpResponse.json(envelopeOf(Code.OK, { database: 'ok', store: 'ok', backends: { database: 'mock', store: 'mock' } })),
      ),
    ),

    http.get(url('healthz'), ({ request }) => success(catalogOf(request), { status: 'ok' })),

    http.get(url('devSms'), ({ request, params }) => {
      const m = catalogOf(request);
      const { mobile } = validated<MobileParams>(m, MobileParams, params);
      const message = db.outbox.get(mobile);
      if (!message) throw refuse(m, Code.NODATA, { message: m.request.noOutboxMessage });
      return success(m, message);
    }),
  ];
}

export const handlers = createHandlers();
