// The mock API must not drift from the real one: the same visitor's scenario runs against both
// (the real API as a child process on its embedded backends, the mock's handlers called
// directly), and every answer's status, errno, message and field messages must match.
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
import { MOCK_CAPTCHA_ANSWER } from './db';
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
type Call = (method: 'GET' | 'POST', route: string, body?: unknown, kind?: BodyKind) => Promise<Answer>;
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
      headers: payload === undefined ? {} : { 'content-type': CONTENT_TYPES[kind] },
      body: payload,
    });
    const response = await getResponse(handlers, request);
    if (!response) throw new Error(`the mock has no handler for ${method} ${route}`);
    if (!(response.headers.get('content-type') ?? '').includes('json')) return { status: response.status };
    return { status: response.status, ...(await response.json()) };
  };
}

/** One visitor's way through the flow, wrong turns included; every answer is kept. */
async function scenario(call: Call): Promise<ReturnType<typeof comparable>[]> {
  const answers: Answer[] = [];
  const step = async (method: 'GET' | 'POST', route: string, body?: unknown, kind?: BodyKind) => {
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
  return answers.map(comparable);
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
    const real = await scenario(realApi(base));
    const mock = await scenario(mockApi());
    if (process.env.PARITY_DUMP) console.log(JSON.stringify(real, null, 1));
    expect(real.length).toBeGreaterThan(20);
    expect(mock).toEqual(real);
  }, 60_000);
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
