// Offline replacement for `prisma migrate deploy` / `prisma migrate dev --create-only`.
// Prisma's CLI downloads a native schema engine at every migrate command, which machines without
// access to Prisma's host cannot do; the WebAssembly build of the same engine ships on npm and
// records applied migrations in the standard `_prisma_migrations` table, so a connected machine's
// `prisma migrate deploy` agrees with what this wrote.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { bindMigrationAwareSqlAdapterFactory, ColumnTypeEnum } from '@prisma/driver-adapter-utils';
import * as bg from '@prisma/schema-engine-wasm/schema_engine_bg';

const REPO_ROOT = path.resolve(import.meta.dirname, '../../../..');
export const SCHEMA_PATH = path.join(REPO_ROOT, 'prisma/schema.prisma');
export const MIGRATIONS_DIR = path.join(REPO_ROOT, 'prisma/migrations');
const PG_CHAR_OID = 18;
const PG_TEXT_OID = 25;
const FILTERS = { externalTables: [], externalEnums: [] };

// The WebAssembly global exists in Node; its types live in lib.dom, which a server does not load.
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const { WebAssembly } = globalThis as unknown as { WebAssembly: WasmApi };

let wasmReady = false;
function loadWasm(): void {
  if (wasmReady) return;
  // The engine reports a Rust panic's message through this global before throwing.
  const g = globalThis as { PRISMA_WASM_PANIC_REGISTRY?: { set_message(m: string): void } };
  g.PRISMA_WASM_PANIC_REGISTRY ??= { set_message: (m) => console.error(`schema engine panic: ${m}`) };
  const require = createRequire(import.meta.url);
  const file = path.join(path.dirname(require.resolve('@prisma/schema-engine-wasm/schema_engine_bg')), 'schema_engine_bg.wasm');
  const module = new WebAssembly.Module(fs.readFileSync(file));
  // biome-ignore lint/suspicious/noExplicitAny: wasm-bindgen glue is untyped
  const instance = new WebAssembly.Instance(module, { './schema_engine_bg.js': bg as any });
  // biome-ignore lint/suspicious/noExplicitAny: wasm-bindgen glue is untyped
  (bg as any).__wbg_set_wasm(instance.exports);
  // biome-ignore lint/suspicious/noExplicitAny: wasm-bindgen glue is untyped
  (instance.exports as any).__wbindgen_start();
  wasmReady = true;
}

