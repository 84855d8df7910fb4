// The challenges of passkey ceremonies, in the store: one per (session, ceremony), keyed by an
// HMAC of the session id (a key listing names no session), living PASSKEY_CHALLENGE_TTL_SECONDS
// by the injected clock (the store's TTL only lets Redis forget it), and taken (GETDEL) by the
// verify step before anything is checked: of two requests with the same response, one at most
// finds it, so a replayed or reused response always fails, on every instance.
import type { Clock } from '../../lib/clock.ts';
import type { Digest } from '../../lib/digest.ts';
import type { KvStore } from '../../store/kv-store.ts';

export type Ceremony = 'register' | 'login';

/** What a ceremony's verify step needs of its options step. */
export interface PendingCeremony {
  challenge: string;
  /** register: the user it was asked for (a verify for anyone else finds nothing). */
  userId?: number;
}

/** The store key of a session's ceremony (the prefix is for operators and tests). */
export const CHALLENGE_KEY_PREFIX = 'passkey-challenge:';

export function createChallenges(deps: { store: KvStore; digest: Digest; clock: Clock; ttlSeconds: number }) {
  const { store, digest, clock, ttlSeconds } = deps;
  const keyOf = (ceremony: Ceremony, sessionId: string) =>
    `${CHALLENGE_KEY_PREFIX}${ceremony}:${digest('passkey-challenge', ceremony, sessionId)}`;

  return {
    /** Stores the ceremony's challenge for this session, replacing the one it asked for before. */
    async put(ceremony: Ceremony, sessionId: string, pending: PendingCeremony): Promise<void> {
      const value = JSON.stringify({ ...pending, expiresAt: clock() + ttlSeconds * 1000 });
      await store.set(keyOf(ceremony, sessionId), value, ttlSeconds * 1000);
    },

    /**
     * The session's challenge for the ceremony, deleted in the same step; null when there is
     * none: never asked, used already, expired, or asked from another session. A store failure
     * throws (a 503), never "none".
     */
    async take(ceremony: Ceremony, sessionId: string): Promise<PendingCeremony | null> {
      const raw = await store.take(keyOf(ceremony, sessionId));
      if (raw === null) return null;
      try {
        const parsed = JSON.parse(raw) as { challenge?: unknown; userId?: unknown; expiresAt?: unknown };
        if (typeof parsed.challenge !== 'string' || typeof parsed.expiresAt !== 'number') return null;
        if (parsed.expiresAt <= clock()) return null;
        return {
          challenge: parsed.challenge,
          ...(typeof parsed.userId === 'number' ? { userId: parsed.userId } : {}),
        };
      } catch {
        return null;
      }
    },
  };
}
export type Challenges = ReturnType<typeof createChallenges>;
