// Cookie sessions (@fastify/session) kept in the same store as everything else (Redis or
// in-process). Registered only in the scope of the routes that need a session, so the hot
// availability checks never read or create one.
import fastifyCookie from '@fastify/cookie';
import fastifySession, { type SessionStore } from '@fastify/session';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { KvStore } from '../store/kv-store.ts';

declare module 'fastify' {
  interface Session {
    userId?: number;
    /** Set when a captcha is issued, so the session (and its cookie) is saved. */
    captchaAt?: number;
  }
}

const key = (sessionId: string) => `sess:${sessionId}`;

export function createSessionStore(store: KvStore, ttlMs: number): SessionStore {
  return {
    get(sessionId, callback) {
      store.get(key(sessionId)).then(
        (raw) => callback(null, raw ? JSON.parse(raw) : null),
        (error) => callback(error),
      );
    },
    set(sessionId, session, callback) {
      const ms = session.cookie.originalMaxAge ?? ttlMs;
      store.set(key(sessionId), JSON.stringify(session), ms).then(
        () => callback(),
        (error) => callback(error),
      );
    },
    destroy(sessionId, callback) {
      store.delete(key(sessionId)).then(
        () => callback(),
        (error) => callback(error),
      );
    },
  };
}

export default fp(
  async function sessionPlugin(app: FastifyInstance) {
    const { session } = app.config;
    const ttlMs = session.ttlSeconds * 1000;
    await app.register(fastifyCookie);
    await app.register(fastifySession, {
      secret: session.secret,
      cookieName: session.cookieName,
      store: createSessionStore(app.store, ttlMs),
      // No session (and no cookie) until a route stores something in it.
      saveUninitialized: false,
      // Not re-saved on every request: a fixed lifetime from login.
      rolling: false,
      cookie: { httpOnly: true, sameSite: 'lax', secure: session.secure, path: '/', maxAge: ttlMs },
    });
  },
  { name: 'session', dependencies: ['store'] },
);
