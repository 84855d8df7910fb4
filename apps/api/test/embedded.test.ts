// The zero-setup default: embedded PostgreSQL (PGlite, migrated at start) and the in-process
// store. The whole flow works, data survives a restart, and one process at a time opens it.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { EmbeddedDatabaseBusy, LOCK_FILE, lockEmbeddedDatabase } from '../src/db/embedded-lock.ts';
import { buildTestApp, randomMobile, randomUsername, Visitor } from './helper.ts';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'register-embedded-'));
const embedded = { DATABASE_URL: undefined, REDIS_URL: undefined, DATA_DIR: dataDir };
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

describe('embedded backends', () => {
  it('registers, logs in and keeps users across restarts', async () => {
    const username = randomUsername('Emb');
    const mobile = randomMobile();
    const first = await buildTestApp(embedded);
    try {
      expect((await new Visitor(first).get('/api/health/')).body.data).toMatchObject({
        backends: { database: 'embedded', store: 'memory' },
      });
      const visitor = new Visitor(first);
      expect((await visitor.register(username, mobile)).status).toBe(200);
      expect((await visitor.get('/api/user/me/')).body.data).toMatchObject({ username, mobile });
      const duplicate = await new Visitor(first).register(username.toUpperCase(), randomMobile());
      expect(duplicate.status).toBe(409);
    } finally {
      await first.close();
    }

    const second = await buildTestApp(embedded);
    try {
      expect((await new Visitor(second).get(`/api/username/${username}/`)).body.data).toEqual({ username, count: 1 });
      const login = await new Visitor(second).post('/api/user/login/', { account: mobile, password: 'correct horse battery' });
      expect(login.status).toBe(200);
    } finally {
      await second.close();
    }
  });
});

describe('one process at a time (the lock file)', () => {
  const withDir = (run: (dir: string) => void | Promise<void>) => async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'register-lock-'));
    try {
      await run(dir);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };

  it(
    'refuses a second opener while the first holds it, even in the same process; released on close',
    withDir((dir) => {
      const release = lockEmbeddedDatabase(dir);
      expect(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8').trim()).toBe(String(process.pid));
      expect(() => lockEmbeddedDatabase(dir)).toThrow(EmbeddedDatabaseBusy);
      expect(() => lockEmbeddedDatabase(dir)).toThrow(
        `the embedded database in ${dir} is in use by process ${process.pid} (the API?): stop it first, or use DATABASE_URL`,
      );
      release();
      expect(fs.readdirSync(dir)).toEqual([]);
      lockEmbeddedDatabase(dir)();
    }),
  );

  it(
    "takes over a stale lock: a dead process's, its own pid from an earlier run (a container's pid 1), one naming no pid",
    withDir((dir) => {
      const dead = spawnSync(process.execPath, ['-e', '']).pid;
      for (const stale of [`${dead}\n`, `${process.pid}\n`, 'garbage']) {
        fs.writeFileSync(path.join(dir, LOCK_FILE), stale);
        const release = lockEmbeddedDatabase(dir);
        expect(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8').trim()).toBe(String(process.pid));
        release();
      }
      expect(fs.readdirSync(dir)).toEqual([]);
    }),
  );

  it(
    'pnpm db:migrate refuses while another process holds it',
    withDir((dir) => {
      fs.mkdirSync(path.join(dir, 'pglite'));
      const release = lockEmbeddedDatabase(path.join(dir, 'pglite'));
      try {
        const result = spawnSync(process.execPath, ['src/db/migrate-cli.ts', 'deploy'], {
          cwd: path.resolve(import.meta.dirname, '..'),
          env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', DATA_DIR: dir },
          encoding: 'utf8',
        });
        expect([result.status, result.stderr]).toEqual([
          1,
          `Cannot migrate: the embedded database in ${path.join(dir, 'pglite')} is in use by process ${process.pid} (the API?): stop it first, or use DATABASE_URL\n`,
        ]);
      } finally {
        release();
      }
    }),
  );
});

describe('pnpm db:migrate (the migration CLI)', () => {
  const cli = (env: Record<string, string>) =>
    spawnSync(process.execPath, ['src/db/migrate-cli.ts', 'deploy'], {
      cwd: path.resolve(import.meta.dirname, '..'),
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', ...env },
      encoding: 'utf8',
    });

  it('migrates the embedded database, then finds it up to date', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'register-migrate-'));
    try {
      expect(cli({ DATA_DIR: dir }).stdout).toMatch(/Applied to .*_init/);
      expect(cli({ DATA_DIR: dir }).stdout).toContain('Embedded database is up to date.');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("finds this run's PostgreSQL database up to date", () => {
    const result = cli({ DATABASE_URL: inject('databaseUrl') });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Database is up to date.');
  });
});
