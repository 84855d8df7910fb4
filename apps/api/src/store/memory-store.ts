// The in-process store: same semantics as the Redis one for a single process (JavaScript runs
// each operation to completion, so every method is atomic). For trying the service without
// servers; state is lost at restart and not shared between processes.
import { type Clock, systemClock } from '../lib/clock.ts';
import type { KvStore } from './kv-store.ts';

interface Entry {
  value: string | { digest: string; left: number };
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
      const entry = live(key);
      if (!entry || typeof entry.value !== 'object') return null;
      entry.value.left -= 1;
      if (entry.value.left < 0) {
        entries.delete(key);
        return null;
      }
      return { digest: entry.value.digest, attemptsLeft: entry.value.left };
    },
    async consumeCode(key, digest) {
      const entry = live(key);
      if (!entry || typeof entry.value !== 'object' || entry.value.digest !== digest) return false;
      entries.delete(key);
      return true;
    },
    async ping() {},
    async close() {
      entries.clear();
    },
  };
}
