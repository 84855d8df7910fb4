import { Code } from '@register/contracts';
import type { Cluster, Redis } from 'ioredis';
import { AppError } from '../errors.ts';
import type { AttemptResult, AttemptTicket, CodeTry, KvStore } from './kv-store.ts';

// Lua scripts run atomically in Redis: nothing can interleave between their reads and writes.

const TRY_CODE = `
local digest = redis.call('HGET', KEYS[1], 'd')
if not digest then return -1 end
if digest == ARGV[1] then return -2 end
local left = redis.call('HINCRBY', KEYS[1], 'n', -1)
if left <= 0 then redis.call('DEL', KEYS[1]) return 0 end
return left`;

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

// A claim's value is "token:expiresAt": its expiry is read by the caller's clock, not Redis's.
// KEYS: budgets..., claim, code. ARGV: now, budget count, has claim, has code, (limit, ttl) per
// budget, claim token, claim ttl, code digest, code attempts, code ttl.
const SPEND = `${BUDGETS}
local now, n = tonumber(ARGV[1]), tonumber(ARGV[2])
local claim, code = ARGV[3] == '1', ARGV[4] == '1'
local a = 4 + 2 * n
if claim then
  local held = redis.call('GET', KEYS[n + 1])
  local expires = held and tonumber(string.match(held, ':(%d+)$'))
  if expires and expires > now then return {0, -1, expires - now} end
end
local refused = full(n, 4)
if refused then return {0, refused - 1, 0} end
count(n, 4)
if claim then
  redis.call('SET', KEYS[n + 1], ARGV[a + 1] .. ':' .. string.format('%.0f', now + tonumber(ARGV[a + 2])), 'PX', ARGV[a + 2])
end
if code then
  redis.call('DEL', KEYS[n + 2])
  redis.call('HSET', KEYS[n + 2], 'd', ARGV[a + 3], 'n', ARGV[a + 4])
  redis.call('PEXPIRE', KEYS[n + 2], ARGV[a + 5])
end
return {1, 0, 0}`;

// KEYS: counters..., claim, code. ARGV: counter count, claim token (or ''), code digest (or '').
const UNSPEND = `
local n = tonumber(ARGV[1])
for i = 1, n do
  if tonumber(redis.call('GET', KEYS[i]) or '0') > 0 then redis.call('DECR', KEYS[i]) end
end
local held = redis.call('GET', KEYS[n + 1])
if ARGV[2] ~= '' and held and string.sub(held, 1, #ARGV[2] + 1) == ARGV[2] .. ':' then redis.call('DEL', KEYS[n + 1]) end
if ARGV[3] ~= '' and redis.call('HGET', KEYS[n + 2], 'd') == ARGV[3] then redis.call('DEL', KEYS[n + 2]) end
return 1`;

// KEYS: budgets..., backoffs... ARGV: now, budget count, backoff count, (limit, ttl) per budget,
// then (window, free, baseMs, maxMs, ttl) per backoff. Answers {ok, which, index, ms} on a
// refusal (which: 1 = a backoff blocks, 0 = a budget is spent), or {1, before1, after1, ...}.
const ATTEMPT = `${BUDGETS}
local now, n, m = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local b = 3 + 2 * n
for j = 1, m do
  local blocked = tonumber(redis.call('HGET', KEYS[n + j], 'until') or '0')
  if now < blocked then return {0, 1, j - 1, blocked - now} end
end
local refused = full(n, 3)
if refused then return {0, 0, refused - 1, 0} end
count(n, 3)
local result = {1}
for j = 1, m do
  local key, at = KEYS[n + j], b + 5 * (j - 1)
  local window, free, base, max = ARGV[at + 1], tonumber(ARGV[at + 2]), tonumber(ARGV[at + 3]), tonumber(ARGV[at + 4])
  local blocked = tonumber(redis.call('HGET', key, 'until') or '0')
  local failures = 1
  if redis.call('HGET', key, 'w') == window then failures = tonumber(redis.call('HGET', key, 'n') or '0') + 1 end
  local untilNext = blocked
  if failures > free then untilNext = math.max(blocked, now + math.min(max, base * 2 ^ (failures - free - 1))) end
  redis.call('HSET', key, 'w', window, 'n', failures, 'until', string.format('%.0f', untilNext))
  redis.call('PEXPIRE', key, ARGV[at + 5])
  table.insert(result, blocked)
  table.insert(result, untilNext)
end
return result`;

