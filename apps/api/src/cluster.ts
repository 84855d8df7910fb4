// WEB_CONCURRENCY > 1: this process is the primary of a node:cluster. It serves nothing itself:
// it forks the workers (each a whole API with its own pools, sharing the port) and replaces one
// that dies, giving up (exit 1) when workers keep failing before they listen. On SIGTERM it
// asks every worker over IPC to drain as a single process does (server.ts), on SIGINT to stop
// at once; workers ignore signals themselves (worker.ts). It exits 0 once all have exited, 1
// if one failed to stop cleanly.
import cluster, { type Worker } from 'node:cluster';
import pg from 'pg';
import type { Config } from './config.ts';
import { servePrimaryMetrics } from './lib/cluster-metrics.ts';
import { siblingModule } from './lib/sibling-module.ts';

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
      // reserved_connections exists from PostgreSQL 16 (NULL before, with missing_ok).
      `SELECT current_setting('max_connections') AS max,
              current_setting('superuser_reserved_connections')::int
                + coalesce(current_setting('reserved_connections', true), '0')::int AS reserved`,
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

/** A worker that exits this many times in a row before it ever listened: the primary gives up. */
const MAX_FAILED_STARTS = 5;

export async function runPrimary(config: Config): Promise<void> {
  const log = (line: string) => console.error(`[primary ${process.pid}] ${line}`);
  let stopping: 'drain' | 'shutdown' | null = null;
  let failed = false;
  // Signals first: one that comes while the budget is checked stops the start cleanly.
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  const problem = await checkConnectionBudget(config, log);
  if (stopping) process.exit(0);
  if (problem) {
    console.error(problem);
    process.exit(78); // EX_CONFIG
  }
  // Workers start from worker.ts, which leaves SIGTERM and SIGINT to this process before it
  // loads anything: a signal to the whole group (Ctrl-C, systemd's control-group kill) reaches
  // every worker too, and each must act once, on this process's word, not twice.
  cluster.setupPrimary({ exec: siblingModule('worker', import.meta.url).pathname });
  // A worker scraped for /api/metrics asks here for every worker's sum (lib/cluster-metrics.ts).
  if (config.metrics.enabled) servePrimaryMetrics();
  let failedStarts = 0;
  const listening = new WeakSet<Worker>();
  const fork = (): Worker => {
    const worker = cluster.fork();
    worker.once('listening', () => {
      listening.add(worker);
      failedStarts = 0;
    });
    // Asked to stop before it could hear: it acts on the word once it listens for it.
    const word = stopping;
    if (word) worker.once('online', () => worker.send(word));
    return worker;
  };
  for (let i = 0; i < config.workers; i++) fork();

  cluster.on('exit', (worker, code, signal) => {
    const alive = Object.keys(cluster.workers ?? {}).length;
    if (stopping) {
      // One that had not started listening yet may die of the group's signal itself, with
      // nothing in flight: clean. Any other exit but 0 is a failed stop.
      if (code !== 0 && (listening.has(worker) || !signal)) failed = true;
      if (alive === 0) process.exit(failed ? 1 : 0);
      return;
    }
    if (!listening.has(worker) && ++failedStarts >= MAX_FAILED_STARTS) {
      log(`workers exit before they listen (${failedStarts} in a row, the last: ${signal ?? code}); giving up`);
      for (const other of Object.values(cluster.workers ?? {})) other?.process.kill('SIGKILL');
      process.exit(1);
    }
    // A worker that dies on its own is replaced after a second; one that could not even start,
    // after a pause doubling with each failed start; the timer keeps this process alive meanwhile.
    log(`worker ${worker.process.pid} exited (${signal ?? code}); starting another`);
    const pause = failedStarts ? Math.min(250 * 2 ** (failedStarts - 1), 5000) : 1000;
    setTimeout(() => {
      if (!stopping) fork();
    }, pause);
  });

  function stop(signal: NodeJS.Signals) {
    if (stopping) return;
    // SIGTERM (an orchestrator's): every worker drains as a single process does; SIGINT
    // (Ctrl-C): every worker stops at once.
    stopping = signal === 'SIGTERM' ? 'drain' : 'shutdown';
    const workers = Object.values(cluster.workers ?? {});
    log(`${signal}: stopping ${workers.length} workers`);
    if (workers.length === 0) process.exit(0);
    for (const worker of workers) if (worker?.isConnected()) worker.send(stopping);
  }
}
