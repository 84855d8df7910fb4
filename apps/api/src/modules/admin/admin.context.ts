// What the operators' commands run on: the API's own database and store plugins (the same pool
// and timeouts, the same guarded Redis client and checked scripts) in a Fastify instance that
// serves nothing, and the services built over them. Logs go to stderr; stdout is the command's.
import Fastify from 'fastify';
import fp from 'fastify-plugin';
import pino from 'pino';
import type { Config } from '../../config.ts';
import { systemClock } from '../../lib/clock.ts';
import databasePlugin from '../../plugins/database.ts';
import metrics from '../../plugins/metrics.ts';
import redisPlugin from '../../plugins/redis.ts';
import storePlugin from '../../plugins/store.ts';
import { createMemoryStore } from '../../store/memory-store.ts';
import { createUserSessions } from '../auth/user-sessions.ts';
import { createPasswordHasher } from '../users/passwords.ts';
import { createAdminRepository } from './admin.repository.ts';
import { createAdminService } from './admin.service.ts';
import { createThrottleClearer } from './throttle-clear.ts';

export async function openAdminContext(config: Config, options: { store: boolean }) {
  const app = Fastify({ logger: { level: 'warn', stream: pino.destination(2) } });
  await app.register(
    fp(
      async (instance) => {
        instance.decorate('config', config);
        instance.decorate('clock', systemClock);
      },
      { name: 'config' },
    ),
  );
  await app.register(databasePlugin);
  if (options.store) {
    // The Redis client counts its timeouts there; nothing here serves them.
    await app.register(metrics);
    await app.register(redisPlugin);
    await app.register(storePlugin);
  }
  await app.ready();

  const accounts = createAdminRepository(app.db);
  // A command that needs no store gets an empty one of its own: it reaches nothing of the API's.
  const store = options.store ? app.store : createMemoryStore();
  // Its epoch by this machine's clock, as the API's logins are by its own (keep them in sync: NTP).
  const sessions = createUserSessions(store, { clock: systemClock, ttlMs: config.session.ttlSeconds * 1000 });
  return {
    db: app.db,
    /** False with the in-process store: the API's sessions and budgets are in its own memory. */
    storeReachable: store.kind === 'redis',
    admin: createAdminService({ accounts, passwords: createPasswordHasher(config.argon2), sessions }),
    throttle: createThrottleClearer({ store, accounts, ipv6Prefix: config.limits.ipv6Prefix }),
    close: () => app.close(),
  };
}
export type AdminContext = Awaited<ReturnType<typeof openAdminContext>>;
