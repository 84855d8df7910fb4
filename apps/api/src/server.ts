// Starts the API: parse config, build the app, listen, and shut down cleanly on a signal.

import cluster from 'node:cluster';
import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.ts';
import { runPrimary } from './cluster.ts';
import { ConfigError, loadConfig } from './config.ts';
import { loadEnvFile } from './env-file.ts';
import { onPrimaryWord } from './primary-word.ts';

loadEnvFile();

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(78); // EX_CONFIG
  }
  throw error;
}

// Several workers: this process only supervises them (cluster.ts); each worker runs what follows.
if (config.workers > 1 && cluster.isPrimary) {
  await runPrimary(config);
} else {
  await serve(config);
}

async function serve(config: ReturnType<typeof loadConfig>): Promise<void> {
  let app: Awaited<ReturnType<typeof buildApp>>;
  try {
    app = await buildApp(config);
  } catch (error) {
    // A backend unreachable at start (Redis), a database that cannot be migrated, ...
    console.error(`Cannot start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
  const backends = `database=${app.db.kind} store=${app.store.kind} sms=${config.sms.gateway}`;
  app.log.info(
    app.db.kind === 'embedded' || app.store.kind === 'memory'
      ? `backends: ${backends} (embedded defaults; set DATABASE_URL and REDIS_URL to use PostgreSQL and Redis)`
      : `backends: ${backends}`,
  );

  // SIGTERM / SIGINT: stop accepting connections, answer what arrives meanwhile with a 503 envelope
  // (plugins/lifecycle.ts), let requests in flight finish, close the pool and Redis, exit 0. Past
  // SHUTDOWN_GRACE_MS, exit 1 anyway; a second signal exits at once. SIGTERM (an orchestrator's)
  // first drains for SHUTDOWN_DRAIN_MS: not ready, still serving; SIGINT (Ctrl-C) does not wait.
  // A cluster worker leaves signals to its primary (worker.ts) and stops when it says so: 'drain'
  // as for SIGTERM, 'shutdown' as for Ctrl-C. Its word may come before the app is built.
  const worker = cluster.isWorker;
  let drainOnClose = false;
  const shutdown = closeWithGrace(
    {
      delay: config.shutdownDrainMs + config.shutdownGraceMs,
      logger: app.log,
      ...(worker ? { skip: ['SIGINT', 'SIGTERM'] } : {}),
    },
    async ({ signal, err, manual }) => {
      if (err) app.log.error({ err }, 'stopping after an uncaught error');
      else if (manual) app.log.info({ drain: drainOnClose }, 'shutting down: the primary asked');
      else if (!signal) app.log.error('stopping after an uncaught error or rejection that gave no reason');
      else app.log.info({ signal }, 'shutting down');
      if (signal === 'SIGTERM' || drainOnClose) await app.drain(config.shutdownDrainMs);
      await app.close();
    },
  );
  if (worker) {
    let asked = false;
    onPrimaryWord((word) => {
      asked = true;
      drainOnClose = word === 'drain' && app.server.listening;
      void shutdown.close();
    });
    // Asked to stop while starting: nothing is in flight, and it never starts listening.
    if (asked) return;
  }

  try {
    const address = await app.listen({ host: config.host, port: config.port });
    app.log.info(`API ready at ${address}${config.prefix}/`);
  } catch (error) {
    app.log.fatal({ err: error }, 'cannot start');
    process.exit(1);
  }
}
