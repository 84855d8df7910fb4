import { createHash, randomBytes } from 'node:crypto';
import { Code, text } from '@register/contracts';
import type { Cluster, Redis } from 'ioredis';
import { AppError } from '../errors.ts';
import {
  type AttemptResult,
  type AttemptTicket,
  type CodeTry,
  globLiteral,
  type KvStore,
  TOMBSTONE_TTL_MS,
  tombstoneKey,
} from './kv-store.ts';

// Lua scripts run atomically in Redis: nothing can interleave between their reads and writes.
// Every operation, plain reads and writes included, is one script, and every script answers
// with a nonce its caller sent (see checked below).

const GET = `return redis.call('GET', KEYS[1])`;
const SET = `redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1`;
const TAKE = `return redis.call('GETDEL', KEYS[1])`;
const SET_IF_ABSENT = `if redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then return 1 end return 0`;
const DELETE = `return redis.call('DEL', unpack(KEYS))`;
const TTL = `return redis.call('PTTL', KEYS[1])`;

// A fixed window counter for the per-client request limits (plugins/rate-limit.ts).
const HIT = `
local current = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) ttl = tonumber(ARGV[1]) end
return {current, ttl}`;

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
// KEYS: budgets..., claim, code, the claim's tombstone. ARGV: now, budget count, has claim, has
// code, (limit, ttl) per budget, claim token, claim ttl, code digest, code attempts, code ttl.
const SPEND = `${BUDGETS}
local now, n = tonumber(ARGV[1]), tonumber(ARGV[2])
local claim, code = ARGV[3] == '1', ARGV[4] == '1'
local a = 4 + 2 * n
if claim and redis.call('EXISTS', KEYS[n + 3]) == 1 then return {0, -2, 0} end
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

// KEYS: counters..., claim, code, the claim's tombstone. ARGV: counter count, claim token, code
// digest (or ''), tombstone ttl. Undoes only a spend that ran (its claim holds its token).
const UNSPEND = `
local n = tonumber(ARGV[1])
local held = redis.call('GET', KEYS[n + 1])
if not (held and string.sub(held, 1, #ARGV[2] + 1) == ARGV[2] .. ':') then
  redis.call('SET', KEYS[n + 3], '1', 'PX', ARGV[4])
  return 0
end
for i = 1, n do
  if tonumber(redis.call('GET', KEYS[i]) or '0') > 0 then redis.call('DECR', KEYS[i]) end
end
redis.call('DEL', KEYS[n + 1])
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

// SET XX: only over a value that is still there.
const REPLACE = `if redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'XX') then return 1 end return 0`;

// An index is a sorted set of members scored by their expiry (the caller's clock, epoch ms).
// Before this release it was a plain set: one is converted in place at its first touch, each
// member given the set's own expiry (the set outlived its longest member), so an upgrade
// loses no session from its user's index.
const INDEX = `
local function sorted(now)
  if redis.call('TYPE', KEYS[1]).ok ~= 'set' then return end
  local ttl = redis.call('PTTL', KEYS[1])
  local old = redis.call('SMEMBERS', KEYS[1])
  redis.call('DEL', KEYS[1])
  local score = string.format('%.0f', now + math.max(ttl, 1))
  for _, member in ipairs(old) do redis.call('ZADD', KEYS[1], score, member) end
  if ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) end
end`;
// ARGV: member, now, expiresAt, keep (0: no cap). Answers the members beyond the keep latest.
const ADD_MEMBER = `${INDEX}
local now, expires, keep = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
sorted(now)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
if expires <= now then return {} end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
if redis.call('PTTL', KEYS[1]) < expires - now then redis.call('PEXPIRE', KEYS[1], expires - now) end
local n = redis.call('ZCARD', KEYS[1])
if keep <= 0 or n <= keep then return {} end
local over = {}
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, n - keep)) do
  if member ~= ARGV[1] and #over < n - keep then table.insert(over, member) end
end
return over`;
const REMOVE_MEMBER = `
if redis.call('TYPE', KEYS[1]).ok == 'set' then return redis.call('SREM', KEYS[1], ARGV[1]) end
return redis.call('ZREM', KEYS[1], ARGV[1])`;
// ARGV: now. The live members, earliest to expire first; the expired ones are removed.
const MEMBERS = `${INDEX}
sorted(tonumber(ARGV[1]))
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
return redis.call('ZRANGE', KEYS[1], 0, -1)`;

/** Any Redis failure (down, timeout, offline) becomes a fast 503 SERVERERR, logged with its cause. */
function unavailable(cause: unknown): AppError {
  return new AppError(Code.SERVERERR, {
    status: 503,
    message: text.service.storeDown,
    cause: scrubbed(cause),
  });
}

/**
 * ioredis attaches the failed command to its errors (an OOM, READONLY or MISCONF reply): its
 * keys and arguments hold session ids, code digests, usernames and client addresses, and the
 * error is logged. Only the error's name and message are kept.
 */
function scrubbed(error: unknown): unknown {
  if (!(error instanceof Error) || !('command' in error)) return error;
  const clean = new Error(error.message);
  clean.name = error.name;
  return clean;
}

interface Script {
  source: string;
  sha: string;
}
/**
 * A script whose answer carries the nonce its caller passed as the last argument. A reply whose
 * request or answer was lost on the way (a proxy dropping bytes) leaves every later reply paired
 * with the command after its own; the nonce makes the first such pairing visible, whatever
 * the command, so nobody acts on another command's answer (another user's session).
 */
function checked(body: string): Script {
  const source = `local function run()\n${body}\nend\nreturn {ARGV[#ARGV], run()}`;
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}
const scripts = {
  get: checked(GET),
  set: checked(SET),
  take: checked(TAKE),
  setIfAbsent: checked(SET_IF_ABSENT),
  delete: checked(DELETE),
  ttl: checked(TTL),
  hit: checked(HIT),
  tryCode: checked(TRY_CODE),
  consumeCode: checked(CONSUME_CODE),
  spend: checked(SPEND),
  unspend: checked(UNSPEND),
  attempt: checked(ATTEMPT),
  forgive: checked(FORGIVE),
  replace: checked(REPLACE),
  addMember: checked(ADD_MEMBER),
  removeMember: checked(REMOVE_MEMBER),
  members: checked(MEMBERS),
};

export class ProtocolDoubt extends Error {}

/**
 * `onProtocolDoubt`: a reply did not answer its command. The caller closes the connection, which
 * rejects every command pending on it; the client reconnects in place.
 */
export function createRedisStore(
  redis: Redis | Cluster,
  options: { prefix: string; onProtocolDoubt: (error: ProtocolDoubt) => void },
): KvStore {
  const k = (key: string) => options.prefix + key;
  // Unique per call; the random part keeps another process's replies (or a restart's) apart too.
  const nonceBase = randomBytes(6).toString('base64url');
  let calls = 0;

  async function evaluate(script: Script, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(script.sha, keys.length, ...keys, ...args);
    } catch (error) {
      // A server that has not seen the script yet (or was restarted) gets its source once.
      if (!(error instanceof Error && error.message.startsWith('NOSCRIPT'))) throw error;
      return redis.eval(script.source, keys.length, ...keys, ...args);
    }
  }
  async function run(script: Script, keys: string[], args: (string | number)[] = []): Promise<unknown> {
    const nonce = `${nonceBase}.${++calls}`;
    let reply: unknown;
    try {
      reply = await evaluate(script, keys.map(k), [...args, nonce]);
    } catch (error) {
      throw unavailable(error);
    }
    if (!Array.isArray(reply) || reply[0] !== nonce) {
      const doubt = new ProtocolDoubt('a Redis reply did not answer its command');
      options.onProtocolDoubt(doubt);
      throw unavailable(doubt);
    }
    return reply[1] ?? null;
  }

  return {
    kind: 'redis',
    get: async (key) => (await run(scripts.get, [key])) as string | null,
    set: async (key, value, ttlMs) => void (await run(scripts.set, [key], [value, ttlMs])),
    take: async (key) => (await run(scripts.take, [key])) as string | null,
    setIfAbsent: async (key, value, ttlMs) => (await run(scripts.setIfAbsent, [key], [value, ttlMs])) === 1,
    delete: async (...keys) => void (keys.length && (await run(scripts.delete, keys))),
    ttl: async (key) => {
      const ms = (await run(scripts.ttl, [key])) as number;
      return ms === -2 ? null : Math.max(ms, 0);
    },
    hit: async (key, windowMs) => {
      const [current, ttlMs] = (await run(scripts.hit, [key], [windowMs])) as [number, number];
      return { current, ttlMs };
    },
    tryCode: async (key, digest): Promise<CodeTry> => {
      const result = (await run(scripts.tryCode, [key], [digest])) as number;
      if (result === -2) return { right: true };
      return { right: false, attemptsLeft: result === -1 ? null : result };
    },
    consumeCode: async (key, digest) => (await run(scripts.consumeCode, [key], [digest])) === 1,
    spend: async (now, budgets, claim, code) => {
      // An absent claim or code is stood in for by a key of the same slot (Redis Cluster).
      const anchor = budgets[0]?.key ?? claim?.key ?? code?.key ?? 'none';
      const keys = [
        ...budgets.map((b) => b.key),
        claim?.key ?? anchor,
        code?.key ?? anchor,
        claim ? tombstoneKey(claim) : anchor,
      ];
      const args: (string | number)[] = [now, budgets.length, claim ? 1 : 0, code ? 1 : 0];
      for (const b of budgets) args.push(b.limit, b.ttlMs);
      args.push(claim?.token ?? '', claim?.ttlMs ?? 0, code?.digest ?? '', code?.attempts ?? 0, code?.ttlMs ?? 0);
      const [ok, refused, ttl] = (await run(scripts.spend, keys, args)) as [number, number, number];
      return ok === 1 ? { ok: true } : { ok: false, refused, claimTtlMs: Math.max(ttl, 0) };
    },
    unspend: async (budgetKeys, claim, code) => {
      const keys = [...budgetKeys, claim.key, code?.key ?? claim.key, tombstoneKey(claim)];
      await run(scripts.unspend, keys, [budgetKeys.length, claim.token, code?.digest ?? '', TOMBSTONE_TTL_MS]);
    },
    attempt: async (now, budgets, backoffs): Promise<AttemptResult> => {
      const keys = [...budgets.map((b) => b.key), ...backoffs.map((b) => b.key)];
      const args: (string | number)[] = [now, budgets.length, backoffs.length];
      for (const b of budgets) args.push(b.limit, b.ttlMs);
      for (const b of backoffs) args.push(b.window, b.free, b.baseMs, b.maxMs, b.ttlMs);
      const result = (await run(scripts.attempt, keys, args)) as number[];
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
    },
    forgive: async (tickets, refundKeys, clearKeys) => {
      const keys = [...tickets.map((t) => t.key), ...refundKeys, ...clearKeys];
      const args: (string | number)[] = [tickets.length, refundKeys.length];
      for (const t of tickets) args.push(t.window, t.blockedUntil, t.previousBlockedUntil);
      await run(scripts.forgive, keys, args);
    },
    replace: async (key, value, ttlMs) => (await run(scripts.replace, [key], [value, ttlMs])) === 1,
    addMember: async (key, member, { now, expiresAt, keep = 0 }) =>
      (await run(scripts.addMember, [key], [member, now, expiresAt, keep])) as string[],
    removeMember: async (key, member) => void (await run(scripts.removeMember, [key], [member])),
    members: async (key, now) => (await run(scripts.members, [key], [now])) as string[],
    // SCAN cannot run in a script (it takes many steps); its replies carry no nonce, so the keys
    // it names are only ever acted on through the checked scripts above. On a Cluster, every
    // master holds part of the keys.
    keys: async (pattern) => {
      const match = globLiteral(options.prefix) + pattern;
      const found = new Set<string>();
      try {
        for (const node of 'nodes' in redis ? redis.nodes('master') : [redis]) {
          let cursor = '0';
          do {
            const [next, keys] = await node.scan(cursor, 'MATCH', match, 'COUNT', 1000);
            for (const key of keys) if (key.startsWith(options.prefix)) found.add(key.slice(options.prefix.length));
            cursor = next;
          } while (cursor !== '0');
        }
      } catch (error) {
        throw unavailable(error);
      }
      return [...found];
    },
    // Every node must answer: on a Cluster each master holds part of the sessions and limits.
    ping: async () => {
      const nodes = 'nodes' in redis ? redis.nodes('master') : [redis];
      if (nodes.length === 0) throw unavailable(new Error('no Redis Cluster master is known'));
      await Promise.all(
        nodes.map(async (node) => {
          const nonce = `${nonceBase}.${++calls}`;
          let reply: unknown;
          try {
            reply = await node.ping(nonce);
          } catch (error) {
            throw unavailable(error);
          }
          if (reply !== nonce) {
            const doubt = new ProtocolDoubt('a Redis reply did not answer its command');
            options.onProtocolDoubt(doubt);
            throw unavailable(doubt);
          }
        }),
      );
    },
    close: async () => {
      redis.disconnect();
    },
  };
}
