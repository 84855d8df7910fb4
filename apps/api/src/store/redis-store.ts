import { Code } from '@register/contracts';
import type { Redis } from 'ioredis';
import { AppError } from '../errors.ts';
import type { KvStore, OneTimeCode } from './kv-store.ts';

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
    ping: () => call(async () => void (await redis.ping())),
    close: async () => {
      redis.disconnect();
    },
  };
}
