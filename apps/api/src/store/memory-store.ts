// The in-process store: same semantics as the Redis one for a single process (JavaScript runs
// each operation to completion, so every method is atomic). For trying the service without
// servers; state is lost at restart and not shared between processes.
import { type Clock, systemClock } from '../lib/clock.ts';
import type { KvStore } from './kv-store.ts';

interface OneTimeCodeValue {
  digest: string;
  left: number;
}
interface BackoffValue {
  window: number;
  failures: number;
  blockedUntil: number;
}
interface Entry {
  value: string | OneTimeCodeValue | BackoffValue;
  expiresAt: number;
}

const SWEEP_EVERY = 1000;

export function createMemoryStore(clock: Clock = systemClock): KvStore {
  const entries = new Map<string, Entry>();
  let operations = 0;

  function live(key: string): Entry | undefined {
    const entry = entries.get(key);
    if (entry && entry.expiresAt <= clock()) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  }
  function put(key: string, value: Entry['value'], ttlMs: number): void {
    // Expired entries are dropped on read; this sweep keeps never-read ones from piling up.
    if (++operations % SWEEP_EVERY === 0) {
      const now = clock();
      for (const [k, e] of entries) if (e.expiresAt <= now) entries.delete(k);
    }
    entries.set(key, { value, expiresAt: clock() + ttlMs });
  }
  const asString = (entry: Entry | undefined) => (entry && typeof entry.value === 'string' ? entry.value : null);
  /** A counter's value (0 when absent), read as Redis reads INCR's decimal strings. */
  const count = (key: string) => Number(asString(live(key)) ?? 0) || 0;
  function increment(key: string, ttlMs: number): void {
    const entry = live(key);
    if (entry && typeof entry.value === 'string') entry.value = String(count(key) + 1);
    else put(key, '1', ttlMs);
  }
  function decrement(key: string): void {
    const entry = live(key);
    if (entry && typeof entry.value === 'string' && count(key) > 0) entry.value = String(count(key) - 1);
  }
  const backoffOf = (key: string) => {
    const value = live(key)?.value;
    return value && typeof value === 'object' && 'blockedUntil' in value ? value : null;
  };
  const codeOf = (key: string) => {
    const value = live(key)?.value;
    return value && typeof value === 'object' && 'digest' in value ? value : null;
  };

  return {
    kind: 'memory',
    async get(key) {
      return asString(live(key));
    },
    async set(key, value, ttlMs) {
      put(key, value, ttlMs);
    },
    async setIfAbsent(key, value, ttlMs) {
      if (live(key)) return false;
      put(key, value, ttlMs);
      return true;
    },
    async take(key) {
      const value = asString(live(key));
      entries.delete(key);
      return value;
    },
    async delete(...keys) {
      for (const key of keys) entries.delete(key);
    },
    async deleteIfEquals(key, value) {
      if (asString(live(key)) !== value) return false;
      entries.delete(key);
      return true;
    },
    async ttl(key) {
      const entry = live(key);
      return entry ? entry.expiresAt - clock() : null;
    },
    async hit(key, windowMs) {
      const entry = live(key);
      // Counters are decimal strings, as Redis INCR keeps them, so get() reads them the same way.
      if (entry && typeof entry.value === 'string' && /^\d+$/.test(entry.value)) {
        const count = Number(entry.value) + 1;
        entry.value = String(count);
        return { count, resetMs: entry.expiresAt - clock() };
      }
      put(key, '1', windowMs);
      return { count: 1, resetMs: windowMs };
    },
    async putCode(key, digest, attempts, ttlMs) {
      put(key, { digest, left: attempts }, ttlMs);
    },
    async claimAttempt(key) {
      const code = codeOf(key);
      if (!code) return null;
      code.left -= 1;
      if (code.left < 0) {
        entries.delete(key);
        return null;
      }
      return { digest: code.digest, attemptsLeft: code.left };
    },
    async consumeCode(key, digest) {
      if (codeOf(key)?.digest !== digest) return false;
      entries.delete(key);
      return true;
    },
    async spend(budgets, claim) {
      if (claim && live(claim.key)) return { ok: false, refused: -1, claimTtlMs: (live(claim.key)?.expiresAt ?? 0) - clock() };
      const full = budgets.findIndex((b) => count(b.key) >= b.limit);
      if (full !== -1) return { ok: false, refused: full, claimTtlMs: 0 };
      for (const b of budgets) increment(b.key, b.ttlMs);
      if (claim) put(claim.key, claim.value, claim.ttlMs);
      return { ok: true };
    },
    async refund(keys) {
      for (const key of keys) decrement(key);
    },
    async attempt(now, budgets, backoff) {
      const state = backoffOf(backoff.key);
      const blocked = state?.blockedUntil ?? 0;
      if (now < blocked) return { ok: false, refused: 'backoff', retryMs: blocked - now };
      const full = budgets.findIndex((b) => count(b.key) >= b.limit);
      if (full !== -1) return { ok: false, refused: full, retryMs: 0 };
      for (const b of budgets) increment(b.key, b.ttlMs);
      const failures = (state?.window === backoff.window ? state.failures : 0) + 1;
      const delay = Math.min(backoff.maxMs, backoff.baseMs * 2 ** (failures - backoff.free - 1));
      const blockedUntil = failures > backoff.free ? Math.max(blocked, now + delay) : blocked;
      put(backoff.key, { window: backoff.window, failures, blockedUntil }, backoff.ttlMs);
      return { ok: true, ticket: { window: backoff.window, previousBlockedUntil: blocked, blockedUntil } };
    },
    async forgive(backoffKey, ticket, refundKeys, clearKeys) {
      const state = backoffOf(backoffKey);
      if (state?.window === ticket.window && state.failures > 0) state.failures -= 1;
      if (state?.blockedUntil === ticket.blockedUntil) state.blockedUntil = ticket.previousBlockedUntil;
      for (const key of refundKeys) decrement(key);
      for (const key of clearKeys) entries.delete(key);
    },
    async ping() {},
    async close() {
      entries.clear();
    },
  };
}
