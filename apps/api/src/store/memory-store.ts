// The in-process store: same semantics as the Redis one for a single process (JavaScript runs
// each operation to completion, so every method is atomic). For trying the service without
// servers; state is lost at restart and not shared between processes.
import { type Clock, systemClock } from '../lib/clock.ts';
import { type KvStore, TOMBSTONE_TTL_MS, tombstoneKey } from './kv-store.ts';

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
  /** A Map is an index: each member with its expiry (epoch ms, by the caller's clock). */
  value: string | OneTimeCodeValue | BackoffValue | Map<string, number>;
  expiresAt: number;
}

const SWEEP_EVERY = 1000;

const literal = (ch: string) => ch.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
/** A glob pattern (`*`, `?`, a backslash before a literal character) as a regular expression over whole keys. */
function globRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] as string;
    if (ch === '\\' && i + 1 < pattern.length) source += literal(pattern[++i] as string);
    else if (ch === '*') source += '[\\s\\S]*';
    else if (ch === '?') source += '[\\s\\S]';
    else source += literal(ch);
  }
  return new RegExp(`^${source}$`);
}

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
  /** A counter's value (0 when absent), kept as Redis keeps INCR's: a decimal string. */
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
  const codeOf = (key: string) => {
    const value = live(key)?.value;
    return value && typeof value === 'object' && 'digest' in value ? value : null;
  };
  const backoffOf = (key: string) => {
    const value = live(key)?.value;
    return value && typeof value === 'object' && 'blockedUntil' in value ? value : null;
  };
  /** The index at `key` without its members expired at `now`. */
  const indexOf = (key: string, now: number) => {
    const value = live(key)?.value;
    if (!(value instanceof Map)) return null;
    for (const [member, expiresAt] of value) if (expiresAt <= now) value.delete(member);
    if (value.size === 0) {
      entries.delete(key);
      return null;
    }
    return value;
  };
  const byExpiry = (index: Map<string, number>) =>
    [...index].sort(([a, x], [b, y]) => x - y || (a < b ? -1 : a > b ? 1 : 0)).map(([member]) => member);
  /** A claim's value is "token:expiresAt", as in Redis: its expiry follows the caller's clock. */
  const claimExpiry = (key: string) => Number(/:(\d+)$/.exec(asString(live(key)) ?? '')?.[1] ?? 0);

  return {
    kind: 'memory',
    async get(key) {
      return asString(live(key));
    },
    async set(key, value, ttlMs) {
      put(key, value, ttlMs);
    },
    async take(key) {
      const value = asString(live(key));
      entries.delete(key);
      return value;
    },
    async setIfAbsent(key, value, ttlMs) {
      if (live(key)) return false;
      put(key, value, ttlMs);
      return true;
    },
    async delete(...keys) {
      for (const key of keys) entries.delete(key);
    },
    async ttl(key) {
      const entry = live(key);
      return entry ? entry.expiresAt - clock() : null;
    },
    async hit(key, windowMs) {
      increment(key, windowMs);
      return { current: count(key), ttlMs: (live(key)?.expiresAt ?? clock()) - clock() };
    },
    async tryCode(key, digest) {
      const code = codeOf(key);
      if (!code) return { right: false, attemptsLeft: null };
      if (code.digest === digest) return { right: true };
      code.left -= 1;
      if (code.left <= 0) entries.delete(key);
      return { right: false, attemptsLeft: Math.max(code.left, 0) };
    },
    async consumeCode(key, digest) {
      if (codeOf(key)?.digest !== digest) return false;
      entries.delete(key);
      return true;
    },
    async spend(now, budgets, claim, code) {
      if (claim && live(tombstoneKey(claim))) return { ok: false, refused: -2, claimTtlMs: 0 };
      if (claim && claimExpiry(claim.key) > now) return { ok: false, refused: -1, claimTtlMs: claimExpiry(claim.key) - now };
      const full = budgets.findIndex((b) => count(b.key) >= b.limit);
      if (full !== -1) return { ok: false, refused: full, claimTtlMs: 0 };
      for (const b of budgets) increment(b.key, b.ttlMs);
      if (claim) put(claim.key, `${claim.token}:${now + claim.ttlMs}`, claim.ttlMs);
      if (code) put(code.key, { digest: code.digest, left: code.attempts }, code.ttlMs);
      return { ok: true };
    },
    async unspend(budgetKeys, claim, code) {
      if (!asString(live(claim.key))?.startsWith(`${claim.token}:`)) {
        put(tombstoneKey(claim), '1', TOMBSTONE_TTL_MS);
        return;
      }
      for (const key of budgetKeys) decrement(key);
      entries.delete(claim.key);
      if (code && codeOf(code.key)?.digest === code.digest) entries.delete(code.key);
    },
    async attempt(now, budgets, backoffs) {
      for (const [index, b] of backoffs.entries()) {
        const blocked = backoffOf(b.key)?.blockedUntil ?? 0;
        if (now < blocked) return { ok: false, refused: { backoff: index }, retryMs: blocked - now };
      }
      const full = budgets.findIndex((b) => count(b.key) >= b.limit);
      if (full !== -1) return { ok: false, refused: { budget: full }, retryMs: 0 };
      for (const b of budgets) increment(b.key, b.ttlMs);
      const tickets = backoffs.map((b) => {
        const state = backoffOf(b.key);
        const blocked = state?.blockedUntil ?? 0;
        const failures = (state?.window === b.window ? state.failures : 0) + 1;
        const delay = Math.min(b.maxMs, b.baseMs * 2 ** (failures - b.free - 1));
        const blockedUntil = failures > b.free ? Math.max(blocked, now + delay) : blocked;
        put(b.key, { window: b.window, failures, blockedUntil }, b.ttlMs);
        return { key: b.key, window: b.window, previousBlockedUntil: blocked, blockedUntil };
      });
      return { ok: true, tickets };
    },
    async forgive(tickets, refundKeys, clearKeys) {
      for (const ticket of tickets) {
        const state = backoffOf(ticket.key);
        if (state?.window === ticket.window && state.failures > 0) state.failures -= 1;
        if (state?.blockedUntil === ticket.blockedUntil) state.blockedUntil = ticket.previousBlockedUntil;
      }
      for (const key of refundKeys) decrement(key);
      for (const key of clearKeys) entries.delete(key);
    },
    async replace(key, value, ttlMs) {
      if (asString(live(key)) === null) return false;
      put(key, value, ttlMs);
      return true;
    },
    async addMember(key, member, { now, expiresAt, keep }) {
      const index = indexOf(key, now);
      if (expiresAt <= now) return [];
      if (!index) {
        put(key, new Map([[member, expiresAt]]), expiresAt - now);
        return [];
      }
      index.set(member, expiresAt);
      const entry = entries.get(key) as Entry;
      entry.expiresAt = Math.max(entry.expiresAt, clock() + (expiresAt - now));
      if (!keep || index.size <= keep) return [];
      return byExpiry(index)
        .filter((m) => m !== member)
        .slice(0, index.size - keep);
    },
    async removeMember(key, member) {
      const value = live(key)?.value;
      if (!(value instanceof Map)) return;
      value.delete(member);
      if (value.size === 0) entries.delete(key);
    },
    async members(key, now) {
      const index = indexOf(key, now);
      return index ? byExpiry(index) : [];
    },
    async keys(pattern) {
      const match = globRegExp(pattern);
      return [...entries.keys()].filter((key) => match.test(key) && live(key));
    },
    async ping() {},
    async close() {
      entries.clear();
    },
  };
}
