// pnpm db:migrate            -> apply prisma/migrations to DATABASE_URL
// pnpm db:migration <name>   -> write a new migration from prisma/schema.prisma changes
import { applyMigrations, createMigration, postgresMigrationAdapter } from './migrate.ts';

const [command, name = 'migration'] = process.argv.slice(2);
// This CLI is a tool beside the server, like Prisma's own CLI, so it reads DATABASE_URL itself.
const url = process.env.DATABASE_URL;
if (!url) {
  console.error('DATABASE_URL is not set (e.g. postgresql://postgres@127.0.0.1:5432/test).');
  process.exit(2);
}
const adapter = postgresMigrationAdapter(url);
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
