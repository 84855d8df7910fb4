// The database the services use: PostgreSQL through a pg pool when DATABASE_URL is set, or an
// embedded PGlite (migrated at start, one process at a time) so the service runs with no server at all.
import fs from 'node:fs';
import { PrismaPg } from '@prisma/adapter-pg';
import { Code, text } from '@register/contracts';
import type { FastifyBaseLogger } from 'fastify';
import pg from 'pg';
import type { Config } from '../config.ts';
import { AppError } from '../errors.ts';
import { PrismaClient } from '../generated/prisma/client.ts';
import { lockEmbeddedDatabase } from './embedded-lock.ts';

export type { PrismaClient };

export interface Database {
  readonly kind: 'postgres' | 'embedded';
  readonly prisma: PrismaClient;
  /**
   * A read in plain SQL on the same connections, for the hottest queries (the availability
   * checks): Prisma's query path costs several times the query itself there.
   */
  read<Row>(sql: string, values: unknown[]): Promise<Row[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export async function openDatabase(config: Config['database'], log: FastifyBaseLogger): Promise<Database> {
  if (config.kind === 'postgres') {
    const pool = new pg.Pool({
      connectionString: config.url,
      max: config.poolSize,
      // Fail fast when PostgreSQL is down or unreachable instead of queueing requests forever.
      connectionTimeoutMillis: config.connectTimeoutMs,
      idleTimeoutMillis: 30_000,
      // statement_timeout is enforced by the server, so it cannot help when the server or the path
      // stalls; query_timeout is ours. A query that times out fails with an error, and pg-pool
      // destroys a connection released with an error: it is never reused, desynchronised.
      statement_timeout: config.statementTimeoutMs,
      query_timeout: config.queryTimeoutMs,
      idle_in_transaction_session_timeout: config.queryTimeoutMs,
      // A dead peer on an idle connection is noticed by TCP itself, not at the next request.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
    // An idle connection killed by a PostgreSQL restart emits 'error' on the pool; unhandled, it
    // would crash the process. The pool replaces the connection by itself.
    pool.on('error', (err) => log.warn({ err }, 'idle PostgreSQL connection lost'));
    const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
    return {
      kind: 'postgres',
      prisma,
      read: async <Row>(sql: string, values: unknown[]) => (await pool.query(sql, values)).rows as Row[],
      ping: async () => void (await prisma.$queryRaw`SELECT 1`),
      close: async () => {
        await prisma.$disconnect();
        await pool.end().catch(() => {});
      },
    };
  }
  fs.mkdirSync(config.dir, { recursive: true });
  // PGlite allows one process per directory, and a second one loses writes without a word
  // (embedded-lock.ts): taken before anything is read, so the second opener fails at once.
  const unlock = lockEmbeddedDatabase(config.dir);
  try {
    // Loaded only here: PGlite and Prisma's schema engine are WebAssembly modules of tens of MB
    // that a server on PostgreSQL never needs.
    const [{ PGlite }, { PrismaPGlite }, { applyMigrations }] = await Promise.all([
      import('@electric-sql/pglite'),
      import('pglite-prisma-adapter'),
      import('./migrate.ts'),
    ]);
    const pglite = new PGlite(config.dir);
    try {
      const applied = await applyMigrations(new PrismaPGlite(pglite));
      if (applied.length) log.info({ applied }, 'embedded database migrated');
    } catch (error) {
      await pglite.close().catch(() => {});
      throw error;
    }
    const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
    return {
      kind: 'embedded',
      prisma,
      read: async <Row>(sql: string, values: unknown[]) => (await pglite.query<Row>(sql, values)).rows,
      ping: async () => void (await prisma.$queryRaw`SELECT 1`),
      close: async () => {
        try {
          await prisma.$disconnect();
          await pglite.close();
        } finally {
          unlock();
        }
      },
    };
  } catch (error) {
    unlock();
    throw error;
  }
}

/** The columns of a unique-constraint violation (P2002), or null for any other error. */
export function uniqueViolation(error: unknown): string[] | null {
  const e = error as { code?: string; meta?: { target?: unknown; driverAdapterError?: { cause?: Record<string, unknown> } } };
  if (e?.code !== 'P2002') return null;
  if (Array.isArray(e.meta?.target)) return e.meta.target.map(String);
  // adapter-pg leaves meta.target undefined; the constraint travels in the driver error's cause.
  const cause = e.meta?.driverAdapterError?.cause ?? {};
  const fields = (cause.constraint as { fields?: unknown } | undefined)?.fields ?? cause.fields;
  if (Array.isArray(fields)) return fields.map((f) => String(f).replace(/"/g, ''));
  const index = String(
    (cause.constraint as { index?: unknown } | undefined)?.index ?? cause.constraint ?? cause.originalMessage ?? '',
  );
  return [index];
}

/** Runs a database call; any failure but the ones the caller handles becomes a fast 503 DBERR. */
export async function dbCall<T>(run: () => Promise<T>, handles: (error: unknown) => boolean = () => false): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof AppError || handles(error)) throw error;
    throw new AppError(Code.DBERR, { message: text.service.databaseDown, cause: error });
  }
}
