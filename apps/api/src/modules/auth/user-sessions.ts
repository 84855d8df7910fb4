// Every session of one user, ended in two ways that do not depend on each other:
// - a per-user epoch, "sessions valid after" (a timestamp in the store, living as long as a
//   session may), which every logged-in request checks against the time its session logged in
//   (auth.service.ts currentUser): a session from before it is refused wherever it is, whether the
//   index below knows it or not (a session from before the index, an index key evicted by
//   Redis, a login racing the command). A password change is also caught by the session's
//   credential fingerprint (auth.service.ts), which needs no store at all;
// - an index, a set per user of their session ids, kept in step with the session store
//   (plugins/session.ts adds a logged-in session's id before it saves the session, and removes it
//   when the session is destroyed): the fast cleanup, deleting the sessions it knows at once.
// Ending them all is what deactivation, `pnpm cli sessions end` and `changepassword` do (and what
// a password reset will do).
import type { Clock } from '../../lib/clock.ts';
import type { KvStore } from '../../store/kv-store.ts';

export const sessionKey = (sessionId: string) => `sess:${sessionId}`;
export const userSessionsKey = (userId: number) => `sess-user:${userId}`;
export const sessionsValidAfterKey = (userId: number) => `sess-valid-after:${userId}`;

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
     * epoch, which refuses every session that logged in until now at its next request, then the
     * index's sessions are deleted. The epoch lives as long as a session may (sessions never
     * outlive their lifetime from login: see isCurrent), so it has done its work when it expires.
     */
    async endAll(userId: number): Promise<number> {
      await store.set(sessionsValidAfterKey(userId), String(clock()), ttlMs);
      const index = userSessionsKey(userId);
      const ids = await store.members(index);
      // One key at a time: on a Redis Cluster every session lives in a slot of its own.
      const ended = await Promise.all(
        ids.map(async (id) => {
          const live = (await store.take(sessionKey(id))) !== null;
          await store.removeMember(index, id);
          return live;
        }),
      );
      return ended.filter(Boolean).length;
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
      if (raw === null) return true;
      // A session from before login times were recorded predates any epoch, too.
      return login.loginAt !== undefined && login.loginAt >= Number(raw);
    },
  };
}
export type UserSessions = ReturnType<typeof createUserSessions>;
