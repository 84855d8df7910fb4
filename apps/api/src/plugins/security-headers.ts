// Security headers on every answer: helmet's, with today's strict values pinned (helmet's
// defaults allow more: they are written for HTML pages, and this API serves JSON and PNG only).
// They are the same for every answer, so they are read off helmet itself once, at start
// (SECURITY_HEADERS), and set in one step per request, by a hook here and, for answers written
// outside Fastify's hooks (the HTTP parser's 400/431, URL errors), by those paths: running
// helmet's middleware on every request recomputed them each time.
import type { FastifyHelmetOptions } from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import helmet from 'helmet';

export const HELMET_OPTIONS = {
  contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
  frameguard: { action: 'deny' },
  referrerPolicy: { policy: 'no-referrer' },
  crossOriginResourcePolicy: { policy: 'same-origin' },
} satisfies FastifyHelmetOptions;

/** Every answer is per-visitor (availability, sessions, captchas): never cached. */
const NO_STORE = { 'cache-control': 'no-store' };

function readHelmetHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: unknown) => {
      headers[name.toLowerCase()] = String(value);
    },
    removeHeader: (name: string) => {
      delete headers[name.toLowerCase()];
    },
  };
  helmet(HELMET_OPTIONS)({} as never, response as never, () => {});
  return headers;
}

/** What helmet sends with HELMET_OPTIONS, plus no-store. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({ ...readHelmetHeaders(), ...NO_STORE });

export default fp(
  async function securityHeaders(app: FastifyInstance) {
    app.addHook('onRequest', (_request, reply, done) => {
      reply.headers(SECURITY_HEADERS);
      done();
    });
  },
  { name: 'security-headers' },
);
