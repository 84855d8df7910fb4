// pnpm db:migrate            -> apply prisma/migrations to DATABASE_URL (or the embedded database)
// pnpm db:migration <name>   -> write a new migration from prisma/schema.prisma changes (needs DATABASE_URL)
import fs from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { ConfigError, loadConfig } from '../config.ts';
import { applyMigrations, createMigration, postgresMigrationAdapter } from './migrate.ts';

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

const adapter = postgresMigrationAdapter(database.url);
try {
  if (command === 'deploy') {
    const applied = await applyMigrations(adapter);
    console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'Database is up to date.');
  } else if (command === 'create') {
    const dir = await createMigration(adapter, name);
    console.log(dir ? `Created ${dir}` : 'No schema changes.');
  } else {
    console.error('usage: migrate-cli.ts deploy | create <name>');
    process.exit(2);
  }
} finally {
  await adapter.dropShadow();
}
process.exit(0);
