import { Code } from '@register/contracts';
import type { Redis } from 'ioredis';
import { AppError } from '../errors.ts';
import type { AttemptResult, KvStore, OneTimeCode } from './kv-store.ts';

// Lua scripts run atomically in Redis: nothing can interleave between their reads and writes.
const HIT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) ttl = tonumber(ARGV[1]) end
return {count, ttl}`;

const PUT_CODE = `
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'd', ARGV[1], 'n', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`;

const CLAIM_ATTEMPT = `
local digest = redis.call('HGET', KEYS[1], 'd')
if not digest then return false end
local left = redis.call('HINCRBY', KEYS[1], 'n', -1)
if left < 0 then redis.call('DEL', KEYS[1]) return false end
return {digest, left}`;

const DELETE_IF_EQUALS = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

const CONSUME_CODE = `
if redis.call('HGET', KEYS[1], 'd') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

// Budget counters are KEYS[1..n]; their (limit, ttl) pairs start after ARGV[at]. full() names
// the first one with no room (or nil), count() spends one unit of each.
const BUDGETS = `
local function full(n, at)
  for i = 1, n do
    if tonumber(redis.call('GET', KEYS[i]) or '0') >= tonumber(ARGV[at + 2 * i - 1]) then return i end
  end
  return nil
end
local function count(n, at)
  for i = 1, n do
    redis.call('INCR', KEYS[i])
    if redis.call('PTTL', KEYS[i]) < 0 then redis.call('PEXPIRE', KEYS[i], ARGV[at + 2 * i]) end
  end
end`;

// KEYS: budget counters..., [claim]. ARGV: budget count, has claim, (limit, ttl) per budget, claim value, claim ttl.
const SPEND = `${BUDGETS}
local n = tonumber(ARGV[1])
local claim = ARGV[2] == '1'
if claim and redis.call('EXISTS', KEYS[n + 1]) == 1 then return {0, -1, redis.call('PTTL', KEYS[n + 1])} end
local refused = full(n, 2)
if refused then return {0, refused - 1, 0} end
count(n, 2)
if claim then redis.call('SET', KEYS[n + 1], ARGV[3 + 2 * n], 'PX', ARGV[4 + 2 * n]) end
return {1, 0, 0}`;

const REFUND = `
for i = 1, #KEYS do
  if tonumber(redis.call('GET', KEYS[i]) or '0') > 0 then redis.call('DECR', KEYS[i]) end
end
return 1`;

// KEYS: budget counters..., backoff hash. ARGV: now, budget count, (limit, ttl) per budget,
// then the backoff's window, free, baseMs, maxMs, ttl.
const ATTEMPT = `${BUDGETS}
local now = tonumber(ARGV[1])
local n = tonumber(ARGV[2])
local backoff = KEYS[n + 1]
local blocked = tonumber(redis.call('HGET', backoff, 'until') or '0')
if now < blocked then return {0, -1, blocked - now} end
local refused = full(n, 2)
if refused then return {0, refused - 1, 0} end
count(n, 2)
local b = 2 + 2 * n
local window, free, base, max = ARGV[b + 1], tonumber(ARGV[b + 2]), tonumber(ARGV[b + 3]), tonumber(ARGV[b + 4])
local failures = 1
if redis.call('HGET', backoff, 'w') == window then failures = tonumber(redis.call('HGET', backoff, 'n') or '0') + 1 end
local untilNext = blocked
if failures > free then untilNext = math.max(blocked, now + math.min(max, base * 2 ^ (failures - free - 1))) end
redis.call('HSET', backoff, 'w', window, 'n', failures, 'until', untilNext)
redis.call('PEXPIRE', backoff, ARGV[b + 5])
return {1, blocked, untilNext}`;

// KEYS: backoff hash, refund counters..., keys to delete. ARGV: window, blocked until (set by
// the attempt), the block before it, refund count.
const FORGIVE = `
local backoff = KEYS[1]
if redis.call('HGET', backoff, 'w') == ARGV[1] then
  local failures = tonumber(redis.call('HGET', backoff, 'n') or '0')
  if failures > 0 then redis.call('HSET', backoff, 'n', failures - 1) end
end
if tonumber(redis.call('HGET', backoff, 'until') or '-1') == tonumber(ARGV[2]) then redis.call('HSET', backoff, 'until', ARGV[3]) end
local refunds = tonumber(ARGV[4])
for i = 2, #KEYS do
  if i <= refunds + 1 then
    if tonumber(redis.call('GET', KEYS[i]) or '0') > 0 then redis.call('DECR', KEYS[i]) end
  else
    redis.call('DEL', KEYS[i])
  end
end
return 1`;

