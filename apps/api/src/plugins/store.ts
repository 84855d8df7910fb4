// The key-value store: Redis (through @fastify/redis) when REDIS_URL is set, else in-process.
import fastifyRedis from '@fastify/redis';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Redis } from 'ioredis';
import type { KvStore } from '../store/kv-store.ts';
import { createMemoryStore } from '../store/memory-store.ts';
import { createRedisStore } from '../store/redis-store.ts';

declare module 'fastify' {
  interface FastifyInstance {
    store: KvStore;
  }
}

// Start-up waits this long for Redis, then stops with a clear error (@fastify/redis itself would
// wait for a connection until the plugin timeout). Once running, an outage only costs 503s.
const READY_TIMEOUT_MS = 5000;

async function waitUntilReady(redis: Redis): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis at REDIS_URL is not reachable (waited ${READY_TIMEOUT_MS} ms)`));
    }, READY_TIMEOUT_MS);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      redis.off('ready', onReady);
    };
    redis.on('ready', onReady);
  });
}

export default fp(
  async function storePlugin(app: FastifyInstance) {
    const config = app.config.redis;
    if (config.kind === 'memory') {
      app.decorate('store', createMemoryStore(app.clock));
      return;
    }
    const redis = new Redis(config.url, {
      // No queueing while disconnected: a request fails at once (503) instead of hanging,
      // and ioredis keeps reconnecting in the background, so service resumes by itself.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      commandTimeout: 2000,
      retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
    });
    let lastError = '';
    redis.on('error', (err) => {
      // Logged once per distinct error, not at every reconnection attempt.
      if (err.message !== lastError) app.log.warn({ err }, 'Redis connection error');
      lastError = err.message;
    });
    redis.on('ready', () => {
      if (lastError) app.log.info('Redis connection restored');
      lastError = '';
    });
    try {
      await waitUntilReady(redis);
    } catch (error) {
      redis.disconnect();
      throw error;
    }
    await app.register(fastifyRedis, { client: redis, closeClient: false });
    app.decorate('store', createRedisStore(redis, config.keyPrefix));
    app.addHook('onClose', async () => {
      // QUIT waits for the server; when it is gone, just drop the socket.
      await Promise.race([redis.quit().catch(() => {}), new Promise((r) => setTimeout(r, 500))]);
      redis.disconnect();
    });
  },
  { name: 'store', dependencies: ['config'] },
);
