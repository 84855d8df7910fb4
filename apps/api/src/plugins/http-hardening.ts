// Request parsing and the cross-site request check every route shares.
import { Code, text } from '@register/contracts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../errors.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export default fp(
  async function httpHardening(app: FastifyInstance) {
    // The seed posts forms: accept urlencoded bodies beside JSON. Repeated keys keep the last
    // value; anything else (text, multipart, xml) is a 415.
    app.removeContentTypeParser('text/plain');
    // A DELETE names what it ends in its path and has no body: one sent with a JSON content type
    // and nothing in it (some HTTP clients always send the header) is no body, not a malformed
    // one. Everything else is Fastify's own JSON parser, with its poisoning checks.
    const json = app.getDefaultJsonParser('error', 'error');
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
      if (request.method === 'DELETE' && body === '') return done(null, undefined);
      json(request, body as string, done);
    });
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });

    // State-changing requests from browsers are accepted only from the configured origins. The
    // list is the whole truth: the request's own Host is never trusted (an attacker's page on a
    // rebound DNS name sends a Host and an Origin that agree). A request without Origin is a
    // non-browser client (curl, the seed's form posts from scripts) only if it also carries no
    // Sec-Fetch-Site, which every current browser sends. Cookies are SameSite=Lax as well.
    const allowed = new Set(app.config.allowedOrigins);
    const refusal = (request: FastifyRequest): AppError | undefined => {
      // HTTP/1.1 requires Host (RFC 9112, 3.2): refused here, as Node would, but with the envelope.
      if (request.raw.httpVersion === '1.1' && !request.headers.host) {
        return new AppError(Code.PARAMERR, { message: text.request.missingHost });
      }
      if (SAFE_METHODS.has(request.method)) return undefined;
      const origin = request.headers.origin;
      if (origin === undefined ? request.headers['sec-fetch-site'] === undefined : allowed.has(origin)) return undefined;
      return new AppError(Code.FORBIDDEN);
    };
    // A callback hook: it runs on every request, and an async one costs a promise each.
    app.addHook('onRequest', (request, _reply, done) => done(refusal(request)));
  },
  { name: 'http-hardening', dependencies: ['config'] },
);