/** Any Redis failure (down, timeout, offline) becomes a fast 503 SERVERERR, logged with its cause. */
function unavailable(cause: unknown): AppError {
  return new AppError(Code.SERVERERR, { status: 503, message: 'Service temporarily unavailable, please retry.', cause });
}

export function createRedisStore(redis: Redis, prefix: string): KvStore {
  const k = (key: string) => prefix + key;
  async function call<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw unavailable(error);
    }
  }
  return {
    kind: 'redis',
    get: (key) => call(() => redis.get(k(key))),
    set: (key, value, ttlMs) => call(async () => void (await redis.set(k(key), value, 'PX', ttlMs))),
    setIfAbsent: (key, value, ttlMs) => call(async () => (await redis.set(k(key), value, 'PX', ttlMs, 'NX')) === 'OK'),
    take: (key) => call(() => redis.getdel(k(key))),
    delete: (...keys) => call(async () => void (keys.length && (await redis.del(...keys.map(k))))),
    deleteIfEquals: (key, value) => call(async () => (await redis.eval(DELETE_IF_EQUALS, 1, k(key), value)) === 1),
    ttl: (key) =>
      call(async () => {
        const ms = await redis.pttl(k(key));
        return ms === -2 ? null : Math.max(ms, 0);
      }),
    hit: (key, windowMs) =>
      call(async () => {
        const [count, resetMs] = (await redis.eval(HIT, 1, k(key), windowMs)) as [number, number];
        return { count, resetMs };
      }),
    putCode: (key, digest, attempts, ttlMs) =>
      call(async () => void (await redis.eval(PUT_CODE, 1, k(key), digest, attempts, ttlMs))),
    claimAttempt: (key) =>
      call(async () => {
        const result = (await redis.eval(CLAIM_ATTEMPT, 1, k(key))) as [string, number] | null;
        return result ? ({ digest: result[0], attemptsLeft: result[1] } satisfies OneTimeCode) : null;
      }),
    consumeCode: (key, digest) => call(async () => (await redis.eval(CONSUME_CODE, 1, k(key), digest)) === 1),
    spend: (budgets, claim) =>
      call(async () => {
        const keys = [...budgets.map((b) => k(b.key)), ...(claim ? [k(claim.key)] : [])];
        const args: (string | number)[] = [budgets.length, claim ? 1 : 0, ...budgets.flatMap((b) => [b.limit, b.ttlMs])];
        if (claim) args.push(claim.value, claim.ttlMs);
        const [ok, refused, ttl] = (await redis.eval(SPEND, keys.length, ...keys, ...args)) as [number, number, number];
        return ok === 1 ? { ok: true } : { ok: false, refused, claimTtlMs: Math.max(ttl, 0) };
      }),
    refund: (keys) => call(async () => void (keys.length && (await redis.eval(REFUND, keys.length, ...keys.map(k))))),
    attempt: (now, budgets, backoff) =>
      call(async (): Promise<AttemptResult> => {
        const keys = [...budgets.map((b) => k(b.key)), k(backoff.key)];
        const args = [now, budgets.length, ...budgets.flatMap((b) => [b.limit, b.ttlMs])];
        args.push(backoff.window, backoff.free, backoff.baseMs, backoff.maxMs, backoff.ttlMs);
        const [ok, a, b] = (await redis.eval(ATTEMPT, keys.length, ...keys, ...args)) as [number, number, number];
        if (ok === 1) return { ok: true, ticket: { window: backoff.window, previousBlockedUntil: a, blockedUntil: b } };
        return a === -1 ? { ok: false, refused: 'backoff', retryMs: b } : { ok: false, refused: a, retryMs: 0 };
      }),
    forgive: (backoffKey, ticket, refundKeys, clearKeys) =>
      call(async () => {
        const keys = [backoffKey, ...refundKeys, ...clearKeys].map(k);
        const args = [ticket.window, ticket.blockedUntil, ticket.previousBlockedUntil, refundKeys.length];
        await redis.eval(FORGIVE, keys.length, ...keys, ...args);
      }),
    ping: () => call(async () => void (await redis.ping())),
    close: async () => {
      redis.disconnect();
    },
  };
}