// KEYS: backoffs..., refund counters..., keys to delete. ARGV: backoff count, refund count,
// then (window, blocked until as set by the attempt, the block before it) per backoff.
const FORGIVE = `
local m, r = tonumber(ARGV[1]), tonumber(ARGV[2])
for j = 1, m do
  local key, at = KEYS[j], 2 + 3 * (j - 1)
  if redis.call('HGET', key, 'w') == ARGV[at + 1] then
    local failures = tonumber(redis.call('HGET', key, 'n') or '0')
    if failures > 0 then redis.call('HSET', key, 'n', failures - 1) end
  end
  if tonumber(redis.call('HGET', key, 'until') or '-1') == tonumber(ARGV[at + 2]) then redis.call('HSET', key, 'until', ARGV[at + 3]) end
end
for i = m + 1, #KEYS do
  if i <= m + r then
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

export function createRedisStore(redis: Redis | Cluster, prefix: string): KvStore {
  const k = (key: string) => prefix + key;
  async function call<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw unavailable(error);
    }
  }
  const script = (lua: string, keys: string[], args: (string | number)[]) =>
    redis.eval(lua, keys.length, ...keys.map(k), ...args);

  return {
    kind: 'redis',
    get: (key) => call(() => redis.get(k(key))),
    set: (key, value, ttlMs) => call(async () => void (await redis.set(k(key), value, 'PX', ttlMs))),
    take: (key) => call(() => redis.getdel(k(key))),
    delete: (...keys) => call(async () => void (keys.length && (await redis.del(...keys.map(k))))),
    ttl: (key) =>
      call(async () => {
        const ms = await redis.pttl(k(key));
        return ms === -2 ? null : Math.max(ms, 0);
      }),
    tryCode: (key, digest) =>
      call(async (): Promise<CodeTry> => {
        const result = (await script(TRY_CODE, [key], [digest])) as number;
        if (result === -2) return { right: true };
        return { right: false, attemptsLeft: result === -1 ? null : result };
      }),
    consumeCode: (key, digest) => call(async () => (await script(CONSUME_CODE, [key], [digest])) === 1),
    spend: (now, budgets, claim, code) =>
      call(async () => {
        // An absent claim or code is stood in for by a key of the same slot (Redis Cluster).
        const anchor = budgets[0]?.key ?? claim?.key ?? code?.key ?? 'none';
        const keys = [...budgets.map((b) => b.key), claim?.key ?? anchor, code?.key ?? anchor];
        const args: (string | number)[] = [now, budgets.length, claim ? 1 : 0, code ? 1 : 0];
        for (const b of budgets) args.push(b.limit, b.ttlMs);
        args.push(claim?.token ?? '', claim?.ttlMs ?? 0, code?.digest ?? '', code?.attempts ?? 0, code?.ttlMs ?? 0);
        const [ok, refused, ttl] = (await script(SPEND, keys, args)) as [number, number, number];
        return ok === 1 ? { ok: true } : { ok: false, refused, claimTtlMs: Math.max(ttl, 0) };
      }),
    unspend: (budgetKeys, claim, code) =>
      call(async () => {
        const anchor = budgetKeys[0] ?? claim?.key ?? code?.key ?? 'none';
        const keys = [...budgetKeys, claim?.key ?? anchor, code?.key ?? anchor];
        await script(UNSPEND, keys, [budgetKeys.length, claim?.token ?? '', code?.digest ?? '']);
      }),
    attempt: (now, budgets, backoffs) =>
      call(async (): Promise<AttemptResult> => {
        const keys = [...budgets.map((b) => b.key), ...backoffs.map((b) => b.key)];
        const args: (string | number)[] = [now, budgets.length, backoffs.length];
        for (const b of budgets) args.push(b.limit, b.ttlMs);
        for (const b of backoffs) args.push(b.window, b.free, b.baseMs, b.maxMs, b.ttlMs);
        const result = (await script(ATTEMPT, keys, args)) as number[];
        if (result[0] !== 1) {
          const [, which, index = 0, ms = 0] = result;
          return { ok: false, refused: which === 1 ? { backoff: index } : { budget: index }, retryMs: ms };
        }
        const tickets: AttemptTicket[] = backoffs.map((b, j) => ({
          key: b.key,
          window: b.window,
          previousBlockedUntil: result[1 + 2 * j] ?? 0,
          blockedUntil: result[2 + 2 * j] ?? 0,
        }));
        return { ok: true, tickets };
      }),
    forgive: (tickets, refundKeys, clearKeys) =>
      call(async () => {
        const keys = [...tickets.map((t) => t.key), ...refundKeys, ...clearKeys];
        const args: (string | number)[] = [tickets.length, refundKeys.length];
        for (const t of tickets) args.push(t.window, t.blockedUntil, t.previousBlockedUntil);
        await script(FORGIVE, keys, args);
      }),
    ping: () => call(async () => void (await redis.ping())),
    close: async () => {
      redis.disconnect();
    },
  };
}
