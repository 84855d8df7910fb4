// The mock API must not drift from the real one: the same visitor's scenario runs against both
// (the real API as a child process on its embedded backends, the mock's handlers called
// directly), and every answer's status, errno, message and field messages must match. The
// scenario goes on after sign-up: the account page's routes, the email link, the passkeys' routes
// (what can be compared without an authenticator: the options' shape, and the refusals), the
// mobile change, the sessions, and a password reset. Nothing sleeps: the real API's clock is moved where the
// scenario needs a wait to pass, and its texts are waited for by its word that they were kept
// (parity-api.ts).
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AltchaChallenge } from '@register/contracts';
import { getResponse, RequestHandler } from 'msw';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { solveAltcha } from '../lib/altcha/solver';
import { db, MOCK_CAPTCHA_ANSWER, MOCK_SMS } from './db';
import { createHandlers } from './handlers';
import type { ParityApiOrder, ParityApiReport } from './parity-api';
import { server } from './server';

interface Answer {
  status: number;
  errno?: string;
  errmsg?: string;
  data?: unknown;
}
/** How a string body is sent: JSON (the default), a urlencoded form, or plain text. */
type BodyKind = 'json' | 'form' | 'text';
type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
type Call = (method: Method, route: string, body?: unknown, kind?: BodyKind) => Promise<Answer>;
/** Every request comes from this browser: the sessions list describes it the same on both. */
const USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const CONTENT_TYPES: Record<BodyKind, string> = {
  json: 'application/json',
  form: 'application/x-www-form-urlencoded',
  text: 'text/plain',
};

/** What must match: digits that differ by nature (ids, seconds left) are masked. */
function comparable({ status, errno, errmsg, data }: Answer) {
  const digits = (text: string) => text.replace(/\d+/g, '#');
  const mask = (value: unknown) =>
    JSON.parse(JSON.stringify(value ?? null, (_key, v) => (typeof v === 'number' ? '#' : typeof v === 'string' ? digits(v) : v)));
  return { status, errno, errmsg: errmsg === undefined ? undefined : digits(errmsg), data: mask(data) };
}

/** A visitor of the real API: node:http with a cookie jar (MSW is not listening in this file). */
function realApi(base: string): Call {
  const jar = new Map<string, string>();
  return (method, route, body, kind = 'json') =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
      const request = http.request(`${base}${route}`, {
        method,
        headers: {
          'user-agent': USER_AGENT,
          ...(payload === undefined ? {} : { 'content-type': CONTENT_TYPES[kind] }),
          ...(jar.size ? { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } : {}),
        },
      });
      request.on('response', (response) => {
        for (const cookie of response.headers['set-cookie'] ?? []) {
          const [pair = ''] = cookie.split(';');
          jar.set(pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1));
        }
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          if (!String(response.headers['content-type']).includes('json')) return resolve({ status });
          resolve({ status, ...JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        });
      });
      request.on('error', reject);
      request.end(payload);
    });
}

/** The mock's handlers, answering Request objects directly (one visitor: the mock models one tab). */
function mockApi(): Call {
  const handlers = createHandlers({ latency: false }).filter((h): h is RequestHandler => h instanceof RequestHandler);
  return async (method, route, body, kind = 'json') => {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const request = new Request(`http://localhost${route}`, {
      method,
      headers: { 'user-agent': USER_AGENT, ...(payload === undefined ? {} : { 'content-type': CONTENT_TYPES[kind] }) },
      body: payload,
    });
    const response = await getResponse(handlers, request);
    if (!response) throw new Error(`the mock has no handler for ${method} ${route}`);
    if (!(response.headers.get('content-type') ?? '').includes('json')) return { status: response.status };
    return { status: response.status, ...(await response.json()) };
  };
}

/** One of the two APIs, as the scenario drives it. */
interface Backend {
  call: Call;
  /** The resend wait of every number passes (the real API's clock moves; the mock forgets its waits). */
  resendWaitPassed(): Promise<void>;
  /** Resolves once a text of `purpose` to `mobile` is in the dev outbox (a reset's goes out after its answer). */
  textKept(mobile: string, purpose: string): Promise<void>;
}

