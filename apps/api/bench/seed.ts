// A database of its own for `pnpm bench`, migrated and seeded with many users in one SQL
// statement (generate_series and one precomputed argon2id hash), not through the API.
import pg from 'pg';
import { applyMigrations, postgresMigrationAdapter } from '../src/db/migrate.ts';

export const SEED_PASSWORD = 'correct horse battery';
/** Seeded users are seed_1 ... seed_N, mobiles 130 followed by N zero-padded to 8 digits. */
export const seedUsername = (n: number) => `seed_${n}`;
export const seedMobile = (n: number) => `130${String(n).padStart(8, '0')}`;

export async function createBenchDatabase(adminUrl: string, name: string, users: number, passwordHash: string) {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = Object.assign(new URL(adminUrl), { pathname: `/${name}` }).toString();
  const migration = postgresMigrationAdapter(url);
  await applyMigrations(migration);
  await migration.dropShadow();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(
    `INSERT INTO tb_user (password, username, username_key, mobile)
     SELECT $1, 'seed_' || g, 'seed_' || g, '130' || lpad(g::text, 8, '0') FROM generate_series(1, $2::int) AS g`,
    [passwordHash, users],
  );
  await client.query('ANALYZE tb_user');
  await client.end();
  return {
    url,
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    },
  };
}
