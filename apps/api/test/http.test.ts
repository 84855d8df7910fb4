// Malformed, oversized, hostile and unexpected requests: always the envelope and a 4xx.
import { zhCN } from '@register/contracts/i18n/zh-CN';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, randomMobile, randomUsername, Visitor } from './helper.ts';
import { bodyOf, headersOf, rawExchange as rawExchangeWith } from './raw-http.ts';

let app: FastifyInstance;
beforeAll(async () => {
  app = await buildTestApp();
});
afterAll(() => app.close());

const post = (payload: string | Buffer, contentType = 'application/json', url = '/api/sms_code/') =>
  new Visitor(app).request({ method: 'POST', url, payload, headers: { 'content-type': contentType } });

describe('bad input', () => {
  it.each([
    ['malformed JSON', '{"mobile": '],
    ['a JSON array', '[1,2]'],
    ['a JSON string', '"hello"'],
    ['wrong types', JSON.stringify({ mobile: 13800138000, captcha: ['ABCD'] })],
    ['nested objects', JSON.stringify({ mobile: { $gt: '' }, captcha: { toString: 1 } })],
    ['prototype poisoning', '{"__proto__": {"admin": true}, "mobile": "13800138000"}'],
    ['constructor poisoning', '{"constructor": {"prototype": {"admin": true}}}'],
    ['an empty JSON body', ''],
  ])('%s: 400 with the envelope', async (_, payload) => {
    const res = await post(payload);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ errno: '4103', errmsg: expect.any(String) });
  });

  it("wrong JSON types get each field's own message, as JSON Schema says (no coercion: 6 digits as a number are no code)", async () => {
    const res = await post(
      JSON.stringify({ username: 12345, password: true, password_repeat: null, mobile: 13800138000, sms_code: 123456 }),
      'application/json',
      '/api/user/register/',
    );
    expect(res.status).toBe(400);
    expect(res.body.data?.fields).toEqual({
      username: 'Username must be 5-20 letters, digits or underscores.',
      password: 'Password must be 8-128 characters.',
      password_repeat: 'The two passwords do not match.',
      mobile: 'Enter an 11-digit mainland China mobile number, e.g. 13800138000.',
      sms_code: 'The SMS code is 6 digits.',
    });
  });

  it('an unknown content type: 415', async () => {
    for (const type of ['text/plain', 'application/xml', 'multipart/form-data; boundary=x']) {
      const res = await post('mobile=1', type);
      expect(res.status, type).toBe(415);
      expect(res.body.errno).toBe('4103');
    }
  });

  it('a 2 MB body: 413, and the process stays up', async () => {
    const res = await post(Buffer.alloc(2 * 1024 * 1024, 'a'));
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ errno: '4103', errmsg: 'Request body is too large.' });
    expect((await new Visitor(app).get('/api/health/')).status).toBe(200);
  });

  it('a huge field inside a small-enough body: 400 for that field', async () => {
    const res = await post(JSON.stringify({ mobile: '1'.repeat(10_000), captcha: 'ABCD' }));
    expect(res.status).toBe(400);
    expect(Object.keys(res.body.data?.fields ?? {})).toEqual(['mobile']);
  });

  it('a malformed URL escape: 400', async () => {
    const res = await new Visitor(app).get('/api/username/%E0%A4%A/');
    expect(res.status).toBe(400);
    expect(res.body.errno).toBe('4103');
  });

  it('unicode look-alikes and control characters in a username: 400', async () => {
    for (const name of ['аlice_1', 'alice\u0000x', 'alice%0Ax1']) {
      expect((await new Visitor(app).get(`/api/username/${encodeURIComponent(name)}/`)).status, name).toBe(400);
    }
  });
});

describe('routing', () => {
  it('answers unknown paths with 404 NODATA', async () => {
    const res = await new Visitor(app).get('/api/nothing/here/');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ errno: '4002', errmsg: 'No such endpoint.', data: null });
  });

  it('answers a known path with the wrong method with 405 METHERR and Allow', async () => {
    const res = await new Visitor(app).request({ method: 'DELETE', url: '/api/user/register/' });
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('POST');
    expect(res.body.errno).toBe('4005');
    const get = await new Visitor(app).get('/api/sms_code/');
    expect(get.status).toBe(405);
  });

  it('takes a configurable prefix', async () => {
    const other = await buildTestApp({ API_PREFIX: '/v2' });
    try {
      expect((await new Visitor(other).get(`/v2/mobile/${randomMobile()}/`)).status).toBe(200);
      expect((await new Visitor(other).get(`/api/mobile/${randomMobile()}/`)).status).toBe(404);
    } finally {
      await other.close();
    }
  });
});

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none';frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
  'cross-origin-resource-policy': 'same-origin',
};