/** One visitor's way through the flow, wrong turns included; every answer is kept. */
async function scenario({ call, resendWaitPassed, textKept }: Backend): Promise<ReturnType<typeof comparable>[]> {
  const answers: Answer[] = [];
  const step = async (method: Method, route: string, body?: unknown, kind?: BodyKind) => {
    const answer = await call(method, route, body, kind);
    answers.push(answer);
    return answer;
  };
  const password = 'Blue-harbour-77';
  const user = { username: 'parity_1', password, password_repeat: password, mobile: '13612340001' };
  const codeFor = async (mobile: string) =>
    String(((await step('GET', `/api/__dev/sms/${mobile}/`)).data as { code: string }).code);
  const sendCode = async (mobile: string, captcha = MOCK_CAPTCHA_ANSWER) => {
    await step('GET', '/api/image_code/?rand=1');
    return step('POST', '/api/sms_code/', { mobile, captcha });
  };

  await step('GET', '/api/');
  await step('GET', '/api/healthz');
  await step('GET', '/api/image_code/?rand=1&rand=2');
  await step('GET', '/api/__dev/sms/13612340009/'); // nothing sent there
  await step('GET', '/api/user/session/');
  await step('GET', '/api/username/parity_1/');
  await step('GET', '/api/username/admin/');
  await step('GET', '/api/mobile/12345/');
  await step('GET', '/api/user/me/');
  await step('POST', '/api/sms_code/', { mobile: '136', captcha: 'x' });
  await step('POST', '/api/sms_code/', { mobile: user.mobile, captcha: 'ZZZZ' }); // no image asked for
  await sendCode(user.mobile, 'ZZZZ'); // wrong answer
  await sendCode(user.mobile);
  await sendCode(user.mobile); // within the cooldown
  await step('POST', '/api/user/register/', { ...user, password_repeat: 'Other-harbour-77', sms_code: '12' });
  await step('POST', '/api/user/register/', { ...user, username: 'admin' });
  await step('POST', '/api/user/register/', { ...user, password: 'password1', password_repeat: 'password1', sms_code: '123456' });
  await step('POST', '/api/user/register/', { ...user, password: '13612340001', password_repeat: '13612340001', sms_code: '1' });
  const code = await codeFor(user.mobile);
  const wrong = code === '000000' ? '111111' : '000000';
  await step('POST', '/api/user/register/', { ...user, sms_code: wrong });
  await step('POST', '/api/user/register/', { ...user, password: 'abcdefgh', password_repeat: 'abcdefgh', sms_code: code });
  await step('POST', '/api/user/register/', { ...user, sms_code: code });
  await step('GET', '/api/user/me/');
  await step('GET', '/api/user/session/');
  await step('POST', '/api/user/logout/');
  await step('GET', '/api/user/session/');
  await step('GET', '/api/user/me/');
  await step('POST', '/api/user/login/', {});
  await step('POST', '/api/user/login/', { account: user.username, password: 'Wrong-harbour-77' });
  await step('POST', '/api/user/login/', { account: user.mobile, password });
  await step('POST', '/api/sms_code/', '{"mobile": ');
  await step('POST', '/api/sms_code/', '');
  await step('POST', '/api/sms_code/', '{"__proto__": {"admin": true}, "mobile": "13612340001"}');
  await step('POST', '/api/user/login/', `account=${user.username}&password=${encodeURIComponent(password)}`, 'form');
  await step('POST', '/api/user/login/', 'account=x', 'text');
  await sendCode(user.mobile); // registered by now
  // The same username for another mobile: refused as taken, after that mobile's code is checked.
  const other = '13612340002';
  await sendCode(other);
  const otherCode = await codeFor(other);
  await step('POST', '/api/user/register/', { ...user, mobile: other, sms_code: otherCode === '000000' ? '111111' : '000000' });
  await step('POST', '/api/user/register/', { ...user, mobile: other, sms_code: otherCode });

  // The image code's alternative: a challenge (its shape: its values are random, its cost the
  // API's own), solved as the SPA solves it, accepted once, then refused as spent.
  const issued = await call('GET', '/api/captcha/altcha/');
  const challenge = issued.data as AltchaChallenge;
  answers.push({
    ...issued,
    data: { parameters: Object.keys(challenge.parameters).sort(), signature: typeof challenge.signature },
  });
  const { payload } = await solveAltcha(challenge);
  const third = '13612340003';
  await step('POST', '/api/sms_code/', { mobile: third, altcha: payload, captcha: MOCK_CAPTCHA_ANSWER });
  await step('POST', '/api/sms_code/', { mobile: third, altcha: 'not base64!' });
  await step('POST', '/api/sms_code/', { mobile: third, altcha: btoa('{"challenge":{},"solution":{}}') });
  await step('POST', '/api/sms_code/', { mobile: third, altcha: payload });
  await step('POST', '/api/sms_code/', { mobile: '13612340004', altcha: payload }); // spent
  await step('POST', '/api/sms_code/', { mobile: third }); // neither

  await afterSignUp({ call, step, answers, resendWaitPassed, textKept, user });
  return answers.map(comparable);
}

