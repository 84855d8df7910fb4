import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Code, envelopeOf, type HealthStatus, routes } from '@register/contracts';
import type { Database } from '../../db/database.ts';
import { success } from '../../lib/answer.ts';
import { fromContract } from '../../lib/route.ts';
import type { KvStore } from '../../store/kv-store.ts';

const PING_TIMEOUT_MS = 1500;
const within = (promise: Promise<void>) =>
  Promise.race([promise, new Promise((_, reject) => setTimeout(reject, PING_TIMEOUT_MS).unref())]).then(
    () => 'ok' as const,
    () => 'down' as const,
  );

/**
 * GET /health/ and /readyz (backends) and /healthz (the process): for load balancers and orchestrators;
 * never rate limited. /health/ is therefore no way to make the backends work: concurrent calls
 * share one check, and a check is reused for HEALTH_CACHE_MS.
 */
export const healthRoutes: FastifyPluginAsyncTypebox<{ db: Database; store: KvStore; cacheMs: number }> = async (
  app,
  { db, store, cacheMs },
) => {
  let last: { at: number; status: HealthStatus } | null = null;
  let checking: Promise<HealthStatus> | null = null;
  const check = async (): Promise<HealthStatus> => {
    const [database, storeStatus] = await Promise.all([within(db.ping()), within(store.ping())]);
    return { database, store: storeStatus, backends: { database: db.kind, store: store.kind } };
  };
  const current = () => {
    if (last && app.clock() - last.at < cacheMs) return Promise.resolve(last.status);
    checking ??= check()
      .then((status) => {
        last = { at: app.clock(), status };
        return status;
      })
      .finally(() => {
        checking = null;
      });
    return checking;
  };

  app.route({
    ...fromContract(routes.healthz),
    config: { rateLimit: false },
    handler: async (request) => success(request, { status: 'ok' as const }),
  });
  // /health/ (kept for the run script, Playwright and docker-compose) and /readyz say the same.
  for (const route of [routes.health, routes.readyz]) {
    app.route({
      ...fromContract(route),
      config: { rateLimit: false },
      handler: async (request, reply) => {
        const status = await current();
        // Draining before a shutdown: the backends may be fine, this instance is going away.
        if (app.draining) return reply.code(503).send(envelopeOf(Code.SERVERERR, status, request.messages.service.shuttingDown));
        const healthy = status.database === 'ok' && status.store === 'ok';
        return reply
          .code(healthy ? 200 : 503)
          .send(
            envelopeOf(healthy ? Code.OK : Code.SERVERERR, status, request.messages.codes[healthy ? Code.OK : Code.SERVERERR]),
          );
      },
    });
  }
};
