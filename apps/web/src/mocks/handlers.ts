// The mock API: one MSW handler per route of the contracts' table, answering like apps/api does
// (same envelopes, codes, statuses and field messages), from the in-memory state in db.ts.
// Used by `pnpm dev:mock` (service worker) and by the component tests (msw/node).
//
//   taken usernames   admin, alice_1, bob_smith (password Mock-pass-2026, see MOCK_PASSWORD)
//   taken mobiles     13800138000, 13900139000, 13700137000
//   captcha answer    MOCK (any case), single-use like the real one
//   proof of work     a real ALTCHA v2 challenge of a tiny cost; a solution is single-use
//   SMS code          random; GET /api/__dev/sms/<mobile>/ returns it (and dev:mock logs it)
//   email link        GET /api/__dev/mail/<address>/ returns it (and dev:mock logs it)
//   sessions          each seeded user is also logged in on two other devices
//   passkeys          challenges used once, checked in clientDataJSON with the origin; no signatures (webauthn.ts)

import { checks } from 'virtual:contract-validators';
import { checks as passkeyChecks } from 'virtual:contract-validators/PasskeyRegisterBody,PasskeyLoginBody,PasskeyParams,PasskeyRenameBody';
import {
  API_PREFIX,
  type Catalog,
  ChangeMobileBody,
  ChangePasswordBody,
  Code,
  type CrossFieldRule,
  checkerFrom,
  EmailParams,
  type EmailState,
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
  type ObjectChecks,
  ok,
  PasskeyLoginBody,
  PasskeyParams,
  PasskeyRegisterBody,
  PasskeyRenameBody,
  type PasskeyView,
  PasswordResetBody,
  REQUEST_SCHEMAS,
  RegisterBody,
  type RequestChecker,
  type RouteName,
  routes,
  type SessionList,
  SessionParams,
  SetEmailBody,
  SMS_CODE_LENGTH,
  SmsCodeBody,
  type SmsPurpose,
  UsernameParams,
  type UserView,
  usernameProblem,
  VerifyEmailBody,
} from '@register/contracts';
import { zhCN } from '@register/contracts/i18n/zh-CN';
import { passwordStrength } from '@register/contracts/password-strength';
import { createChallenge, type Payload, verifySolution } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/web/pbkdf2';
import { type AnyHandler, delay, HttpResponse, http } from 'msw';
import type { TObject } from 'typebox';
import { captchaSvg } from './captcha-image';
import {
  beginSession,
  codeKey,
  createUser,
  currentSession,
  db,
  deliverMail,
  deliverSms,
  describeDevice,
  endCurrentSession,
  endSessionsOf,
  findUserById,
  findUserByMobile,
  findUserByUsername,
  MOCK_ALTCHA,
  MOCK_AVAILABILITY,
  MOCK_CAPTCHA_ANSWER,
  MOCK_LOGIN,
  MOCK_MAIL,
  MOCK_PASSKEYS,
  MOCK_SMS,
  type MockPasskey,
  type MockUser,
  newPasskeyId,
  newSessionRef,
  type PasskeyCeremony,
} from './db';
import { randomChallenge, readAuthenticatorData, readClientData, userHandleOf } from './webauthn';

/** A handful of the API's 49k common passwords: enough to show the server-only rule. */
const COMMON_PASSWORDS = new Set(['password', 'password1', 'qwertyuiop', 'iloveyou', 'sunshine1', 'football']);
/** The passkeys' schemas: not in REQUEST_SCHEMAS (the SPA's first chunk), generated apart. */
const PASSKEY_SCHEMAS: Record<string, TObject> = { PasskeyRegisterBody, PasskeyLoginBody, PasskeyParams, PasskeyRenameBody };
/** The generated checks of a request schema (one of REQUEST_SCHEMAS, or a passkey's). */
const generatedChecks = (schema: TObject): ObjectChecks => {
  const name = (Object.keys(REQUEST_SCHEMAS) as (keyof typeof REQUEST_SCHEMAS)[]).find((n) => REQUEST_SCHEMAS[n] === schema);
  if (name) return checks[name];
  const passkey = Object.keys(PASSKEY_SCHEMAS).find((n) => PASSKEY_SCHEMAS[n] === schema);
  const generated = passkey === undefined ? undefined : passkeyChecks[passkey];
  if (!generated) throw new Error('not one of the contracts’ request schemas');
  return generated;
};
/** The rules' context as the API supplies it, with the mock's short list. */
const RULE_CONTEXT = { isCommonPassword: (password: string) => COMMON_PASSWORDS.has(password.toLowerCase()) };