interface Visit extends Backend {
  step: (method: Method, route: string, body?: unknown, kind?: BodyKind) => Promise<Answer>;
  answers: Answer[];
  user: { username: string; password: string; mobile: string };
}

/** Keeps an answer whose data holds random values (ids, tokens, links) by the shape of that data. */
function keepShape(answers: Answer[], answer: Answer, shape: (data: never) => unknown): Answer {
  answers.push({ ...answer, data: answer.data === null || answer.errno !== '0' ? answer.data : shape(answer.data as never) });
  return answer;
}

/** The same visitor (logged in as `user`) on the account page, verifying an email, changing the mobile, resetting. */
async function afterSignUp({ call, step, answers, resendWaitPassed, textKept, user }: Visit): Promise<void> {
  const sessionsShape = (data: { sessions: Record<string, unknown>[] }) =>
    data.sessions.map(({ id, ...rest }) => ({ ...rest, id: typeof id }));
  const sessions = async () => keepShape(answers, await call('GET', '/api/user/sessions/'), sessionsShape);
  const image = () => step('GET', '/api/image_code/?rand=1');
  /** The dev outbox's last text to a mobile, once the text of `purpose` is there. */
  const outboxCode = async (mobile: string, purpose: string) => {
    await textKept(mobile, purpose);
    const answer = await step('GET', `/api/__dev/sms/${mobile}/`);
    expect((answer.data as { purpose?: string } | null)?.purpose).toBe(purpose);
    return String((answer.data as { code: string }).code);
  };
  const wrongFor = (code: string) => (code === '000000' ? '111111' : '000000');
  const strong = 'Green-meadow-lantern-58';
  const newer = 'Silver-canyon-whistle-93';

  // The account page: its sessions, the password change and its refusals.
  await step('GET', '/api/user/me/');
  await sessions();
  await step('POST', '/api/user/password/', {});
  await step('POST', '/api/user/password/', {
    old_password: user.password,
    password: user.password,
    password_repeat: user.password,
  });
  await step('POST', '/api/user/password/', { old_password: user.password, password: strong, password_repeat: newer });
  await step('POST', '/api/user/password/', { old_password: 'Not-the-password-1', password: strong, password_repeat: strong });
  await step('POST', '/api/user/password/', { old_password: user.password, password: 'abcdefgh', password_repeat: 'abcdefgh' });
  await step('POST', '/api/user/password/', { old_password: user.password, password: strong, password_repeat: strong });
  await step('GET', '/api/user/me/');
  await sessions();

  // The email address and its link.
  const address = 'parity@example.com';
  await step('POST', '/api/user/email/', { email: 'not-an-address' });
  await step('POST', '/api/user/email/', { email: '  Parity@Example.COM ' });
  const mailShape = ({ to, subject, link, token, sentAt }: Record<string, string>) => ({
    to,
    subject,
    link: link?.replace(token ?? '', '<token>'),
    token: token?.length,
    sentAt,
  });
  const mail = await call('GET', `/api/__dev/mail/${encodeURIComponent(address)}/`);
  keepShape(answers, mail, mailShape);
  const token = String((mail.data as { token: string }).token);
  await step('GET', `/api/__dev/mail/${encodeURIComponent('nobody@example.com')}/`);
  await step('POST', '/api/user/email/verify/', { token: 'x' });
  await step('POST', '/api/user/email/verify/', { token: 'A'.repeat(43) });
  await step('POST', '/api/user/email/verify/', { token });
  await step('POST', '/api/user/email/verify/', { token }); // used
  await step('POST', '/api/user/email/', { email: address }); // verified already: nothing sent
  await step('GET', '/api/user/me/');

  await passkeysLoggedIn({ call, step, answers, user });

  // The mobile change: a code of purpose change_mobile, then the number changes.
  const next = '13612340005';
  await image();
  await step('POST', '/api/sms_code/', { mobile: user.mobile, captcha: MOCK_CAPTCHA_ANSWER, purpose: 'change_mobile' }); // taken
  await image();
  await step('POST', '/api/sms_code/', { mobile: next, captcha: MOCK_CAPTCHA_ANSWER, purpose: 'change_mobile' });
  await step('POST', '/api/sms_code/', { mobile: next, captcha: 'x', purpose: 'elsewhere' });
  const changeCode = await outboxCode(next, 'change_mobile');
  await step('POST', '/api/user/register/', {
    ...user,
    username: 'parity_2',
    mobile: next,
    password_repeat: user.password,
    sms_code: changeCode,
  });
  await step('POST', '/api/user/mobile/', { mobile: next, sms_code: wrongFor(changeCode), password: strong });
  await step('POST', '/api/user/mobile/', { mobile: next, sms_code: changeCode, password: 'Not-the-password-1' });
  await step('POST', '/api/user/mobile/', { mobile: next, sms_code: changeCode, password: strong });
  await step('GET', '/api/user/me/');

  // The sessions: a ref that names nothing, a malformed one, and everywhere else (nowhere else).
  await step('DELETE', '/api/user/sessions/ZZZZZZZZZZZZ/');
  await step('DELETE', '/api/user/sessions/x/');
  await step('POST', '/api/user/logout_all/');
  await sessions();

  // Logged out, the account's routes say so (after the body's own checks).
  await step('POST', '/api/user/logout/');
  await step('GET', '/api/user/sessions/');
  await step('POST', '/api/user/logout_all/');
  await step('DELETE', '/api/user/sessions/ZZZZZZZZZZZZ/');
  await step('POST', '/api/user/password/', { old_password: strong, password: newer, password_repeat: newer });
  await step('POST', '/api/user/mobile/', { mobile: next, sms_code: '123456', password: strong });
  await step('POST', '/api/user/email/', { email: address });
  await step('POST', '/api/sms_code/', { mobile: '13612340008', captcha: 'ZZZZ', purpose: 'change_mobile' });
  await step('GET', '/api/user/passkeys/');
  await step('POST', '/api/passkeys/register/options/');
  await step('POST', '/api/passkeys/register/verify/', fakeCredential());
  await step('PATCH', '/api/user/passkeys/1/', { name: 'Laptop' });
  await step('DELETE', '/api/user/passkeys/1/');
  // A visitor starts a passkey login (the API saves an anonymous session for its challenge).
  await passkeyLoginOptions(call, answers);
  await step('POST', '/api/passkeys/login/verify/', fakeAssertion());
  await step('POST', '/api/passkeys/login/verify/', fakeAssertion()); // its challenge is spent

  // A reset: a number with no account answers the same, texts nothing, and resets nothing.
  const unknown = '13612340006';
  await image();
  await step('POST', '/api/sms_code/', { mobile: unknown, captcha: MOCK_CAPTCHA_ANSWER, purpose: 'reset' });
  await step('GET', `/api/__dev/sms/${unknown}/`);
  const reset = (mobile: string, sms_code: string, password = newer, password_repeat = password) =>
    step('POST', '/api/password/reset/', { mobile, sms_code, password, password_repeat });
  await reset(unknown, '123456');
  await step('POST', '/api/password/reset/', {});
  await reset(unknown, '123456', newer, strong);
  await reset(unknown, '123456', '13612340006');

  // The account's own number (just changed: its resend wait first), logged in, so its session ends too.
  await step('POST', '/api/user/login/', { account: user.username, password: strong });
  await resendWaitPassed();
  await image();
  await step('POST', '/api/sms_code/', { mobile: next, captcha: MOCK_CAPTCHA_ANSWER, purpose: 'reset' });
  const resetCode = await outboxCode(next, 'reset');
  await step('POST', '/api/user/mobile/', { mobile: next, sms_code: resetCode, password: strong }); // another purpose
  await reset(next, wrongFor(resetCode));
  await reset(next, resetCode, 'abcdefgh');
  await reset(next, resetCode);
  await reset(next, resetCode); // used
  await step('GET', '/api/user/me/'); // every session of the account ended, this one too
  await step('POST', '/api/user/login/', { account: user.username, password: strong });
  await step('POST', '/api/user/login/', { account: next, password: newer });
  await step('GET', '/api/user/me/');
}

