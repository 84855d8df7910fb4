// `pnpm db:migrate` as a person setting up meets it: a database that does not exist yet is
// created, and any failure is one line, never a stack trace. And migrations applied by several
// processes at once (replicas starting together) are applied once, each process succeeding.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { applyMigrations, postgresMigrationAdapter } from '../src/db/migrate.ts';

const run = promisify(execFile);
const CLI = path.resolve(import.meta.dirname, '../src/db/migrate-cli.ts');
const admin = inject('databaseUrl');
const sibling = (suffix: string) =>
  Object.assign(new URL(admin), { pathname: `/${new URL(admin).pathname.slice(1)}_${suffix}` }).toString();
const fresh = sibling('fresh');
const raced = sibling('raced');
const racedCli = sibling('raced_cli');

async function migrate(databaseUrl: string) {
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'test', DATABASE_URL: databaseUrl };
  return run(process.execPath, [CLI, 'deploy'], { env }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

afterAll(async () => {
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  for (const url of [fresh, raced, racedCli]) {
    await client.query(`DROP DATABASE IF EXISTS "${new URL(url).pathname.slice(1)}" WITH (FORCE)`);
  }
  await client.end();
});

describe('pnpm db:migrate', () => {
  it('creates a missing database, migrates it, and is a no-op the second time', async () => {
    const first = await migrate(fresh);
    expect(first).toMatchObject({ code: 0 });
    expect(first.stdout).toMatch(/^Created database \S+_fresh\.\nApplied: /);
    const client = new pg.Client({ connectionString: fresh });
    await client.connect();
    expect((await client.query('SELECT count(*)::int AS n FROM tb_user')).rows[0].n).toBe(0);
    await client.end();
    expect(await migrate(fresh)).toMatchObject({ code: 0, stdout: 'Database is up to date.\n' });
  }, 60_000);

  it('run twice at once on a missing database (two replicas starting together): both succeed, one applies', async () => {
    const results = await Promise.all([migrate(racedCli), migrate(racedCli)]);
    expect(results.map((r) => r.code)).toEqual([0, 0]);
    const outputs = results.map((r) => r.stdout).sort();
    expect(outputs.filter((out) => /Applied: /.test(out))).toHaveLength(1);
    expect(outputs.filter((out) => /Database is up to date\./.test(out))).toHaveLength(1);
  }, 60_000);

  it('says in one line why it cannot, with no stack trace and no password', async () => {
    const refused = await migrate('postgresql://postgres:secret-pw@127.0.0.1:1/nowhere');
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n')).toEqual([
      'Cannot migrate postgresql://postgres:***@127.0.0.1:1/nowhere: connect ECONNREFUSED 127.0.0.1:1',
    ]);
  });
});

describe('applyMigrations', () => {
  it('run three times at once on a fresh database, each with its own connections: every migration applied once, all succeed', async () => {
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    await client.query(`CREATE DATABASE "${new URL(raced).pathname.slice(1)}"`);
    await client.end();
    // Three replicas starting together, each with connections of its own.
    const adapters = [1, 2, 3].map(() => postgresMigrationAdapter(raced));
    const results = await Promise.all(adapters.map((adapter) => applyMigrations(adapter)));
    const migrations = fs.readdirSync(path.resolve(import.meta.dirname, '../../../prisma/migrations'), { withFileTypes: true });
    const names = migrations
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    // One of them applied everything; the others waited for it and found nothing left to do.
    expect(results.flat().sort()).toEqual(names);
    expect(results.filter((applied) => applied.length > 0)).toHaveLength(1);
    const db = new pg.Client({ connectionString: raced });
    await db.connect();
    try {
      const recorded = await db.query<{ migration_name: string; applied_steps_count: number; finished: boolean }>(
        'SELECT migration_name, applied_steps_count, finished_at IS NOT NULL AS finished FROM _prisma_migrations ORDER BY 1',
      );
      expect(recorded.rows).toEqual(names.map((name) => ({ migration_name: name, applied_steps_count: 1, finished: true })));
      // No session keeps our lock (or the engine's) once they are done.
      const locks = await db.query("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory'");
      expect(locks.rows[0].n).toBe(0);
    } finally {
      await db.end();
    }
  }, 60_000);
});
