// pnpm db:migrate            -> apply prisma/migrations to DATABASE_URL (or the embedded database)
// pnpm db:migration <name>   -> write a new migration from prisma/schema.prisma changes (needs DATABASE_URL)
import fs from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { ConfigError, loadConfig } from '../config.ts';
import { loadEnvFile } from '../env-file.ts';
import { EmbeddedDatabaseBusy, lockEmbeddedDatabase } from './embedded-lock.ts';
import { ensureDatabase } from './ensure-database.ts';
import { applyMigrations, createMigration, postgresMigrationAdapter } from './migrate.ts';

loadEnvFile();
const [command, name = 'migration'] = process.argv.slice(2);
let database: ReturnType<typeof loadConfig>['database'];
try {
  database = loadConfig().database;
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(78);
}

if (command === 'deploy' && database.kind === 'embedded') {
  fs.mkdirSync(database.dir, { recursive: true });
  try {
    lockEmbeddedDatabase(database.dir); // released at exit
  } catch (error) {
    if (!(error instanceof EmbeddedDatabaseBusy)) throw error;
    console.error(`Cannot migrate: ${error.message}`);
    process.exit(1);
  }
  const pglite = new PGlite(database.dir);
  const applied = await applyMigrations(new PrismaPGlite(pglite));
  console.log(applied.length ? `Applied to ${database.dir}: ${applied.join(', ')}` : 'Embedded database is up to date.');
  await pglite.close();
  process.exit(0);
}
if (database.kind !== 'postgres') {
  console.error('DATABASE_URL is not set (e.g. postgresql://postgres@127.0.0.1:5432/test).');
  process.exit(2);
}

// One line for any failure (a server that refuses, a wrong password), never a stack trace.
const fail = (error: unknown): never => {
  const message = error instanceof Error ? error.message || (error as { code?: string }).code || error.name : String(error);
  console.error(`Cannot migrate ${redacted(database.url)}: ${message}`);
  process.exit(1);
};
if (command === 'deploy') {
  const created = await ensureDatabase(database.url).catch(fail);
  if (created) console.log(`Created database ${decodeURIComponent(new URL(database.url).pathname.slice(1))}.`);
}

const adapter = postgresMigrationAdapter(database.url);
try {
  if (command === 'deploy') {
    const applied = await applyMigrations(adapter);
    console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'Database is up to date.');
  } else if (command === 'create') {
    const dir = await createMigration(adapter, name);
    console.log(dir ? `Created ${dir}` : 'No schema changes.');
  } else {
    console.error('usage: migrate-cli deploy | create <name>');
    process.exit(2);
  }
} catch (error) {
  fail(error);
} finally {
  await adapter.dropShadow().catch(() => {});
}
process.exit(0);

/** The URL without its password, for messages. */
function redacted(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}
