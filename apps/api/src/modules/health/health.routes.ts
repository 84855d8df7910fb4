import { Code, envelopeOf, type HealthStatus, ok, routes } from '@register/contracts';
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

/** GET /health/ (backends) and /healthz (the process): for load balancers and orchestrators; never rate limited. */
export const healthRoutes: FastifyPluginAsync<{ db: Database; store: KvStore }> = async (app, { db, store }) => {
  app.route({
    ...fromContract(routes.healthz),
    config: { rateLimit: false },
    handler: async () => ok({ status: 'ok' as const }),
  });
  app.route({
    ...fromContract(routes.health),
    config: { rateLimit: false },
    handler: async (_request, reply) => {
      const [database, storeStatus] = await Promise.all([within(db.ping()), within(store.ping())]);
      const status: HealthStatus = { database, store: storeStatus, backends: { database: db.kind, store: store.kind } };
      const healthy = database === 'ok' && storeStatus === 'ok';
      return reply.code(healthy ? 200 : 503).send(envelopeOf(healthy ? Code.OK : Code.SERVERERR, status));
    },
  });
};
