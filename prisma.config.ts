// Prisma 7 CLI configuration. `prisma generate` needs no database; migrations are applied by
// apps/api/src/db/migrate-cli.ts (Prisma's WebAssembly schema engine), because the CLI's
// `migrate` commands need a native engine that cannot be downloaded on every machine.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres' },
});
