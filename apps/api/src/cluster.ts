// WEB_CONCURRENCY > 1: this process is the primary of a node:cluster. It serves nothing itself:
// it forks the workers (each a whole API with its own pools, sharing the port) and replaces one
// that dies. On SIGTERM it passes SIGTERM to every worker, which drains as a single process
// does (server.ts); on SIGINT (Ctrl-C, which the terminal sends the workers too, and they
// ignore) it asks each to stop at once over IPC. It exits 0 once all have exited, 1 if one
// failed to stop cleanly.
import cluster, { type Worker } from 'node:cluster';
import pg from 'pg';
import type { Config } from './config.ts';

/** Workers x their pools must fit in PostgreSQL's connections, beside the reserved ones. */
async function checkConnectionBudget(config: Config, log: (line: string) => void): Promise<string | null> {
  if (config.database.kind !== 'postgres') return null;
  const client = new pg.Client({
    connectionString: config.database.url,
    connectionTimeoutMillis: config.database.connectTimeoutMs,
  });
  try {
    await client.connect();
    const { rows } = await client.query<{ max: string; reserved: string }>(
      "SELECT current_setting('max_connections') AS max, current_setting('superuser_reserved_connections') AS reserved",
    );
    const available = Number(rows[0]?.max) - Number(rows[0]?.reserved);
    const wanted = config.workers * config.database.poolSize;
    return wanted > available
      ? `WEB_CONCURRENCY=${config.workers} x DATABASE_POOL_SIZE=${config.database.poolSize} = ${wanted} connections, but PostgreSQL allows ${available}: lower one of them (or raise max_connections).`
      : null;
  } catch (error) {
    log(
      `could not check PostgreSQL's max_connections (${error instanceof Error ? error.message : String(error)}); starting anyway`,
    );
    return null;
  } finally {
    await client.end().catch(() => {});
  }
}

export async function runPrimary(config: Config): Promise<void> {
  const log = (line: string) => console.error(`[primary ${process.pid}] ${line}`);
  const problem = await checkConnectionBudget(config, log);
  if (problem) {
    console.error(problem);
    process.exit(78); // EX_CONFIG
  }
  let stopping = false;
  let failed = false;
  const fork = (): Worker => cluster.fork();
  for (let i = 0; i < config.workers; i++) fork();

  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      // A worker still starting when the signal came dies of it, with nothing in flight: clean.
      if (code !== 0 && signal !== 'SIGTERM') failed = true;
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(failed ? 1 : 0);
      return;
    }
    // A worker that dies on its own is replaced, after a pause so a crash loop cannot spin.
    log(`worker ${worker.process.pid} exited (${signal ?? code}); starting another`);
    setTimeout(fork, 1000).unref();
  });

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: draining ${config.workers} workers`);
    const workers = Object.values(cluster.workers ?? {});
    if (workers.length === 0) process.exit(0);
    for (const worker of workers) {
      if (signal === 'SIGTERM') worker?.process.kill('SIGTERM');
      else worker?.send('shutdown');
    }
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
