import { Code, envelopeOf, type HealthStatus, routes } from '@register/contracts';
import type { FastifyPluginAsync } from 'fastify';
import type { Database } from '../../db/database.ts';
import { fromContract } from '../../lib/route.ts';
import type { KvStore } from '../../store/kv-store.ts';

const PING_TIMEOUT_MS = 1500;
const within = (promise: Promise<void>) =>
  Promise.race([promise, new Promise((_, reject) => setTimeout(reject, PING_TIMEOUT_MS).unref())]).then(
    () => 'ok' as const,
    () => 'down' as const,
  );

/** GET /health/: for load balancers and docker-compose healthchecks. */
export const healthRoutes: FastifyPluginAsync<{ db: Database; store: KvStore }> = async (app, { db, store }) => {
  app.route({
    ...fromContract(routes.health),
    handler: async (_request, reply) => {
      const [database, storeStatus] = await Promise.all([within(db.ping()), within(store.ping())]);
      const status: HealthStatus = { database, store: storeStatus, backends: { database: db.kind, store: store.kind } };
      const healthy = database === 'ok' && storeStatus === 'ok';
      return reply.code(healthy ? 200 : 503).send(envelopeOf(healthy ? Code.OK : Code.SERVERERR, status));
    },
  });
};
