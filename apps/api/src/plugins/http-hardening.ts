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
      const sameHost = (o: string) => {
        try {
          // Both sides through URL, so default ports compare equal (localhost:80 == localhost).
          return new URL(o).host === new URL(`${request.protocol}://${request.host}`).host;
        } catch {
          return false;
        }
      };
      if (origin && origin !== 'null' && (sameHost(origin) || allowed.has(origin))) return;
      if (site === 'cross-site' || (origin && !sameHost(origin) && !allowed.has(origin))) {
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