const url = (name: RouteName) => API_PREFIX + routes[name].path;
const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));
const toUserView = (user: MockUser): UserView => ({
  id: user.id,
  username: user.username,
  mobile: user.mobile,
  email: user.email,
  emailActive: user.emailActive,
});
const emailState = (user: MockUser): EmailState => ({ email: user.email, emailActive: user.emailActive });
/** The device a login comes from: the request's User-Agent (in the browser, the page's own). */
const deviceOf = (request: Request) =>
  describeDevice(request.headers.get('user-agent') ?? (typeof navigator === 'undefined' ? null : navigator.userAgent));

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
    check = checkerFrom<T>(schema, generatedChecks(schema), rules, { ...RULE_CONTEXT, messages: m });
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

/**
 * Checks a code of a purpose, spending one attempt; the code stays until it is used (as on the
 * API). A reset says one sentence for every kind of wrong code, so it tells nothing of the account.
 */
function checkSmsCode(m: Catalog, mobile: string, code: string, purpose: SmsPurpose = 'register'): void {
  const key = codeKey(purpose, mobile);
  const pending = db.codes.get(key);
  const says = (message: string) =>
    fieldRefusal(m, Code.PARAMERR, 'sms_code', purpose === 'reset' ? m.reset.codeInvalid : message);
  if (!pending || pending.expiresAt <= Date.now() || pending.attemptsLeft === 0) {
    db.codes.delete(key);
    throw says(m.sms.expired);
  }
  pending.attemptsLeft--;
  if (pending.code === code) return;
  if (pending.attemptsLeft === 0) {
    db.codes.delete(key);
    throw says(m.sms.exhausted);
  }
  throw says(m.sms.wrong(pending.attemptsLeft));
}

/** The logged-in user, or the API's 401. */
function sessionUser(m: Catalog, message?: string): MockUser {
  const user = currentSession() && findUserById(db.sessionUserId);
  if (!user) throw refuse(m, Code.SESSIONERR, message ? { message } : {});
  return user;
}

/** A refusal when the password is guessable for this account (zxcvbn, as the API checks it). */
function strengthRefusal(m: Catalog, password: string, user: Pick<MockUser, 'username' | 'mobile'>) {
  const strength = passwordStrength(password, { username: user.username, mobile: user.mobile }, m);
  return strength.problem ? fieldRefusal(m, Code.PARAMERR, 'password', strength.problem) : null;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
interface MailBudget {
  key: string;
  limit: number;
  /** Its fixed window of the clock (an hour, a day), as the API's. */
  windowMs: number;
}

/** Spends every email budget, or none: THROTTLED, with the wait of the first one spent, when one is. */
function spendMailBudget(m: Catalog, budgets: MailBudget[]): void {
  const now = Date.now();
  const counted = budgets.map((budget) => {
    const window = Math.floor(now / budget.windowMs);
    const entry = db.mailSends.get(budget.key);
    return { budget, window, count: entry?.window === window ? entry.count : 0 };
  });
  const refused = counted.find(({ budget, count }) => count >= budget.limit);
  if (refused) {
    const message = m.account.emailLimit;
    const retryAfter = seconds((refused.window + 1) * refused.budget.windowMs - now);
    throw refuse(m, Code.THROTTLED, { message, fields: { email: message }, retryAfter });
  }
  for (const { budget, window, count } of counted) db.mailSends.set(budget.key, { window, count: count + 1 });
}

/** Gives spent email budgets back (the API refunds the address's when it refuses the address). */
function refundMailBudget(budgets: MailBudget[]): void {
  for (const { key } of budgets) {
    const entry = db.mailSends.get(key);
    if (entry && entry.count > 0) entry.count--;
  }
}

/** A link's lifetime in whole hours, as the email and the answer say it. */
const LINK_HOURS = Math.max(1, Math.round(MOCK_MAIL.tokenTtlSeconds / 3600));

const TOKEN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** 43 base64url characters: 256 bits, as random as the API's. */
function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(43));
  return Array.from(bytes, (byte) => TOKEN_ALPHABET[byte % 64]).join('');
}