const b64url = (text: string | Uint8Array) => Buffer.from(text).toString('base64url');
/** Client data for another challenge than any issued: refused by either API without an authenticator. */
const foreignClientData = (type: string) =>
  b64url(JSON.stringify({ type, challenge: b64url(new Uint8Array(32).fill(7)), origin: 'http://localhost' }));
/** A registration response of the right shape that no challenge of ours matches. */
const fakeCredential = () => ({
  id: 'AAECAwQFBgcICQoLDA0ODw',
  rawId: 'AAECAwQFBgcICQoLDA0ODw',
  type: 'public-key',
  response: { clientDataJSON: foreignClientData('webauthn.create'), attestationObject: 'o2NmbXRkbm9uZQ', transports: ['usb'] },
  clientExtensionResults: {},
});
/** An assertion of the right shape, from a credential neither API knows. */
const fakeAssertion = () => ({
  id: 'EBESExQVFhcYGRobHB0eHw',
  rawId: 'EBESExQVFhcYGRobHB0eHw',
  type: 'public-key',
  response: {
    clientDataJSON: foreignClientData('webauthn.get'),
    authenticatorData: b64url(new Uint8Array(37)),
    signature: b64url(new Uint8Array(64).fill(1)),
    userHandle: b64url(new Uint8Array(32).fill(2)),
  },
  clientExtensionResults: {},
});

