// The mock API must not drift from the real one: the same visitor's scenario runs against both
// (the real API as a child process on its embedded backends, the mock's handlers called
// directly), and every answer's status, errno, message and field messages must match. The
// scenario goes on after sign-up: the account page's routes, the email link, the mobile change,
// the sessions, and a password reset.
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AltchaChallenge } from '@register/contracts';
import { getResponse, RequestHandler } from 'msw';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { solveAltcha } from '../lib/altcha/solver';
import { db, MOCK_CAPTCHA_ANSWER } from './db';
import { createHandlers } from './handlers';
import { server } from './server';

interface Answer {
  status: number;
  errno?: string;
  errmsg?: string;
  data?: unknown;
}
/** How a string body is sent: JSON (the default), a urlencoded form, or plain text. */
type BodyKind = 'json' | 'form' | 'text';
type Method = 'GET' | 'POST' | 'DELETE';
type Call = (method: Method, route: string, body?: unknown, kind?: BodyKind) => Promise<Answer>;
/** Every request comes from this browser: the sessions list describes it the same on both. */
const USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
/** The real API waits this long between two codes to one mobile; the mock is told the wait passed. */
const RESEND_SECONDS = 10;
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

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
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

/**
 * One visitor's way through the flow, wrong turns included; every answer is kept. `resendWaitPassed`
 * lets the resend wait for a mobile go by (the real API's is RESEND_SECONDS; the mock's is told).
 */
async function scenario(call: Call, resendWaitPassed: () => Promise<void>): Promise<ReturnType<typeof comparable>[]> {
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

  await afterSignUp({ call, step, answers, resendWaitPassed, user });
  return answers.map(comparable);
}

interface Visit {
  call: Call;
  step: (method: Method, route: string, body?: unknown, kind?: BodyKind) => Promise<Answer>;
  answers: Answer[];
  resendWaitPassed: () => Promise<void>;
  user: { username: string; password: string; mobile: string };
}

/** Keeps an answer whose data holds random values (ids, tokens, links) by the shape of that data. */
function keepShape(answers: Answer[], answer: Answer, shape: (data: never) => unknown): Answer {
  answers.push({ ...answer, data: answer.data === null || answer.errno !== '0' ? answer.data : shape(answer.data as never) });
  return answer;
}

/** The same visitor (logged in as `user`) on the account page, verifying an email, changing the mobile, resetting. */
async function afterSignUp({ call, step, answers, resendWaitPassed, user }: Visit): Promise<void> {
  const sessionsShape = (data: { sessions: Record<string, unknown>[] }) =>
    data.sessions.map(({ id, ...rest }) => ({ ...rest, id: typeof id }));
  const sessions = async () => keepShape(answers, await call('GET', '/api/user/sessions/'), sessionsShape);
  const image = () => step('GET', '/api/image_code/?rand=1');
  /** The dev outbox's last text to a mobile, once it is there (a reset's goes out after its answer). */
  const outboxCode = async (mobile: string, purpose: string) => {
    let answer = await call('GET', `/api/__dev/sms/${mobile}/`);
    for (let i = 0; i < 50 && (answer.data as { purpose?: string } | null)?.purpose !== purpose; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      answer = await call('GET', `/api/__dev/sms/${mobile}/`);
    }
    answers.push(answer);
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

describe('the mock API answers as the real API does', () => {
  let api: ChildProcess;
  let dataDir: string;
  let base: string;

  beforeAll(async () => {
    server.close(); // this file talks to a real server; nothing may intercept it
    dataDir = mkdtempSync(path.join(tmpdir(), 'parity-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      DATA_DIR: dataDir,
      CAPTCHA_TEST_TEXT: MOCK_CAPTCHA_ANSWER,
      SMS_GATEWAY: 'outbox',
      SMS_RESEND_SECONDS: String(RESEND_SECONDS),
      MAIL_TRANSPORT: 'outbox',
      // Links as the mock writes them (to the origin it answers on).
      APP_URL: 'http://localhost',
    };
    api = fork(path.resolve(import.meta.dirname, '../../../api/src/server.ts'), { env, stdio: 'inherit' });
    for (let i = 0; i < 300; i++) {
      const up = await fetchStatus(`${base}/api/health/`);
      if (up === 200) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('the API did not start');
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
    const real = await scenario(realApi(base), () => new Promise((resolve) => setTimeout(resolve, RESEND_SECONDS * 1000 + 200)));
    const mock = await scenario(mockApi(), async () => db.cooldownUntil.clear());
    if (process.env.PARITY_DUMP) console.log(JSON.stringify(real, null, 1));
    expect(real.length).toBeGreaterThan(20);
    expect(mock).toEqual(real);
  }, 90_000);
});

function fetchStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    http
      .get(url, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      })
      .on('error', () => resolve(0));
  });
}