/** The SMS text of each purpose, in English as the API's gateways send it. */
const SMS_TEXTS: Record<SmsPurpose, (code: string, minutes: number) => string> = {
  register: en.sms.text,
  reset: en.sms.resetText,
  change_mobile: en.sms.changeMobileText,
};

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

/** Refuses a login (THROTTLED) while an identifier's failures in the window have reached the API's budget. */
function spendLoginAttempt(m: Catalog, key: string): void {
  const now = Date.now();
  const failures = db.loginFailures.get(key);
  if (failures && failures.until > now && failures.count >= MOCK_LOGIN.maxFailures) {
    throw refuse(m, Code.THROTTLED, { message: m.auth.throttled, retryAfter: seconds(failures.until - now) });
  }
}

/** One more failed login for an identifier, in its window (a new one when the last has passed). */
function countLoginFailure(key: string): void {
  const now = Date.now();
  const failures = db.loginFailures.get(key);
  const current = failures && failures.until > now;
  db.loginFailures.set(key, {
    count: current ? failures.count + 1 : 1,
    until: current ? failures.until : now + MOCK_LOGIN.windowSeconds * 1000,
  });
}

const passkeyView = ({ id, name, createdAt, lastUsedAt, transports, backedUp }: MockPasskey): PasskeyView => ({
  id,
  name,
  createdAt,
  lastUsedAt,
  transports,
  backedUp,
});

/** A new challenge for the visitor's ceremony: the one before of that ceremony is void. */
function issueChallenge(ceremony: PasskeyCeremony, userId: number | null): string {
  const challenge = randomChallenge();
  db.passkeyChallenges.set(ceremony, {
    challenge,
    sessionId: db.currentSessionId,
    userId,
    expiresAt: Date.now() + MOCK_PASSKEYS.challengeTtlSeconds * 1000,
  });
  return challenge;
}

/**
 * Takes the visitor's challenge of a ceremony: gone after this, whatever the answer, so a
 * replayed or reused response finds none. None to take (never asked, used, older than its
 * lifetime, another session's or user's) is the API's 400 `expired`.
 */
function takeChallenge(m: Catalog, ceremony: PasskeyCeremony, userId: number | null = null): string {
  const pending = db.passkeyChallenges.get(ceremony);
  db.passkeyChallenges.delete(ceremony);
  const bound = ceremony === 'login' || (pending?.sessionId === db.currentSessionId && pending.userId === userId);
  if (!pending || pending.expiresAt <= Date.now() || !bound) throw refuse(m, Code.PARAMERR, { message: m.passkeys.expired });
  return pending.challenge;
}

/** What the browser said about the ceremony (clientDataJSON) is this ceremony, challenge and origin. */
function clientDataMatches(encoded: string, ceremony: PasskeyCeremony, challenge: string, origin: string): boolean {
  const data = readClientData(encoded);
  const type = ceremony === 'register' ? 'webauthn.create' : 'webauthn.get';
  return data !== null && data.type === type && data.challenge === challenge && data.origin === origin;
}