describe('response hardening', () => {
  it.each([
    ['a JSON answer', { method: 'GET', url: '/api/mobile/13800138000/' }, 200],
    ['the captcha image', { method: 'GET', url: '/api/image_code/' }, 200],
    ['a validation error', { method: 'GET', url: '/api/username/ab/' }, 400],
    ['an unknown path', { method: 'GET', url: '/api/nothing/' }, 404],
    ['a wrong method', { method: 'PUT', url: '/api/sms_code/' }, 405],
    ['TRACE', { method: 'TRACE', url: '/api/user/me/' }, 405],
    ['a malformed URL', { method: 'GET', url: '/api/username/%E0%A4%A/' }, 400],
    [
      'an unsupported body type',
      { method: 'POST', url: '/api/user/login/', payload: 'x', headers: { 'content-type': 'text/xml' } },
      415,
    ],
    ['a cross-site POST', { method: 'POST', url: '/api/user/login/', headers: { origin: 'https://evil.example' } }, 403],
  ] as const)('sends the security headers with %s', async (_, options, status) => {
    const res = await new Visitor(app).request(options as never);
    expect(res.status).toBe(status);
    expect(res.headers).toMatchObject(SECURITY_HEADERS);
  });

  it('sends them with a 429 too', async () => {
    const visitor = new Visitor(app);
    const mobile = randomMobile();
    await visitor.requestSmsCode(mobile);
    const again = await visitor.requestSmsCode(mobile);
    expect(again.status).toBe(429);
    expect(again.headers).toMatchObject(SECURITY_HEADERS);
  });

  it('sends them with a 413 too', async () => {
    const res = await post(Buffer.alloc(64 * 1024, 'a'));
    expect(res.status).toBe(413);
    expect(res.headers).toMatchObject(SECURITY_HEADERS);
  });

  it('answers TRACE with 405 and Allow', async () => {
    const res = await new Visitor(app).request({ method: 'TRACE', url: '/api/user/login/' });
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('POST');
    expect(res.body.errno).toBe('4005');
  });

  it('creates no session (no cookie) for requests that do not need one', async () => {
    const visitor = new Visitor(app);
    await visitor.get(`/api/mobile/${randomMobile()}/`);
    await visitor.get('/api/user/me/');
    await visitor.post('/api/sms_code/', { mobile: randomMobile(), captcha: 'ABCD' });
    expect(visitor.cookies.size).toBe(0);
  });

  it("gives an anonymous session's cookie its session's lifetime, and a logged-in one the full lifetime", async () => {
    const visitor = new Visitor(app);
    const captcha = await visitor.get('/api/image_code/');
    /** Seconds until the session cookie expires, from its Expires attribute. */
    const maxAge = (res: typeof captcha) => {
      const cookie = (res.raw.cookies as { name: string; expires?: Date }[]).find((c) => c.name === 'sid');
      return cookie?.expires ? (new Date(cookie.expires).getTime() - Date.now()) / 1000 : undefined;
    };
    // The captcha's 300 s and then its SMS code's 300 s: nothing else is in an anonymous session.
    expect(maxAge(captcha)).toBeGreaterThan(590);
    expect(maxAge(captcha)).toBeLessThanOrEqual(600);
    const registered = await visitor.register(randomUsername('Ck'), randomMobile());
    expect(maxAge(registered)).toBeGreaterThan(14 * 86_400 - 10);
    // A logged-in visitor loading a captcha keeps the long-lived cookie.
    const again = await visitor.get('/api/image_code/');
    expect(maxAge(again) ?? 14 * 86_400).toBeGreaterThan(14 * 86_400 - 10);
  });
});

describe('cross-site requests', () => {
  const login = (headers: Record<string, string>) =>
    new Visitor(app).request({
      method: 'POST',
      url: '/api/user/login/',
      payload: { account: 'someone', password: 'whatever1' },
      headers,
    });

  it('accepts state-changing requests from the configured origins only', async () => {
    expect((await login({ origin: 'http://127.0.0.1:5173', 'sec-fetch-site': 'same-origin' })).status).toBe(401);
    expect((await login({ origin: 'http://localhost:4173', 'sec-fetch-site': 'same-origin' })).status).toBe(401);
    for (const origin of ['https://evil.example', 'null', 'https://127.0.0.1:5173', 'http://127.0.0.1:5174']) {
      const res = await login({ origin, 'sec-fetch-site': 'cross-site' });
      expect(res.status, origin).toBe(403);
      expect(res.body).toEqual({ errno: '4202', errmsg: 'Cross-site request refused', data: null });
    }
  });

  it('never trusts the Host header: Host and Origin both set to an unknown site are refused', async () => {
    const res = await login({ host: 'rebound.example', origin: 'http://rebound.example', 'sec-fetch-site': 'same-origin' });
    expect(res.status).toBe(403);
  });

  it('lets non-browser clients without Origin through, but not a browser request without one', async () => {
    expect((await login({})).status).toBe(401);
    expect((await login({ 'sec-fetch-site': 'same-origin' })).status).toBe(403);
  });

  it('takes exactly the list given in ALLOWED_ORIGINS', async () => {
    const other = await buildTestApp({ ALLOWED_ORIGINS: 'https://app.example.com' });
    try {
      const send = (origin: string) =>
        new Visitor(other).request({ method: 'POST', url: '/api/user/logout/', headers: { origin } });
      expect((await send('https://app.example.com')).status).toBe(200);
      expect((await send('http://127.0.0.1:5173')).status).toBe(403);
    } finally {
      await other.close();
    }
  });
});

