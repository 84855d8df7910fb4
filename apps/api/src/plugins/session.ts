// Cookie sessions (@fastify/session) kept in the same store as everything else (Redis or
// in-process). Registered only in the scope of the routes that need a session, so the hot
// availability checks never read or create one.
import fastifyCookie from '@fastify/cookie';
import fastifySession, { type SessionStore } from '@fastify/session';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { sessionKey as key, type SessionLogin, userSessionsKey } from '../modules/auth/user-sessions.ts';
import type { KvStore } from '../store/kv-store.ts';

declare module 'fastify' {
  interface Session {
    userId?: number;
    /** Set when a captcha is issued, so the session (and its cookie) is saved. */
    captchaAt?: number;
    /** Set when an SMS code is sent: the code can be used only from this session. */
    smsAt?: number;
    /** When a user's session logged in, and their credential's fingerprint then (modules/auth/user-sessions.ts). */
    loginAt?: number;
    credential?: string;
  }
}

/**
 * A stored session names the id it was stored under. One read under another id (a reply paired
 * with the wrong command, a value copied between keys) is never used: defence in depth, should
 * anything ever hand back another key's value.
 */
const OWN_ID = '_sid';

/** The stored session, or null when there is none, it is corrupt, or it is not this id's. */
function parseSession(raw: string | null, sessionId: string, log: FastifyBaseLogger) {
  if (!raw) return null;
  try {
    const session = JSON.parse(raw);
    if (session?.[OWN_ID] === sessionId) return session;
    log.error('a stored session did not belong to the id it was read for: treated as no session');
  } catch {}
  return null;
}

export function createSessionStore(
  store: KvStore,
  ttl: { ms: number; anonymousMs: number },
  log: FastifyBaseLogger,
): SessionStore {
  return {
    get(sessionId, callback) {
      store.get(key(sessionId)).then(
        (raw) => callback(null, parseSession(raw, sessionId, log)),
        (error) => callback(error),
      );
    },
    set(sessionId, session, callback) {
      // An anonymous session only carries a captcha and an SMS code: it lives as long as they
      // can, so a flood of cookieless image requests cannot fill the store for weeks.
      const { userId } = session;
      const ms = userId === undefined ? ttl.anonymousMs : (session.cookie.originalMaxAge ?? ttl.ms);
      // A user's session is indexed first (modules/auth/user-sessions.ts): should the save fail
      // then, the index names a session that does not exist, which is harmless; it never misses
      // one that does, so "end every session of this user" ends them all.
      const indexed = userId === undefined ? Promise.resolve() : store.addMember(userSessionsKey(userId), sessionId, ms);
      indexed
        .then(() => store.set(key(sessionId), JSON.stringify({ ...session, [OWN_ID]: sessionId }), ms))
        .then(
          () => callback(),
          (error) => callback(error),
        );
    },
    destroy(sessionId, callback) {
      // Taken rather than deleted, to learn whose it was and keep that user's index in step.
      store
        .take(key(sessionId))
        .then(async (raw) => {
          const userId: unknown = parseSession(raw, sessionId, log)?.userId;
          if (typeof userId === 'number') await store.removeMember(userSessionsKey(userId), sessionId);
        })
        .then(
          () => callback(),
          (error) => callback(error),
        );
    },
  };
}

/**
 * Logs a user in: a new session id (defeats session fixation) and the full lifetime for its
 * cookie, saved before the handler answers (see saveSession). The session records when the login
 * began and the credential it checked, so that ending the user's sessions or changing their
 * password refuses it even where the index of their sessions misses it (auth.service.ts
 * currentUser). Without a login's own time (registration), now.
 */
export async function beginUserSession(request: FastifyRequest, userId: number, login: SessionLogin = {}): Promise<void> {
  await request.session.regenerate();
  request.session.userId = userId;
  request.session.loginAt = login.loginAt ?? request.server.clock();
  if (login.credential !== undefined) request.session.credential = login.credential;
  // regenerate() copies the old cookie's options, which may be an anonymous session's short ones.
  request.session.cookie.maxAge = request.server.config.session.ttlSeconds * 1000;
  await saveSession(request);
}

/**
 * Saves the session inside the handler, where its failure can be answered truly and the deadline
 * still holds, instead of in @fastify/session's onSend hook (which then finds it unchanged and
 * only sets the cookie): a save failing after an irrevocable step must not turn it into a 503.
 */
export async function saveSession(request: FastifyRequest): Promise<void> {
  await request.session.save();
  // The request now stands for the saved session. onSend then only sets its cookie; with the
  // old id still in the jar it would also "clear" the old cookie under a key that the new one
  // does not replace, sending two Set-Cookie headers of the same name.
  request.cookies[request.server.config.session.cookieName] = request.session.encryptedSessionId;
}

/** Drops the request's session after a failed save: onSend then neither retries it nor sets a cookie. */
export function forgetSession(request: FastifyRequest): void {
  (request as { session: unknown }).session = null;
}

/**
 * The device cookie (modules/auth/device-tokens.ts): long-lived, HttpOnly, SameSite=Strict, and
 * sent only to the login route, the one place that reads it.
 */
export function setDeviceCookie(request: FastifyRequest, reply: FastifyReply, token: string): void {
  const { config } = request.server;
  reply.setCookie(config.login.deviceCookie.name, token, {
    path: `${config.prefix}/user/login`,
    maxAge: config.login.deviceCookie.ttlSeconds,
    httpOnly: true,
    sameSite: 'strict',
    secure: config.session.secure,
  });
}
/**
 * Every value of the device cookie the request carries: a cookie of the same name planted by a
 * sibling domain must not hide the real one (a parsed cookie jar keeps only the first).
 */
export function deviceCookiesOf(request: FastifyRequest): string[] {
  const name = request.server.config.login.deviceCookie.name;
  const header = request.headers.cookie ?? '';
  return header
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part.startsWith(`${name}=`))
    .map((part) => {
      try {
        return decodeURIComponent(part.slice(name.length + 1));
      } catch {
        return '';
      }
    });
}

/**
 * Keeps a captcha's answer in the session. An anonymous session holds nothing but it and the SMS
 * code bound to it, so its cookie expires with them, as its stored copy does; a logged-in
 * session keeps its own lifetime.
 */
export function markCaptchaIssued(request: FastifyRequest, at: number): void {
  request.session.captchaAt = at;
  keepAnonymousSession(request);
}

/** An SMS code is bound to the session that asked for it: the session lives on with the code. */
export function markSmsSent(request: FastifyRequest, at: number): void {
  request.session.smsAt = at;
  keepAnonymousSession(request);
}

function keepAnonymousSession(request: FastifyRequest): void {
  if (request.session.userId === undefined) {
    request.session.cookie.maxAge = request.server.config.session.anonymousTtlSeconds * 1000;
  }
}

export default fp(
  async function sessionPlugin(app: FastifyInstance) {
    const { session } = app.config;
    const ttlMs = session.ttlSeconds * 1000;
    await app.register(fastifyCookie);
    await app.register(fastifySession, {
      secret: session.secret,
      cookieName: session.cookieName,
      store: createSessionStore(app.store, { ms: ttlMs, anonymousMs: session.anonymousTtlSeconds * 1000 }, app.log),
      // No session (and no cookie) until a route stores something in it.
      saveUninitialized: false,
      // Saved only when changed (which renews its lifetime), not at every request.
      rolling: false,
      cookie: { httpOnly: true, sameSite: 'lax', secure: session.secure, path: '/', maxAge: ttlMs },
    });
  },
  { name: 'session', dependencies: ['store'] },
);