/** The origin the page answers on: what a browser's client data must name. */
const originOf = (request: Request) => new URL(request.url).origin;
/** The relying party: this host (an IP address cannot be one; the mock runs at localhost). */
const rpIdOf = (request: Request) => new URL(request.url).hostname;
/** The prompt's timeout: the challenge's lifetime, as the API gives it. */
const PASSKEY_TIMEOUT_MS = MOCK_PASSKEYS.challengeTtlSeconds * 1000;

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
      const {
        mobile,
        captcha,
        altcha,
        purpose = 'register',
      } = validated<SmsCodeBody>(m, SmsCodeBody, await requestBody(m, request), routes.sendSmsCode.rules);
      // A new number for an account: only its logged-in owner may ask (before the captcha is spent).
      if (purpose === 'change_mobile') sessionUser(m, m.sms.loginFirst);
      // The rules let exactly one of the two through.
      if (altcha !== undefined) await consumeAltcha(m, altcha);
      else consumeCaptcha(m, captcha ?? '');
      const owner = findUserByMobile(mobile);
      // A reset says nothing about the number: it answers, and spends, the same either way.
      if (owner && purpose !== 'reset') throw fieldRefusal(m, Code.DATAEXIST, 'mobile', m.sms.registered);
      const now = Date.now();
      const cooldownUntil = db.cooldownUntil.get(mobile) ?? 0;
      if (cooldownUntil > now) {
        const retryAfter = seconds(cooldownUntil - now);
        const message = m.sms.cooldown(retryAfter);
        throw refuse(m, Code.THROTTLED, { message, fields: { mobile: message }, retryAfter });
      }
      const code = randomCode(SMS_CODE_LENGTH);
      db.cooldownUntil.set(mobile, now + MOCK_SMS.resendSeconds * 1000);
      db.codes.set(codeKey(purpose, mobile), {
        code,
        attemptsLeft: MOCK_SMS.maxAttempts,
        expiresAt: now + MOCK_SMS.ttlSeconds * 1000,
      });
      const minutes = Math.ceil(MOCK_SMS.ttlSeconds / 60);
      // A reset code goes out only to a registered number.
      if (purpose !== 'reset' || owner) {
        deliverSms({ mobile, code, purpose, text: SMS_TEXTS[purpose](code, minutes), sentAt: new Date(now).toISOString() });
      }
      return success(
        m,
        { expiresIn: MOCK_SMS.ttlSeconds, resendIn: MOCK_SMS.resendSeconds, codeLength: SMS_CODE_LENGTH },
        purpose === 'reset' ? m.sms.sentIfRegistered : m.sms.sent,
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
      db.codes.delete(codeKey('register', form.mobile));
      beginSession(user.id, deviceOf(request));
      return success(m, { ...toUserView(user), loggedIn: true }, m.user.registered);
    }),

    http.post(url('login'), async ({ request }) => {
      const m = catalogOf(request);
      await wait();
      const { account, password } = validated<LoginBody>(m, LoginBody, await requestBody(m, request));
      const mobile = NORMALIZERS.mobile(account);
      const isMobile = new RegExp(MOBILE_PATTERN).test(mobile);
      const accountKey = isMobile ? mobile : account.toLowerCase();
      // The API's strict budget per identifier (the mock has one client); its other budgets
      // (per client, the account's progressive delay) need many clients to matter.
      spendLoginAttempt(m, accountKey);
      const user = isMobile ? findUserByMobile(mobile) : findUserByUsername(account);
      if (!user || user.password !== password) {
        countLoginFailure(accountKey);
        throw refuse(m, Code.LOGINERR, { message: m.auth.failed });
      }
      db.loginFailures.delete(accountKey);
      beginSession(user.id, deviceOf(request));
      return success(m, toUserView(user), m.auth.loggedIn);
    }),

    http.post(url('logout'), async ({ request }) => {
      await wait();
      endCurrentSession();
      const m = catalogOf(request);
      return success(m, null, m.auth.loggedOut);
    }),

    http.get(url('session'), async ({ request }) => {
      await wait();
      const user = currentSession() && findUserById(db.sessionUserId);
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
      return success(m, toUserView(sessionUser(m)));
    }),

    http.post(url('passwordReset'), async ({ request }) => {
      const m = catalogOf(request);
      await wait();
      const form = validated<PasswordResetBody>(m, PasswordResetBody, await requestBody(m, request), routes.passwordReset.rules);
      checkSmsCode(m, form.mobile, form.sms_code, 'reset');
      const user = findUserByMobile(form.mobile);
      if (!user) {
        // A right code for a number with no account was guessed (none was texted): used up, the same answer.
        db.codes.delete(codeKey('reset', form.mobile));
        throw fieldRefusal(m, Code.PARAMERR, 'sms_code', m.reset.codeInvalid);
      }
      const weak = strengthRefusal(m, form.password, user);
      if (weak) throw weak;
      db.codes.delete(codeKey('reset', form.mobile));
      user.password = form.password;
      // Every session of the account ends, this visitor's too if it was logged in as that user.
      endSessionsOf(user.id);
      return success(m, null, m.reset.done);
    }),

    http.post(url('changePassword'), async ({ request }) => {
      const m = catalogOf(request);
      await wait();
      const form = validated<ChangePasswordBody>(
        m,
        ChangePasswordBody,
        await requestBody(m, request),
        routes.changePassword.rules,
      );
      const user = sessionUser(m);
      if (form.old_password !== user.password) throw fieldRefusal(m, Code.PWDERR, 'old_password', m.account.oldPasswordWrong);
      const weak = strengthRefusal(m, form.password, user);
      if (weak) throw weak;
      user.password = form.password;
      // A new session id for this visitor; every other session of the account ends.
      const current = currentSession();
      if (current) current.id = newSessionRef();
      db.currentSessionId = current?.id ?? null;
      endSessionsOf(user.id, db.currentSessionId);
      return success(m, toUserView(user), m.account.passwordChanged);
    }),

    http.post(url('changeMobile'), async ({ request }) => {
      const m = catalogOf(request);
      await wait();
      const form = validated<ChangeMobileBody>(m, ChangeMobileBody, await requestBody(m, request));
      const user = sessionUser(m);
      // As on the API: the code (an attempt spent when wrong), the password, then the number.
      checkSmsCode(m, form.mobile, form.sms_code, 'change_mobile');
      if (form.password !== user.password) throw fieldRefusal(m, Code.PWDERR, 'password', m.account.oldPasswordWrong);
      if (findUserByMobile(form.mobile)) throw fieldRefusal(m, Code.DATAEXIST, 'mobile', m.user.mobileTaken);
      db.codes.delete(codeKey('change_mobile', form.mobile));
      user.mobile = form.mobile;
      return success(m, toUserView(user), m.account.mobileChanged);
    }),

    http.get(url('sessions'), async ({ request }) => {
      const m = catalogOf(request);
      await wait();
      const user = sessionUser(m);
      const list: SessionList = {
        sessions: db.sessions
          .filter((s) => s.userId === user.id)
          .map(({ userId: _, ...s }) => ({ ...s, current: s.id === db.currentSessionId }))
          .sort((a, b) => Number(b.current) - Number(a.current) || b.lastSeenAt.localeCompare(a.lastSeenAt)),
      };
      return success(m, list);
    }),

    http.delete(url('endSession'), async ({ request, params }) => {
      const m = catalogOf(request);
      await wait();
      const { id } = validated<SessionParams>(m, SessionParams, params);
      const user = sessionUser(m);
      const session = db.sessions.find((s) => s.id === id && s.userId === user.id);
      if (!session) throw refuse(m, Code.NODATA, { message: m.account.noSuchSession });
      if (session.id === db.currentSessionId) endCurrentSession();
      else db.sessions = db.sessions.filter((s) => s !== session);
      return success(m, null, m.account.sessionEnded);
    }),

    http.post(url('logoutAll'), async ({ request }) => {
      const m = catalogOf(request);
      await wait();
      const user = sessionUser(m);
      const ended = endSessionsOf(user.id, db.currentSessionId);
      return success(m, { ended }, m.account.othersEnded(ended));
    }),

    http.post(url('setEmail'), async ({ request }) => {
      const m = catalogOf(request);
      await wait();
      const { email } = validated<SetEmailBody>(m, SetEmailBody, await requestBody(m, request));
      const user = sessionUser(m);
      // Verified already: nothing to send, nothing spent.
      if (user.email === email && user.emailActive) return success(m, emailState(user), m.account.emailVerified);
      // Spent before the address is looked up, as on the API: asking whether one is taken costs a
      // send. Per address, counted per (address, account), under a daily ceiling from all accounts.
      const perAddress: MailBudget[] = [
        { key: `address:${email}:${user.id}`, limit: MOCK_MAIL.perAddressPerHour, windowMs: HOUR_MS },
        { key: `address-day:${email}:${user.id}`, limit: MOCK_MAIL.perAddressPerDay, windowMs: DAY_MS },
        { key: `address-ceiling:${email}`, limit: MOCK_MAIL.addressCeilingPerDay, windowMs: DAY_MS },
      ];
      spendMailBudget(m, [{ key: `user:${user.id}`, limit: MOCK_MAIL.perUserPerHour, windowMs: HOUR_MS }, ...perAddress]);
      if (db.users.some((u) => u.id !== user.id && u.email === email && u.emailActive)) {
        refundMailBudget(perAddress);
        throw fieldRefusal(m, Code.DATAEXIST, 'email', m.account.emailTaken);
      }
      user.email = email;
      user.emailActive = false;
      // A new link voids the older ones.
      for (const [token, entry] of db.emailTokens) if (entry.userId === user.id) db.emailTokens.delete(token);
      const token = randomToken();
      db.emailTokens.set(token, { userId: user.id, email, expiresAt: Date.now() + MOCK_MAIL.tokenTtlSeconds * 1000 });
      const link = `${new URL(request.url).origin}/verify-email#token=${token}`;
      deliverMail({
        to: email,
        subject: m.mail.verifySubject,
        text: m.mail.verifyText(user.username, link, LINK_HOURS),
        link,
        token,
        sentAt: new Date().toISOString(),
      });
      return success(m, emailState(user), m.account.emailSent(email, LINK_HOURS));
    }),

    http.post(url('verifyEmail'), async ({ request }) => {
      const m = catalogOf(request);
      await wait();
      const { token } = validated<VerifyEmailBody>(m, VerifyEmailBody, await requestBody(m, request));
      const entry = db.emailTokens.get(token);
      const user = entry && findUserById(entry.userId);
      // Used, voided by a newer link, expired, or for an address the account no longer has.
      if (!entry || !user || entry.expiresAt <= Date.now() || user.email !== entry.email) {
        throw fieldRefusal(m, Code.PARAMERR, 'token', m.account.tokenInvalid);
      }
      if (db.users.some((u) => u.id !== user.id && u.email === entry.email && u.emailActive)) {
        throw refuse(m, Code.DATAEXIST, { message: m.account.emailTaken });
      }
      db.emailTokens.delete(token);
      user.emailActive = true;
      return success(m, emailState(user), m.account.emailVerified);
    }),

    http.post(url('passkeyRegisterOptions'), async ({ request }) => {
      const m = catalogOf(request);
      await wait();
      const user = sessionUser(m);
      const own = db.passkeys.filter((p) => p.userId === user.id);
      if (own.length >= MOCK_PASSKEYS.perUserMax) {
        throw refuse(m, Code.DATAEXIST, { message: m.passkeys.limit(MOCK_PASSKEYS.perUserMax) });
      }
      return success(m, {
        challenge: issueChallenge('register', user.id),
        rp: { name: MOCK_PASSKEYS.rpName, id: rpIdOf(request) },
        // The username, never the mobile number: an authenticator may show it to anyone holding it.
        user: { id: userHandleOf(user.id), name: user.username, displayName: user.username },
        pubKeyCredParams: [-8, -7, -257].map((alg) => ({ alg, type: 'public-key' })),
        timeout: PASSKEY_TIMEOUT_MS,
        attestation: 'none',
        excludeCredentials: own.map((p) => ({ id: p.credentialId, type: 'public-key', transports: p.transports })),
        authenticatorSelection: { residentKey: 'required', userVerification: 'preferred', requireResidentKey: true },
        extensions: { credProps: true },
        hints: [],
      });
    }),

    http.post(url('passkeyRegisterVerify'), async ({ request }) => {
      const m = catalogOf(request);
      await wait();
      const body = validated<PasskeyRegisterBody>(m, PasskeyRegisterBody, await requestBody(m, request));
      const user = sessionUser(m);
      const challenge = takeChallenge(m, 'register', user.id);
      // Where the API's @simplewebauthn/server also checks the attestation and the RP ID hash.
      if (!clientDataMatches(body.response.clientDataJSON, 'register', challenge, originOf(request)) || body.rawId !== body.id) {
        throw refuse(m, Code.PARAMERR, { message: m.passkeys.failed });
      }
      if (db.passkeys.some((p) => p.credentialId === body.id)) throw refuse(m, Code.DATAEXIST, { message: m.passkeys.duplicate });
      if (db.passkeys.filter((p) => p.userId === user.id).length >= MOCK_PASSKEYS.perUserMax) {
        throw refuse(m, Code.DATAEXIST, { message: m.passkeys.limit(MOCK_PASSKEYS.perUserMax) });
      }
      const flags = readAuthenticatorData(body.response.authenticatorData);
      const now = new Date();
      const passkey: MockPasskey = {
        id: newPasskeyId(),
        userId: user.id,
        credentialId: body.id,
        name: `Passkey ${now.toISOString().slice(0, 10)}`,
        createdAt: now.toISOString(),
        lastUsedAt: null,
        transports: [...new Set((body.response.transports ?? []).filter((t) => /^[a-z][a-z0-9-]{0,31}$/.test(t)))],
        backedUp: flags?.backedUp ?? false,
        counter: flags?.counter ?? 0,
      };
      db.passkeys.push(passkey);
      return success(m, passkeyView(passkey), m.passkeys.added);
    }),

    http.post(url('passkeyLoginOptions'), async ({ request }) => {
      const m = catalogOf(request);
      await wait();
      // Discoverable credentials: no username asked, nothing listed (the authenticator offers its own).
      return success(m, {
        rpId: rpIdOf(request),
        challenge: issueChallenge('login', null),
        allowCredentials: [],
        timeout: PASSKEY_TIMEOUT_MS,
        userVerification: 'preferred',
      });
    }),

    http.post(url('passkeyLoginVerify'), async ({ request }) => {
      const m = catalogOf(request);
      await wait();
      const body = validated<PasskeyLoginBody>(m, PasskeyLoginBody, await requestBody(m, request));
      const challenge = takeChallenge(m, 'login');
      const passkey = db.passkeys.find((p) => p.credentialId === body.id);
      const user = passkey && findUserById(passkey.userId);
      // A known passkey counts as a guess at its account (its username's budget), an unknown
      // credential as a guess at that id: the password login's budget, as on the API.
      const budgetKey = user ? user.username.toLowerCase() : `c:${body.id}`;
      spendLoginAttempt(m, budgetKey);
      // Every refusal says one sentence, whatever failed: nothing about accounts.
      const refused = () => {
        countLoginFailure(budgetKey);
        return refuse(m, Code.LOGINERR, { message: m.passkeys.failed });
      };
      if (!passkey || !user) throw refused();
      // No username was asked: the handle the authenticator kept must be the passkey's account's.
      if (body.response.userHandle !== userHandleOf(user.id)) throw refused();
      const flags = readAuthenticatorData(body.response.authenticatorData);
      // Where the API's @simplewebauthn/server also checks the RP ID hash and the signature.
      if (
        !flags ||
        body.rawId !== body.id ||
        !clientDataMatches(body.response.clientDataJSON, 'login', challenge, originOf(request))
      ) {
        throw refused();
      }
      // A count that does not grow (for an authenticator that counts): a clone is suspected.
      if ((flags.counter > 0 || passkey.counter > 0) && flags.counter <= passkey.counter) {
        countLoginFailure(budgetKey);
        throw refuse(m, Code.LOGINERR, { message: m.passkeys.counter });
      }
      Object.assign(passkey, { counter: flags.counter, backedUp: flags.backedUp, lastUsedAt: new Date().toISOString() });
      db.loginFailures.delete(user.username.toLowerCase());
      db.loginFailures.delete(user.mobile);
      beginSession(user.id, deviceOf(request));
      return success(m, toUserView(user), m.passkeys.loggedIn);
    }),

    http.get(url('passkeys'), async ({ request }) => {
      const m = catalogOf(request);
      await wait();
      const user = sessionUser(m);
      return success(m, { passkeys: db.passkeys.filter((p) => p.userId === user.id).map(passkeyView) });
    }),

    http.patch(url('renamePasskey'), async ({ request, params }) => {
      const m = catalogOf(request);
      await wait();
      const { id } = validated<PasskeyParams>(m, PasskeyParams, params);
      const { name } = validated<PasskeyRenameBody>(m, PasskeyRenameBody, await requestBody(m, request));
      const user = sessionUser(m);
      const passkey = db.passkeys.find((p) => p.id === id && p.userId === user.id);
      if (!passkey) throw refuse(m, Code.NODATA, { message: m.passkeys.notFound });
      passkey.name = name;
      return success(m, passkeyView(passkey), m.passkeys.renamed);
    }),

    http.delete(url('deletePasskey'), async ({ request, params }) => {
      const m = catalogOf(request);
      await wait();
      const { id } = validated<PasskeyParams>(m, PasskeyParams, params);
      const user = sessionUser(m);
      const passkey = db.passkeys.find((p) => p.id === id && p.userId === user.id);
      if (!passkey) throw refuse(m, Code.NODATA, { message: m.passkeys.notFound });
      db.passkeys = db.passkeys.filter((p) => p !== passkey);
      return success(m, null, m.passkeys.deleted);
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

    http.get(url('devMail'), ({ request, params }) => {
      const m = catalogOf(request);
      const { email } = validated<EmailParams>(m, EmailParams, params);
      const message = db.mail.get(email);
      if (!message) throw refuse(m, Code.NODATA, { message: m.request.noMailMessage });
      return success(m, message);
    }),
  ];
}

export const handlers = createHandlers();