describe('client addresses', () => {
  const sendFrom = (target: FastifyInstance, forwardedFor: string) =>
    new Visitor(target, '203.0.113.1').request({
      method: 'GET',
      url: '/api/image_code/',
      headers: { 'x-forwarded-for': forwardedFor },
    });

  it('ignores X-Forwarded-For unless a proxy is trusted, so limits cannot be dodged', async () => {
    const limited = await buildTestApp({ CAPTCHA_LIMIT_MAX: '2' });
    try {
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await sendFrom(limited, `10.0.0.${i}`)).status);
      expect(statuses).toEqual([200, 200, 429]);
    } finally {
      await limited.close();
    }
  });

  it('takes the client address from a trusted proxy hop', async () => {
    const proxied = await buildTestApp({ CAPTCHA_LIMIT_MAX: '2', TRUST_PROXY: '1' });
    try {
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await sendFrom(proxied, `198.18.0.${i}`)).status);
      expect(statuses).toEqual([200, 200, 200]);
      // Only the last hop is believed: a client cannot prepend addresses of its own.
      const spoofed = [];
      for (let i = 0; i < 3; i++) spoofed.push((await sendFrom(proxied, `10.1.1.${i}, 198.18.1.1`)).status);
      expect(spoofed).toEqual([200, 200, 429]);
    } finally {
      await proxied.close();
    }
  });
});

describe('malformed HTTP', () => {
  const rawExchange = (request: string) => rawExchangeWith(app, request);

  it('answers what the HTTP parser rejects with the envelope and the security headers', async () => {
    const raw = await rawExchange('POST /api/sms_code/ HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n');
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    expect(bodyOf(raw)).toEqual({ errno: '4103', errmsg: 'Malformed HTTP request.', data: null });
    expect(headersOf(raw)).toMatchObject(SECURITY_HEADERS);
  });

  it('answers an HTTP/1.1 request without Host with 400, the envelope and the security headers', async () => {
    const raw = await rawExchange('GET /api/healthz HTTP/1.1\r\nConnection: close\r\n\r\n');
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    expect(bodyOf(raw)).toEqual({ errno: '4103', errmsg: 'Missing Host header.', data: null });
    expect(headersOf(raw)).toMatchObject(SECURITY_HEADERS);
  });

  it('answers an Expect header it cannot meet with 417, the envelope and the security headers', async () => {
    const raw = await rawExchange('POST /api/user/login/ HTTP/1.1\r\nHost: x\r\nExpect: something\r\nContent-Length: 0\r\n\r\n');
    expect(raw).toMatch(/^HTTP\/1\.1 417 /);
    expect(bodyOf(raw)).toEqual({ errno: '4103', errmsg: 'Unsupported Expect header.', data: null });
    expect(headersOf(raw)).toMatchObject(SECURITY_HEADERS);
    const chinese = await rawExchange(
      'POST /api/user/login/ HTTP/1.1\r\nHost: x\r\nAccept-Language: zh-CN\r\nExpect: something\r\nContent-Length: 0\r\n\r\n',
    );
    expect(bodyOf(chinese)).toEqual({ errno: '4103', errmsg: zhCN.request.badExpect, data: null });
  });

  it('answers CONNECT with 405 and the envelope, not a dropped socket', async () => {
    const raw = await rawExchange('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
    expect(raw).toMatch(/^HTTP\/1\.1 405 /);
    expect(bodyOf(raw)).toEqual({ errno: '4005', errmsg: 'CONNECT is not supported.', data: null });
    expect(headersOf(raw)).toMatchObject(SECURITY_HEADERS);
  });

  it('answers oversized headers with 431, the envelope and the security headers', async () => {
    const raw = await rawExchange(`GET /api/health/ HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(raw).toMatch(/^HTTP\/1\.1 431 /);
    expect(bodyOf(raw).errno).toBe('4103');
    expect(headersOf(raw)).toMatchObject(SECURITY_HEADERS);
  });
});