/** Random values (challenges, user handles) by their length; the rest as it is. */
const optionsShape = (data: Record<string, unknown>) =>
  Object.fromEntries(
    Object.entries(data)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, value]) => {
        if (key === 'challenge') return [key, `${String(value).length} characters`];
        if (key === 'user') return [key, { ...(value as object), id: typeof (value as { id?: unknown }).id }];
        return [key, value];
      }),
  );

async function passkeyLoginOptions(call: Call, answers: Answer[]) {
  return keepShape(answers, await call('POST', '/api/passkeys/login/options/'), optionsShape);
}

/** The passkeys' routes, logged in: the options' shape, and every refusal that needs no authenticator. */
async function passkeysLoggedIn({ call, step, answers }: Pick<Visit, 'call' | 'step' | 'answers' | 'user'>) {
  const registerOptions = async () => keepShape(answers, await call('POST', '/api/passkeys/register/options/'), optionsShape);
  await step('GET', '/api/user/passkeys/');
  await step('POST', '/api/passkeys/register/verify/', fakeCredential()); // no options asked for
  await registerOptions();
  await registerOptions(); // the second replaces the first
  await step('POST', '/api/passkeys/register/verify/', {});
  await step('POST', '/api/passkeys/register/verify/', { ...fakeCredential(), type: 'password' });
  await step('POST', '/api/passkeys/register/verify/', { ...fakeCredential(), response: { clientDataJSON: 'not base64!' } });
  await step('POST', '/api/passkeys/register/verify/', '{"id": ');
  // Malformed bodies leave the challenge; an answer to another challenge spends it.
  await step('POST', '/api/passkeys/register/verify/', fakeCredential());
  await step('POST', '/api/passkeys/register/verify/', fakeCredential()); // replayed: spent
  await step('GET', '/api/user/passkeys/');
  await step('PATCH', '/api/user/passkeys/1/', { name: 'Laptop' });
  await step('PATCH', '/api/user/passkeys/1/', { name: '   ' });
  await step('PATCH', '/api/user/passkeys/1/', { name: 'x'.repeat(65) });
  await step('PATCH', '/api/user/passkeys/1/', {});
  await step('PATCH', '/api/user/passkeys/a.b/', { name: 'Laptop' });
  await step('DELETE', '/api/user/passkeys/1/');
  await step('DELETE', '/api/user/passkeys/abc/');
  // Logging in with a passkey while logged in: the same refusals as for a visitor.
  await step('POST', '/api/passkeys/login/verify/', fakeAssertion()); // no options asked for
  await passkeyLoginOptions(call, answers);
  await step('POST', '/api/passkeys/login/verify/', {});
  await step('POST', '/api/passkeys/login/verify/', { ...fakeAssertion(), response: { clientDataJSON: 'x' } });
  await step('POST', '/api/passkeys/login/verify/', fakeAssertion()); // an unknown passkey
  await step('POST', '/api/passkeys/login/verify/', fakeAssertion()); // its challenge is spent
  await step('GET', '/api/user/me/'); // still logged in
}