function migrationsList() {
  fs.mkdirSync(MIGRATIONS_DIR, { recursive: true });
  const lock = path.join(MIGRATIONS_DIR, 'migration_lock.toml');
  return {
    baseDir: MIGRATIONS_DIR,
    lockfile: { path: 'migration_lock.toml', content: fs.existsSync(lock) ? fs.readFileSync(lock, 'utf8') : null },
    shadowDbInitScript: '',
    migrationDirectories: fs
      .readdirSync(MIGRATIONS_DIR, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort()
      .map((name) => ({
        path: name,
        migrationFile: {
          path: 'migration.sql',
          content: { tag: 'ok' as const, value: fs.readFileSync(path.join(MIGRATIONS_DIR, name, 'migration.sql'), 'utf8') },
        },
      })),
  };
}

async function openEngine(factory: SqlMigrationAwareDriverAdapterFactory) {
  loadWasm();
  const schema = fs.readFileSync(SCHEMA_PATH, 'utf8');
  return bg.SchemaEngine.new({ datamodels: [[SCHEMA_PATH, schema]] }, () => {}, bindMigrationAwareSqlAdapterFactory(factory));
}

/** Our own advisory lock key (Prisma's engine takes 72707369 for itself, see applyMigrations). */
export const MIGRATION_LOCK_KEY = 72_707_370;

/**
 * Applies every migration not yet recorded; returns the names it applied. Two processes doing
 * this at once (two replicas starting together, a migration job beside `pnpm db:migrate`) take
 * turns: the engine's connection first waits for our session-level advisory lock, so the second
 * one starts only when the first is done and finds nothing left to apply. The engine takes an
 * advisory lock of its own, but gives up after 10 s (a second deployment would fail rather than
 * wait) and never releases it on the connection it keeps, so once done we release every
 * advisory lock of that session (pg_advisory_unlock_all), ours and the engine's.
 */
export async function applyMigrations(factory: SqlMigrationAwareDriverAdapterFactory): Promise<string[]> {
  const held: { adapter?: SqlDriverAdapter } = {};
  const locking: SqlMigrationAwareDriverAdapterFactory = {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => {
      const adapter = await factory.connect();
      // The engine opens one connection for an apply; should it open more, only the first waits
      // (a second session of ours waiting for the first would wait forever).
      if (!held.adapter) {
        held.adapter = adapter;
        await adapter.executeScript(`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
      }
      return adapter;
    },
    connectToShadowDb: () => factory.connectToShadowDb(),
  };
  try {
    const engine = await openEngine(locking);
    const out = await engine.applyMigrations({ migrationsList: migrationsList(), filters: FILTERS });
    return out.appliedMigrationNames;
  } finally {
    await held.adapter?.executeScript('SELECT pg_advisory_unlock_all()').catch(() => {});
  }
}

/** Writes prisma/migrations/<timestamp>_<name>/migration.sql for the schema changes, or returns null when there are none. */
export async function createMigration(factory: SqlMigrationAwareDriverAdapterFactory, name: string): Promise<string | null> {
  const engine = await openEngine(factory);
  const list = migrationsList();
  const from = list.migrationDirectories.length ? { tag: 'migrations' as const, ...list } : { tag: 'empty' as const };
  const schema = { files: [{ path: SCHEMA_PATH, content: fs.readFileSync(SCHEMA_PATH, 'utf8') }] };
  const { stdout } = await engine.diff({
    from,
    to: { tag: 'schemaDatamodel', ...schema },
    script: true,
    exitCode: null,
    filters: FILTERS,
  });
  if (!stdout || /^-- This is an empty migration/.test(stdout.trim())) return null;
  const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
  const dir = path.join(MIGRATIONS_DIR, `${stamp}_${name}`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'migration.sql'), stdout);
  fs.writeFileSync(path.join(MIGRATIONS_DIR, 'migration_lock.toml'), 'provider = "postgresql"\n');
  return dir;
}

/**
 * A migration-aware adapter factory for a PostgreSQL server, working around adapter-pg 7.10.1:
 * its connectToShadowDb() keeps a connectionString's database (so the "shadow" is the main DB)
 * and leaks the temporary database; and it cannot decode the catalog type "char" (OID 18)
 * that the engine's introspection reads (pg_constraint.contype, for CHECK constraints). So:
 * discrete fields, our own shadow database dropped WITH (FORCE), and "char" decoded as text but
 * typed as Character. Its executeScript also splits scripts at every ';' (see below).
 */
export function postgresMigrationAdapter(
  databaseUrl: string,
): SqlMigrationAwareDriverAdapterFactory & { dropShadow(): Promise<void> } {
  const u = new URL(databaseUrl);
  const config = {
    host: u.hostname,
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password) || undefined,
    database: decodeURIComponent(u.pathname.slice(1)),
  };
  const shadowDb = `${config.database}_shadow`;
  const main = new PrismaPg(config);
  const shadow = new PrismaPg({ ...config, database: shadowDb });
  const admin = async (sql: string) => {
    const c = await main.connect();
    try {
      await c.executeScript(sql);
    } finally {
      await c.dispose();
    }
  };
  const patchChar = (adapter: SqlDriverAdapter): SqlDriverAdapter => {
    // biome-ignore lint/suspicious/noExplicitAny: patching internal methods of adapter-pg
    const a = adapter as any;
    // adapter-pg splits a migration script at every ';', which cuts dollar-quoted function bodies
    // apart. PostgreSQL's simple query protocol runs a multi-statement script as it is.
    a.executeScript = async (script: string) => {
      try {
        await a.client.query(script);
      } catch (error) {
        a.onError(error);
      }
    };
    const performIO = a.performIO.bind(a);
    const queryRaw = a.queryRaw.bind(a);
    let charColumns: number[] = [];
    // biome-ignore lint/suspicious/noExplicitAny: see above
    a.performIO = async (...args: any[]) => {
      const r = await performIO(...args);
      charColumns = [];
      (r.fields ?? []).forEach((f: { dataTypeID: number }, i: number) => {
        if (f.dataTypeID === PG_CHAR_OID) {
          f.dataTypeID = PG_TEXT_OID; // decodable by adapter-pg...
          charColumns.push(i);
        }
      });
      return r;
    };
    // ...and then typed as the Character column the engine's describer expects. The engine runs
    // its queries one at a time on this connection, so the indices of the last query are the right ones.
    // biome-ignore lint/suspicious/noExplicitAny: see above
    a.queryRaw = async (...args: any[]) => {
      const r = await queryRaw(...args);
      for (const i of charColumns) r.columnTypes[i] = ColumnTypeEnum.Character;
      return r;
    };
    return adapter;
  };
  return {
    provider: main.provider,
    adapterName: main.adapterName,
    connect: async () => patchChar(await main.connect()),
    connectToShadowDb: async () => {
      await admin(`DROP DATABASE IF EXISTS "${shadowDb}" WITH (FORCE)`);
      await admin(`CREATE DATABASE "${shadowDb}"`);
      return patchChar(await shadow.connect());
    },
    dropShadow: () => admin(`DROP DATABASE IF EXISTS "${shadowDb}" WITH (FORCE)`),
  };
}
