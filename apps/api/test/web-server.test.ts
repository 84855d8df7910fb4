// The SPA's production web server (deploy/nginx/), for real: this machine's nginx in front of a
// real API (buildApp on this run's PostgreSQL and Redis), serving a built SPA's files. It checks
// what a browser and the API see: precompressed brotli and gzip, on-the-fly gzip for the rest,
// cache lifetimes, the page's security headers (HSTS on TLS only), the /api proxy, and the client
// address and scheme the API takes from the forwarded headers.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import zlib from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  findNginx,
  NGINX_INSTALL_HINT,
  nginxConfig,
  type RunningNginx,
  renderTemplate,
  startNginx,
  tempPrefix,
} from '../../../deploy/nginx/nginx-config.ts';
import { precompressDir } from '../../web/precompress.ts';
import { createDigest } from '../src/lib/digest.ts';
import { eventDigests } from '../src/modules/security-events/events.service.ts';
import { freePort } from './free-port.ts';
import { buildTestApp } from './helper.ts';

describe('the nginx template', () => {
  const options = { listen: '127.0.0.1:8080', root: '/srv/www', apiUpstream: 'api:3000', prefix: '/tmp/n', user: null };

  it('fills every placeholder, and refuses a missing or an unused value', () => {
    const ph = (name: string) => `\${${name}}`; // a placeholder, as written in the template
    expect(renderTemplate(`a ${ph('X')} $host ${ph('Y')}`, { X: '1', Y: '2' })).toBe('a 1 $host 2');
    expect(() => renderTemplate(`${ph('X')} ${ph('Y')}`, { X: '1' })).toThrow(/no value for \$\{Y\}/);
    expect(() => renderTemplate(ph('X'), { X: '1', Z: '3' })).toThrow(/\$\{Z\} not in the template/);
    const conf = nginxConfig({ ...options, brotli: true });
    expect(conf).not.toMatch(/\$\{[A-Z]/);
    expect(conf).toContain('listen 127.0.0.1:8080;');
    expect(conf).toContain('root /srv/www;');
    expect(conf).toContain('server api:3000;');
    expect(conf).toContain('pid /tmp/n/nginx.pid;');
    expect(conf).toMatch(/load_module \/usr\/lib\/nginx\/modules\/ngx_http_brotli_static_module\.so;/);
    expect(conf).toMatch(/brotli_static on;/);
    expect(conf).not.toMatch(/^user /m);
    // What TRUST_PROXY=1 reads: the address nginx saw (never the client's own X-Forwarded-For), the scheme, the host.
    expect(conf).toContain('proxy_set_header X-Forwarded-For $remote_addr;');
    expect(conf).toContain('proxy_set_header X-Forwarded-Proto $scheme;');
    expect(conf).toContain('proxy_set_header X-Forwarded-Host $http_host;');
    // The request id is nginx's own, never the client's; metrics are not passed on at all.
    expect(conf).toContain('proxy_set_header X-Request-Id $request_id;');
    expect(conf).toMatch(/location = \/api\/metrics \{\s+return 404;\s+\}/);
    expect(conf).toMatch(/location \/api\/metrics\/ \{\s+return 404;\s+\}/);
  });

  it('without the brotli modules, loads none and keeps gzip; with TLS, listens for it and may redirect', () => {
    const plain = nginxConfig({ ...options, brotli: false });
    expect(plain).not.toMatch(/load_module|brotli_static on|brotli off/);
    expect(plain).toMatch(/gzip_static on;/);
    expect(plain).not.toMatch(/ssl|return 301/);
    const tls = nginxConfig({
      ...options,
      brotli: false,
      tls: { listen: '8443', certificate: '/c.pem', key: '/k.pem', redirect: true },
    });
    expect(tls).toMatch(/listen 8443 ssl;\n\s+ssl_certificate \/c\.pem;\n\s+ssl_certificate_key \/k\.pem;/);
    expect(tls).toMatch(/if \(\$scheme = http\) \{\n\s+return 301 https:\/\/\$host\$request_uri;/);
  });
});

const nginx = findNginx();
if (!nginx) console.warn(`web-server.test.ts: nginx is not installed, skipping the live tests (${NGINX_INSTALL_HINT})`);

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

describe.skipIf(!nginx)('nginx in front of the API', () => {
  const CODE_SECRET = randomBytes(24).toString('hex');
  const METRICS_TOKEN = randomBytes(24).toString('hex');
  const SCRIPT = `console.log(${JSON.stringify('the SPA '.repeat(4000))});\n`;
  const SVG = `<svg xmlns="http://www.w3.org/2000/svg">${'<rect width="1" height="1"/>'.repeat(60)}</svg>`;
  const INDEX = `<!doctype html><html><head><title>SPA</title><script type="module" src="/assets/app-abc123.js"></script></head><body>${'<p>page</p>'.repeat(80)}</body></html>`;
  let app: FastifyInstance;
  let server: RunningNginx;
  let dist: string;
  let prefix: string;
  let web: string;
  let secure: string;
  let apiBase: string;

  beforeAll(async () => {
    app = await buildTestApp({
      CODE_SECRET,
      METRICS_TOKEN,
      TRUST_PROXY: '1',
      COOKIE_SECURE: 'true',
      AVAILABILITY_LIMIT_MAX: '3',
      AVAILABILITY_LIMIT_WINDOW_SECONDS: '60',
      // A busy machine must not turn these answers into 503s (plugins/lifecycle.ts has its own tests).
      MAX_EVENT_LOOP_DELAY_MS: '60000',
    });
    const apiUrl = await app.listen({ host: '127.0.0.1', port: 0 });
    apiBase = apiUrl;
    prefix = tempPrefix('web-server-test');
    // A built SPA as Vite leaves it: the page, a hashed script, both precompressed by the build
    // step, and one file the build did not compress (nginx gzips it on the fly).
    dist = path.join(prefix, 'dist');
    fs.mkdirSync(path.join(dist, 'assets'), { recursive: true });
    fs.writeFileSync(path.join(dist, 'index.html'), INDEX);
    fs.writeFileSync(path.join(dist, 'assets/app-abc123.js'), SCRIPT);
    expect(await precompressDir(dist)).toEqual(['assets/app-abc123.js', 'index.html']);
    fs.writeFileSync(path.join(dist, 'icon.svg'), SVG);
    execFileSync(
      'openssl',
      [
        ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost'],
        ...['-keyout', path.join(prefix, 'tls.key'), '-out', path.join(prefix, 'tls.crt')],
      ],
      { stdio: 'ignore' },
    );
    const [port, tlsPort] = [await freePort(), await freePort()];
    server = await startNginx(
      {
        listen: `127.0.0.1:${port}`,
        root: dist,
        apiUpstream: new URL(apiUrl).host,
        prefix,
        tls: { listen: `127.0.0.1:${tlsPort}`, certificate: path.join(prefix, 'tls.crt'), key: path.join(prefix, 'tls.key') },
      },
      { binary: nginx ?? undefined },
    );
    web = `http://127.0.0.1:${port}`;
    secure = `https://127.0.0.1:${tlsPort}`;
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    await app?.close();
    if (prefix) fs.rmSync(prefix, { recursive: true, force: true });
  });

  /** One request, with the headers given and nothing else (no accept-encoding unless asked). */
  function get(url: string, headers: Record<string, string> = {}, localAddress?: string): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const client = url.startsWith('https:') ? https : http;
      const request = client.get(url, { headers, localAddress, agent: false, rejectUnauthorized: false }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }),
        );
      });
      request.on('error', reject);
    });
  }

  it('sends the build-time brotli or gzip copy to a browser that accepts it, the file itself otherwise', async () => {
    const url = `${web}/assets/app-abc123.js`;
    const br = await get(url, { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.status).toBe(200);
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['content-type']).toMatch(/^text\/javascript/);
    expect(br.headers.vary).toMatch(/Accept-Encoding/i);
    expect(br.body.length).toBe(fs.statSync(path.join(dist, 'assets/app-abc123.js.br')).size);
    expect(zlib.brotliDecompressSync(br.body).toString()).toBe(SCRIPT);
    const gz = await get(url, { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.body.length).toBe(fs.statSync(path.join(dist, 'assets/app-abc123.js.gz')).size);
    expect(zlib.gunzipSync(gz.body).toString()).toBe(SCRIPT);
    const plain = await get(url);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString()).toBe(SCRIPT);
    // A file the build left uncompressed is compressed on the fly.
    const svg = await get(`${web}/icon.svg`, { 'accept-encoding': 'gzip' });
    expect(svg.headers['content-encoding']).toBe('gzip');
    expect(zlib.gunzipSync(svg.body).toString()).toBe(SVG);
  });

  it('caches hashed assets for a year, never the page; a missing asset is a 404 that is not cached', async () => {
    const asset = await get(`${web}/assets/app-abc123.js`);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    for (const route of ['/', '/register', '/login', '/index.html', '/no/such/page']) {
      const page = await get(`${web}${route}`, { 'accept-encoding': 'br' });
      expect(page.status, route).toBe(200);
      expect(page.headers['cache-control'], route).toBe('no-cache');
      expect(page.headers['content-type'], route).toBe('text/html; charset=utf-8');
      expect(page.headers['content-encoding'], route).toBe('br');
      expect(zlib.brotliDecompressSync(page.body).toString(), route).toBe(INDEX);
    }
    const missing = await get(`${web}/assets/app-gone99.js`);
    expect(missing.status).toBe(404);
    expect(missing.headers['cache-control']).toBeUndefined();
  });

  it("gives the page and its files the SPA's security headers, with HSTS only over TLS", async () => {
    for (const route of ['/register', '/assets/app-abc123.js']) {
      const { headers } = await get(`${web}${route}`);
      const csp = String(headers['content-security-policy']);
      expect(csp).toMatch(/(^|; )default-src 'none'(;|$)/);
      expect(csp).toMatch(/(^|; )script-src 'self'(;|$)/);
      expect(csp).toMatch(/(^|; )frame-ancestors 'none'(;|$)/);
      expect(csp).toMatch(/(^|; )connect-src 'self'(;|$)/);
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
      expect(headers).toMatchObject({
        'x-frame-options': 'DENY',
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
      });
      expect(headers['strict-transport-security'], route).toBeUndefined();
    }
    const overTls = await get(`${secure}/register`);
    expect(overTls.status).toBe(200);
    expect(overTls.headers['strict-transport-security']).toBe('max-age=63072000; includeSubDomains');
    expect(overTls.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
  });

  it("passes /api/ to the API, whose answers keep the API's own headers and are not compressed", async () => {
    const health = await get(`${web}/api/healthz`, { 'accept-encoding': 'gzip, br' });
    expect(health.status, health.body.toString()).toBe(200);
    expect(JSON.parse(health.body.toString())).toMatchObject({ errno: '0', data: { status: 'ok' } });
    expect(health.headers['content-encoding']).toBeUndefined();
    expect(health.headers['content-security-policy']).toMatch(/^default-src 'none'; ?frame-ancestors 'none'$/);
    expect(health.headers['cache-control']).toBe('no-store');
    const unknown = await get(`${web}/api/no/such/route/`);
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body.toString())).toMatchObject({ errno: '4002' });
  });

  it("gives each API request nginx's id, whatever X-Request-Id the client sends", async () => {
    const forged = ['victim-id-1234', 'a'.repeat(32)]; // the second looks like one of nginx's own
    const ids = [];
    for (const headers of [...forged.map((id) => ({ 'x-request-id': id })), {}]) {
      const res = await get(`${web}/api/healthz`, headers);
      expect(res.status).toBe(200);
      // nginx's $request_id: 32 hex digits, not the client's and not one the API made up (a UUID).
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
      expect(forged).not.toContain(res.headers['x-request-id']);
      ids.push(res.headers['x-request-id']);
    }
    expect(new Set(ids).size).toBe(3);
    // Asked directly, the API keeps it (TRUST_PROXY=1 trusts its immediate peer, here this test):
    // it is nginx replacing the header that keeps a visitor from choosing it.
    const direct = await get(`${apiBase}/api/healthz`, { 'x-request-id': 'victim-id-1234' });
    expect(direct.headers['x-request-id']).toBe('victim-id-1234');
  });

  it('never passes /api/metrics on, however it is spelled, even with the token', async () => {
    const authorization = `Bearer ${METRICS_TOKEN}`;
    // The API serves it to the scraper that asks it directly with the token...
    expect((await get(`${apiBase}/api/metrics`, { authorization })).status).toBe(200);
    // ...and nginx to nobody: its own 404, not the API's envelope.
    for (const url of [
      '/api/metrics',
      '/api/metrics/',
      '/api//metrics',
      '/api/%6Detrics',
      '/api/./metrics',
      '/api/metrics?x=1',
    ]) {
      const res = await get(`${web}${url}`, { authorization });
      expect(res.status, url).toBe(404);
      expect(res.body.toString(), url).not.toMatch(/errno|http_requests_total/);
    }
  });

  it('lets the API see the real client address, whatever X-Forwarded-For the client sends', async () => {
    const forged = { 'x-forwarded-for': '198.18.77.77' };
    const check = (from: string, name: string) => get(`${web}/api/username/${name}/`, forged, from);
    // The availability budget is 3 per client: the first client spends it, forging its address
    // each time, and is refused; a second client (another address) still has all of its own.
    const first = [];
    for (let i = 0; i < 4; i++) first.push((await check('127.0.0.5', `web_a_${i}x`)).status);
    expect(first).toEqual([200, 200, 200, 429]);
    expect((await check('127.0.0.6', 'web_b_0x')).status).toBe(200);
    // The security event log names the client by the address nginx saw, not the forged one.
    await app.events.flush();
    const hmac = eventDigests(createDigest(CODE_SECRET)).client;
    const db = new pg.Client({ connectionString: inject('databaseUrl') });
    await db.connect();
    try {
      const { rows } = await db.query<{ client_hmac: string }>(
        "SELECT client_hmac FROM security_event WHERE kind = 'rate_limited' AND client_hmac = ANY($1)",
        [[hmac('127.0.0.5'), hmac('127.0.0.6'), hmac('198.18.77.77'), hmac('127.0.0.1')]],
      );
      expect(rows.map((r) => r.client_hmac)).toEqual([hmac('127.0.0.5')]);
    } finally {
      await db.end();
    }
  });

  it('serves the API over TLS too, with its Secure session cookie', async () => {
    const overTls = await get(`${secure}/api/image_code/?rand=1`);
    expect(overTls.status).toBe(200);
    expect(overTls.headers['content-type']).toBe('image/png');
    expect(String(overTls.headers['set-cookie'])).toMatch(/^sid=.+; Secure/);
  });
});
