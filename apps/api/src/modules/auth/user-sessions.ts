// Every session of one user, found through an index: a set per user of their session ids, kept
// in step with the session store (plugins/session.ts adds a logged-in session's id before it
// saves the session, and removes it when the session is destroyed), and living as long as their
// longest session. Ending them all is what deactivation and `pnpm cli sessions end` do (and what
// a password reset will do).
import type { KvStore } from '../../store/kv-store.ts';

export const sessionKey = (sessionId: string) => `sess:${sessionId}`;
export const userSessionsKey = (userId: number) => `sess-user:${userId}`;

export function createUserSessions(store: KvStore) {
  return {
    /**
     * Ends every session of the user: the number that were live. A session saved while this runs
     * (a login racing it) may survive; the API refuses an inactive user's session at its next
     * request anyway (auth.service.ts currentUser).
     */
    async endAll(userId: number): Promise<number> {
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
  };
}
export type UserSessions = ReturnType<typeof createUserSessions>;
