// The key-value store (captchas, SMS codes and budgets, sessions, rate limits): on app.redis
// when Redis is configured, else in-process.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { KvStore } from '../store/kv-store.ts';
import { createMemoryStore } from '../store/memory-store.ts';
import { createRedisStore, type ProtocolDoubt } from '../store/redis-store.ts';
import { closeConnections } from './redis.ts';

declare module 'fastify' {
  interface FastifyInstance {
    store: KvStore;
  }
}

export default fp(
  async function storePlugin(app: FastifyInstance) {
    const config = app.config.redis;
    if (config.kind === 'memory') {
      app.decorate('store', createMemoryStore(app.clock));
      return;
    }
    const onProtocolDoubt = (doubt: ProtocolDoubt) => {
      app.log.error({ err: doubt }, 'a Redis reply did not answer its command: closing the connection');
      // On a Cluster the reply came from one node of them; which one is not known here.
      closeConnections(app.redis);
    };
    app.decorate('store', createRedisStore(app.redis, { prefix: config.keyPrefix, onProtocolDoubt }));
  },
  { name: 'store', dependencies: ['config', 'redis'] },
);
