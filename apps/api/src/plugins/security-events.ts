// app.events: the security event log (modules/security-events), written in batches to
// PostgreSQL, with its retention: events older than SECURITY_EVENT_RETENTION_DAYS are deleted
// at start and every hour. Closing the app writes what is still buffered.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createDigest } from '../lib/digest.ts';
import { DAY_MS, HOUR_MS } from '../lib/windows.ts';
import { createEventsRepository } from '../modules/security-events/events.repository.ts';
import { createSecurityEvents, type SecurityEvents } from '../modules/security-events/events.service.ts';

declare module 'fastify' {
  interface FastifyInstance {
    events: SecurityEvents;
  }
}

export default fp(
  async function securityEvents(app: FastifyInstance) {
    const { config, clock, log } = app;
    const repository = createEventsRepository(app.db.prisma);
    const events = createSecurityEvents({
      write: repository.insert,
      digest: createDigest(config.codeSecret),
      clock,
      log,
      config: config.events,
    });
    app.decorate('events', events);

    const prune = async () => {
      try {
        const deleted = await repository.prune(new Date(clock() - config.events.retentionDays * DAY_MS));
        if (deleted) log.info({ deleted }, 'old security events deleted');
      } catch (err) {
        log.warn({ err }, 'could not delete old security events');
      }
    };
    let timer: NodeJS.Timeout | undefined;
    app.addHook('onReady', async () => {
      void prune();
      timer = setInterval(() => void prune(), HOUR_MS).unref();
    });
    app.addHook('onClose', async () => {
      clearInterval(timer);
      await events.close();
    });
  },
  { name: 'security-events', dependencies: ['config', 'database'] },
);
