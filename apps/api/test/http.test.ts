// Malformed, oversized, hostile and unexpected requests: always the envelope and a 4xx.
import net from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, randomMobile, Visitor } from './helper.ts';

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

describe('response hardening', () => {
  it('sets security headers and no-store on JSON answers', async () => {
    const res = await new Visitor(app).get(`/api/mobile/${randomMobile()}/`);
    expect(res.headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'cache-control': 'no-store',
      'content-type': 'application/json; charset=utf-8',
    });
  });

  it('creates no session (no cookie) for requests that do not need one', async () => {
    const visitor = new Visitor(app);
    await visitor.get(`/api/mobile/${randomMobile()}/`);
    await visitor.get('/api/user/me/');
    await visitor.post('/api/sms_code/', { mobile: randomMobile(), captcha: 'ABCD' });
    expect(visitor.cookies.size).toBe(0);
  });

  it('refuses cross-site POSTs and accepts same-origin ones', async () => {
    const body = { account: 'someone', password: 'whatever1' };
    const crossSite = await new Visitor(app).request({
      method: 'POST',
      url: '/api/user/login/',
      payload: body,
      headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
    });
    expect(crossSite.status).toBe(403);
    expect(crossSite.body.errno).toBe('4202');
    const sameOrigin = await new Visitor(app).request({
      method: 'POST',
      url: '/api/user/login/',
      payload: body,
      headers: { origin: 'http://localhost:80', host: 'localhost:80', 'sec-fetch-site': 'same-origin' },
    });
    expect(sameOrigin.status).toBe(401);
    const otherScheme = await new Visitor(app).request({
      method: 'POST',
      url: '/api/user/login/',
      payload: body,
      headers: { origin: 'https://localhost:3000', host: 'localhost:3000' },
    });
    expect(otherScheme.status).toBe(403);
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
    const limited = await buildTestApp({ CAPTCHA_PER_IP_PER_MINUTE: '2' });
    try {
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await sendFrom(limited, `10.0.0.${i}`)).status);
      expect(statuses).toEqual([200, 200, 429]);
    } finally {
      await limited.close();
    }
  });

  it('takes the client address from a trusted proxy hop', async () => {
    const proxied = await buildTestApp({ CAPTCHA_PER_IP_PER_MINUTE: '2', TRUST_PROXY: '1' });
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
  /** Sends raw bytes to a listening app and returns the whole answer. */
  async function rawExchange(request: string): Promise<string> {
    const address = app.server.listening
      ? `http://127.0.0.1:${(app.server.address() as net.AddressInfo).port}`
      : await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = new URL(address);
    return new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(port), '127.0.0.1', () => socket.write(request));
      let data = '';
      socket.on('data', (chunk) => {
        data += chunk;
      });
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
  }
  const bodyOf = (raw: string) => JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4));

  it('answers what the HTTP parser rejects with the envelope', async () => {
    const raw = await rawExchange('POST /api/sms_code/ HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n');
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    expect(bodyOf(raw)).toEqual({ errno: '4103', errmsg: 'Malformed HTTP request.', data: null });
  });

  it('answers oversized headers with 431 and the envelope', async () => {
    const raw = await rawExchange(`GET /api/health/ HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(raw).toMatch(/^HTTP\/1\.1 431 /);
    expect(bodyOf(raw).errno).toBe('4103');
  });
});
