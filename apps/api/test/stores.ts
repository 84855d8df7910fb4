// The two KvStore implementations, for tests that must hold for both.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import type { Clock } from '../src/lib/clock.ts';
import type { KvStore } from '../src/store/kv-store.ts';
import { createMemoryStore } from '../src/store/memory-store.ts';
import { createRedisStore } from '../src/store/redis-store.ts';

export interface StoreCase {
  name: 'memory' | 'redis';
  open(clock?: Clock): Promise<KvStore>;
}

export const STORE_CASES: StoreCase[] = [
  { name: 'memory', open: async (clock) => createMemoryStore(clock) },
  {
    name: 'redis',
    open: async () => {
      const redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: 1 });
      return createRedisStore(redis, {
        prefix: `${inject('redisPrefix')}${randomBytes(4).toString('hex')}:`,
        // A reply to the wrong command is a failure of these tests, never silently retried.
        onProtocolDoubt: (doubt) => {
          throw doubt;
        },
      });
    },
  },
];
