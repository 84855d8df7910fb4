// Every session of one user, ended in two ways that do not depend on each other:
// - a per-user epoch, "sessions valid after" (a timestamp in the store, living as long as a
//   session may), which every logged-in request checks against the time its session logged in
//   (auth.service.ts currentUser): a session from before it is refused wherever it is, whether the
//   index below knows it or not (a session from before the index, an index key evicted by
//   Redis, a login racing the command). A password change is also caught by the session's
//   credential fingerprint (auth.service.ts), which needs no store at all;
// - an index per user of their session ids (a sorted set scored by each session's expiry, so
//   expired ones are dropped on read), kept in step with the session store (plugins/session.ts
//   adds a logged-in session's id before it saves the session, and removes it when the session
//   is destroyed): the fast cleanup, deleting the sessions it knows at once, and the sessions list
//   of the account page (modules/account), on every instance and across restarts.
// Ending them all is what deactivation, `pnpm cli sessions end`, `changepassword`, a password
// reset, a password change and "sign out everywhere else" do (the last two then give the current
// browser a new session that logged in after the epoch).
import type { Clock } from '../../lib/clock.ts';
import type { KvStore } from '../../store/kv-store.ts';

export const sessionKey = (sessionId: string) => `sess:${sessionId}`;
export const userSessionsKey = (userId: number) => `sess-user:${userId}`;
export const sessionsValidAfterKey = (userId: number) => `sess-valid-after:${userId}`;

/**
 * A stored session names the id it was stored under. One read under another id (a reply paired
 * with the wrong command, a value copied between keys) is never used: defence in depth, should
 * anything ever hand back another key's value.
 */
export const OWN_ID = '_sid';

/** What the account page shows of a session, recorded at login (plugins/session.ts beginUserSession). */
export interface SessionMeta {
  createdAt?: number | undefined;
  /** A short description from the User-Agent (lib/user-agent.ts). */
  device?: string | undefined;
  /** The client address, truncated (lib/user-agent.ts truncatedAddress). */
  client?: string | undefined;
}

/** A stored session as this module reads it. */
export interface StoredSession extends SessionLogin, SessionMeta {
  userId?: number;
  lastSeenAt?: number;
}

/**
 * The stored session, or null when there is none or it is corrupt; 'foreign' when it names
 * another id than the one it was read for.
 */
export function parseStoredSession(raw: string | null, sessionId: string): StoredSession | 'foreign' | null {
  if (!raw) return null;
  try {
    const session = JSON.parse(raw);
    if (session?.[OWN_ID] === sessionId) return session as StoredSession;
    if (session && typeof session === 'object') return 'foreign';
  } catch {}
  return null;
}

/** What a logged-in session records of its login (plugins/session.ts beginUserSession). */
export interface SessionLogin {
  /** When the login began (before the account was read), by the clock of the API that logged it in. */
  loginAt?: number | undefined;
  /** The account's credential fingerprint at login (auth.service.ts), when the login checked one. */
  credential?: string | undefined;
}

export function createUserSessions(store: KvStore, options: { clock: Clock; ttlMs: number }) {
  const { clock, ttlMs } = options;
  return {
    /**
     * Ends every session of the user: the number that the index knew and were live. First the
     * index is read (should that fail, nothing is written: the caller's retry starts afresh),
     * then the epoch, which refuses every session that logged in until now at its next request,
     * then the index's sessions are deleted. The epoch lives as long as a session may (sessions
     * never outlive their lifetime from login: see isCurrent), so it has done its work when it
     * expires.
     */
    async endAll(
      userId: number,
      options: { except?: string; onCleanupFailure?: (error: unknown) => void } = {},
    ): Promise<number> {
      const ids = await store.members(userSessionsKey(userId), clock());
      // Should the epoch fail to be written, the sessions the index knows are still ended, and
      // then the failure is reported: never fewer sessions ended than could be.
      const epoch = await store.set(sessionsValidAfterKey(userId), String(clock()), ttlMs).then(
        () => null,
        (error: unknown) => ({ error }),
      );
      // `except`: the request's own session, which its caller is about to replace with a new one
      // (and which the epoch refuses meanwhile): it is neither deleted here nor counted.
      const ended = await Promise.allSettled(ids.filter((id) => id !== options.except).map((id) => end(userId, id)));
      if (epoch) throw epoch.error;
      const failed = ended.find((result) => result.status === 'rejected');
      // The epoch is in, so every one of them is over wherever it is (the deletes are the fast
      // cleanup): one whose delete failed is refused at its next request, and counts as ended.
      // Throwing now would tell the caller nothing happened, when all of it did.
      if (failed) options.onCleanupFailure?.(failed.reason);
      return ended.filter((result) => result.status === 'rejected' || result.value).length;
    },

    /** Ends one session of the user: true when it was live. */
    end,

    /**
     * The user's indexed sessions that still stand by time and epoch (not by credential: the
     * caller holds the password hash), each with its id and what it stored. An indexed id with
     * no stored session is skipped, not unindexed: it may be a login between its indexing and its
     * save, and a failed save's id goes with its score (its expiry) anyway.
     */
    async list(userId: number): Promise<{ id: string; session: StoredSession }[]> {
      const now = clock();
      const index = userSessionsKey(userId);
      const [ids, epoch] = await Promise.all([store.members(index, now), store.get(sessionsValidAfterKey(userId))]);
      // One key at a time: on a Redis Cluster every session lives in a slot of its own.
      const found = await Promise.all(
        ids.map(async (id) => ({ id, session: parseStoredSession(await store.get(sessionKey(id)), id) })),
      );
      const listed: { id: string; session: StoredSession }[] = [];
      for (const { id, session } of found) {
        if (session === null || session === 'foreign' || session.userId !== userId) continue;
        if (standsAt(session, epoch === null ? null : Number(epoch), now)) listed.push({ id, session });
      }
      return listed;
    },

    /**
     * Whether a logged-in session still stands: logged in no longer than the session lifetime
     * ago (however often it was saved since), and not before the user's epoch. One store read; a
     * store failure throws (a 503), never "logged in". A session that logged in the very
     * millisecond of the epoch stands: a login just after `sessions end` must work.
     */
    async isCurrent(userId: number, login: SessionLogin): Promise<boolean> {
      if (login.loginAt !== undefined && clock() - login.loginAt >= ttlMs) return false;
      const raw = await store.get(sessionsValidAfterKey(userId));
      return standsAt(login, raw === null ? null : Number(raw), clock());
    },
  };

  async function end(userId: number, sessionId: string): Promise<boolean> {
    // Taken, then unindexed: the index never misses a session that still exists.
    const live = (await store.take(sessionKey(sessionId))) !== null;
    // Once taken the session is over. An index member left behind names no session, which is
    // harmless (list skips it, its score expires it): a failure here must not turn an ended
    // session into an answer that says it was not.
    await store.removeMember(userSessionsKey(userId), sessionId).catch(() => {});
    return live;
  }

  function standsAt(login: SessionLogin, epoch: number | null, now: number): boolean {
    if (login.loginAt !== undefined && now - login.loginAt >= ttlMs) return false;
    if (epoch === null) return true;
    // A session from before login times were recorded predates any epoch, too.
    return login.loginAt !== undefined && login.loginAt >= epoch;
  }
}
export type UserSessions = ReturnType<typeof createUserSessions>;
