// Cookie sessions (@fastify/session) kept in the same store as everything else (Redis or
// in-process). Registered only in the scope of the routes that need a session, so the hot
// availability checks never read or create one.
import fastifyCookie from '@fastify/cookie';
import fastifySession, { type SessionStore } from '@fastify/session';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest, Session } from 'fastify';
import fp from 'fastify-plugin';
import type { Clock } from '../lib/clock.ts';
import { describeDevice, truncatedAddress } from '../modules/auth/session-meta.ts';
import {
  sessionKey as key,
  OWN_ID,
  parseStoredSession,
  type SessionLogin,
  type SessionMeta,
  userSessionsKey,
} from '../modules/auth/user-sessions.ts';
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
    /** What the sessions list shows (modules/account): when it logged in, from what, and when it was last seen. */
    createdAt?: number;
    device?: string;
    client?: string;
    lastSeenAt?: number;
  }
}

/** The stored session, or null when there is none, it is corrupt, or it is not this id's. */
function parseSession(raw: string | null, sessionId: string, log: FastifyBaseLogger): Session | null {
  const session = parseStoredSession(raw, sessionId);
  // What @fastify/session stored: a Session's fields, its cookie included.
  if (session !== 'foreign') return session as Session | null;
  log.error('a stored session did not belong to the id it was read for: treated as no session');
  return null;
}

export function createSessionStore(
  store: KvStore,
  options: { ms: number; anonymousMs: number; perUserMax: number; clock: Clock },
  log: FastifyBaseLogger,
): SessionStore {
  const { clock, perUserMax } = options;

  /** The sessions a login pushed past SESSIONS_PER_USER_MAX: ended, then unindexed (best effort). */
  function endOldest(userId: number, sessionIds: string[]): Promise<void> {
    const index = userSessionsKey(userId);
    return Promise.all(
      sessionIds.map(async (id) => {
        await store.take(key(id));
        await store.removeMember(index, id);
      }),
    ).then(
      () => undefined,
      (err: unknown) => log.warn({ err }, "could not end a user's oldest sessions past SESSIONS_PER_USER_MAX"),
    );
  }

  return {
    get(sessionId, callback) {
      store.get(key(sessionId)).then(
        (raw) => callback(null, parseSession(raw, sessionId, log)),
        (error) => callback(error),
      );
    },
    set(sessionId, session, callback) {
      const done = () => callback();
      const value = JSON.stringify({ ...session, [OWN_ID]: sessionId });
      const { userId } = session;
      // An anonymous session only carries a captcha and an SMS code: it lives as long as they
      // can, so a flood of cookieless image requests cannot fill the store for weeks.
      if (userId === undefined) {
        store.set(key(sessionId), value, options.anonymousMs).then(done, callback);
        return;
      }
      // A user's session lives no longer than its lifetime from login (isCurrent refuses it
      // then anyway), however often it is saved: that is also its score in the user's index.
      const now = clock();
      const expiresAt = Math.min(now + (session.cookie.originalMaxAge ?? options.ms), (session.loginAt ?? now) + options.ms);
      const ms = Math.max(expiresAt - now, 1);
      // A session read from the store (it names its id) is being updated (a last-seen time, a
      // captcha): only while it still exists, so one ended meanwhile (another browser's "sign out
      // everywhere else", another instance's DELETE) stays ended instead of being saved again.
      if ((session as { [OWN_ID]?: string })[OWN_ID] === sessionId) {
        store.replace(key(sessionId), value, ms).then(done, callback);
        return;
      }
      // A new one (a login) is indexed first (modules/auth/user-sessions.ts): should the save
      // fail then, the index names a session that does not exist, which is harmless; it never
      // misses one that does, so "end every session of this user" ends them all. The oldest
      // past SESSIONS_PER_USER_MAX end once this one is saved, so a failed login ends none.
      store
        .addMember(userSessionsKey(userId), sessionId, { now, expiresAt, keep: perUserMax })
        .then(async (oldest) => {
          await store.set(key(sessionId), value, ms);
          if (oldest.length > 0) await endOldest(userId, oldest);
        })
        .then(done, callback);
    },
    destroy(sessionId, callback) {
      // Taken rather than deleted, to learn whose it was and keep that user's index in step.
      store
        .take(key(sessionId))
        .then(async (raw) => {
          const userId: unknown = parseSession(raw, sessionId, log)?.userId;
          // The session is gone once taken: an index member left behind names nothing (the list
          // skips it, its score expires it), so its failure does not fail the logout.
          if (typeof userId === 'number') {
            await store
              .removeMember(userSessionsKey(userId), sessionId)
              .catch((err: unknown) => log.warn({ err }, "could not unindex an ended session: it expires from the user's index"));
          }
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
 * currentUser). Without a login's own time (registration), now. It also records what the
 * sessions list shows (`meta`: kept from the session it replaces, when the same browser is given
 * a new id; otherwise this request's).
 */
export async function beginUserSession(
  request: FastifyRequest,
  userId: number,
  login: SessionLogin = {},
  meta: SessionMeta = {},
): Promise<void> {
  const now = request.server.clock();
  await request.session.regenerate();
  const session = request.session;
  session.userId = userId;
  session.loginAt = login.loginAt ?? now;
  if (login.credential !== undefined) session.credential = login.credential;
  session.createdAt = meta.createdAt ?? now;
  session.device = meta.device ?? describeDevice(request.headers['user-agent']);
  session.client = meta.client ?? truncatedAddress(request.ip);
  session.lastSeenAt = now;
  // regenerate() copies the old cookie's options, which may be an anonymous session's short ones.
  session.cookie.maxAge = request.server.config.session.ttlSeconds * 1000;
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
 * sent only to the two login routes, the places that read it: the password login's and the
 * passkey login's (one cookie for each path, the same token). Whichever way a browser logged in,
 * it is then a known device at both, so an attacker keeping the account in its delay slows the
 * owner's browser at neither (login-throttle.ts).
 */
export function setDeviceCookie(request: FastifyRequest, reply: FastifyReply, token: string): void {
  const { config } = request.server;
  for (const path of [`${config.prefix}/user/login`, `${config.prefix}/passkeys/login`]) {
    reply.setCookie(config.login.deviceCookie.name, token, {
      path,
      maxAge: config.login.deviceCookie.ttlSeconds,
      httpOnly: true,
      sameSite: 'strict',
      secure: config.session.secure,
    });
  }
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
      store: createSessionStore(
        app.store,
        { ms: ttlMs, anonymousMs: session.anonymousTtlSeconds * 1000, perUserMax: session.perUserMax, clock: app.clock },
        app.log,
      ),
      // No session (and no cookie) until a route stores something in it.
      saveUninitialized: false,
      // Saved only when changed (which renews its lifetime), not at every request.
      rolling: false,
      cookie: { httpOnly: true, sameSite: 'lax', secure: session.secure, path: '/', maxAge: ttlMs },
    });
  },
  { name: 'session', dependencies: ['store'] },
);