/**
 * The real API's reports (parity-api.ts), kept until the test takes them: `next` resolves with
 * the first untaken one of that kind that `match` accepts, as soon as it arrives, and rejects if
 * the process exits (or nothing came for 30 s, so a missing report fails the test by its name).
 */
function reportsOf(child: ChildProcess) {
  const kept: ParityApiReport[] = [];
  const lookers = new Set<() => void>();
  const lookAgain = () => {
    for (const look of [...lookers]) look();
  };
  child.on('message', (report: ParityApiReport) => {
    kept.push(report);
    lookAgain();
  });
  child.on('exit', lookAgain);
  return function next<K extends ParityApiReport['kind']>(
    kind: K,
    what: string,
    match: (report: Extract<ParityApiReport, { kind: K }>) => boolean = () => true,
  ): Promise<Extract<ParityApiReport, { kind: K }>> {
    type R = Extract<ParityApiReport, { kind: K }>;
    const accepts = (report: ParityApiReport): report is R => report.kind === kind && match(report as R);
    return new Promise((resolve, reject) => {
      const deadline = setTimeout(() => finish(new Error(`the API did not report ${what}`)), 30_000);
      const finish = (outcome: R | Error) => {
        clearTimeout(deadline);
        lookers.delete(look);
        if (outcome instanceof Error) reject(outcome);
        else resolve(outcome);
      };
      function look() {
        const index = kept.findIndex(accepts);
        if (index >= 0) finish(kept.splice(index, 1)[0] as R);
        else if (child.exitCode !== null || child.signalCode !== null) finish(new Error(`the API exited before ${what}`));
      }
      lookers.add(look);
      look();
    });
  };
}

describe('the mock API answers as the real API does', () => {
  let api: ChildProcess;
  let next: ReturnType<typeof reportsOf>;
  let dataDir: string;
  let base: string;

  beforeAll(async () => {
    server.close(); // this file talks to a real server; nothing may intercept it
    dataDir = mkdtempSync(path.join(tmpdir(), 'parity-'));
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      // A loaded 2-core machine (PGlite's WebAssembly runs on the event loop) can stall the API's
      // loop past the production bound and have it answer 503 "busy" (as the API's own tests allow).
      MAX_EVENT_LOOP_DELAY_MS: '60000',
      DATA_DIR: dataDir,
      CAPTCHA_TEST_TEXT: MOCK_CAPTCHA_ANSWER,
      SMS_GATEWAY: 'outbox',
      MAIL_TRANSPORT: 'outbox',
      // Links as the mock writes them (to the origin it answers on).
      APP_URL: 'http://localhost',
      // The relying party the mock is (it answers on http://localhost).
      WEBAUTHN_RP_ID: 'localhost',
      WEBAUTHN_ORIGINS: 'http://localhost',
    };
    api = fork(path.resolve(import.meta.dirname, 'parity-api.ts'), { env, stdio: 'inherit' });
    next = reportsOf(api);
    const ready = await next('ready', 'that it listens');
    base = `http://127.0.0.1:${ready.port}`;
  }, 60_000);

  afterAll(async () => {
    if (api && api.exitCode === null) {
      const exited = new Promise((resolve) => api.once('exit', resolve));
      api.kill('SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
    server.listen({ onUnhandledFrame: 'error' }); // as the setup file left it (it closes it last)
  });

  it('gives the same status, errno, message and field messages at every step', async () => {
    const real = await scenario({
      call: realApi(base),
      resendWaitPassed: async () => {
        const ms = MOCK_SMS.resendSeconds * 1000;
        api.send({ kind: 'move', ms } satisfies ParityApiOrder);
        await next('moved', 'that its clock moved', (r) => r.ms === ms);
      },
      textKept: async (mobile, purpose) => {
        await next('text', `a ${purpose} text to ${mobile}`, (r) => r.mobile === mobile && r.purpose === purpose);
      },
    });
    const mock = await scenario({
      call: mockApi(),
      resendWaitPassed: async () => db.cooldownUntil.clear(),
      // The mock keeps every text before it answers.
      textKept: async () => {},
    });
    if (process.env.PARITY_DUMP) console.log(JSON.stringify(real, null, 1));
    expect(real.length).toBeGreaterThan(20);
    expect(mock).toEqual(real);
  }, 90_000);
});
