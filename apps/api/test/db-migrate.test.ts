// `pnpm db:migrate` as a person setting up meets it: a database that does not exist yet is
// created, and any failure is one line, never a stack trace.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';

const run = promisify(execFile);
const CLI = path.resolve(import.meta.dirname, '../src/db/migrate-cli.ts');
const admin = inject('databaseUrl');
const fresh = Object.assign(new URL(admin), { pathname: `/${new URL(admin).pathname.slice(1)}_fresh` }).toString();

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
  await client.query(`DROP DATABASE IF EXISTS "${new URL(fresh).pathname.slice(1)}" WITH (FORCE)`);
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

  it('says in one line why it cannot, with no stack trace and no password', async () => {
    const refused = await migrate('postgresql://postgres:secret-pw@127.0.0.1:1/nowhere');
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n')).toEqual([
      'Cannot migrate postgresql://postgres:***@127.0.0.1:1/nowhere: connect ECONNREFUSED 127.0.0.1:1',
    ]);
  });
});
