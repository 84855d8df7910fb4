// A small production-like web server for the measurement: the built SPA from apps/web/dist,
// gzip-compressed (what any production web server does; `vite preview` does not), the SPA's
// routes answered with index.html, and /api passed on to the API.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export function startStaticServer(dist: string, apiPort: number, port: number): Promise<http.Server> {
  const gzipped = new Map<string, Buffer>();
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname.startsWith('/api/')) {
      const upstream = http.request(
        { host: '127.0.0.1', port: apiPort, path: request.url, method: request.method, headers: request.headers },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
        },
      );
      upstream.on('error', () => response.writeHead(502).end());
      request.pipe(upstream);
      return;
    }
    let file = path.join(dist, path.normalize(url.pathname));
    if (!file.startsWith(dist) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) file = path.join(dist, 'index.html');
    const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
    const cache = file.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache';
    const body = fs.readFileSync(file);
    if (/\bgzip\b/.test(String(request.headers['accept-encoding']))) {
      let packed = gzipped.get(file);
      if (!packed) {
        packed = zlib.gzipSync(body, { level: 9 });
        gzipped.set(file, packed);
      }
      response.writeHead(200, {
        'content-type': type,
        'content-encoding': 'gzip',
        'cache-control': cache,
        vary: 'accept-encoding',
      });
      response.end(packed);
      return;
    }
    response.writeHead(200, { 'content-type': type, 'cache-control': cache });
    response.end(body);
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}
