// Request parsing and response headers every route shares.
import { Code } from '@register/contracts';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../errors.ts';

export default fp(
  async function httpHardening(app: FastifyInstance) {
    // The seed posts forms: accept urlencoded bodies beside JSON. Repeated keys keep the last
    // value; anything else (text, multipart, xml) is a 415.
    app.removeContentTypeParser('text/plain');
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });

    // Cookies are SameSite=Lax, which already keeps them off cross-site POSTs; this refuses such
    // requests outright, for browsers that do not send SameSite or for same-site subdomains.
    const allowed = new Set(app.config.allowedOrigins);
    app.addHook('onRequest', async (request) => {
      if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS') return;
      const site = request.headers['sec-fetch-site'];
      const origin = request.headers.origin;
      const sameOrigin = (o: string) => {
        try {
          // Whole origins (scheme, host, port) through URL, so default ports compare equal
          // (http://localhost:80 == http://localhost) and http never passes for https.
          return new URL(o).origin === new URL(`${request.protocol}://${request.host}`).origin;
        } catch {
          return false;
        }
      };
      if (origin && origin !== 'null' && (sameOrigin(origin) || allowed.has(origin))) return;
      if (site === 'cross-site' || (origin && !sameOrigin(origin) && !allowed.has(origin))) {
        throw new AppError(Code.FORBIDDEN);
      }
    });

    app.addHook('onSend', async (_request, reply) => {
      reply.header('x-content-type-options', 'nosniff');
      reply.header('referrer-policy', 'no-referrer');
      reply.header('x-frame-options', 'DENY');
      reply.header('content-security-policy', "default-src 'none'; frame-ancestors 'none'");
      // Every answer is per-visitor (availability, sessions, captchas): never cache it.
      reply.header('cache-control', 'no-store');
    });
  },
  { name: 'http-hardening', dependencies: ['config'] },
);
