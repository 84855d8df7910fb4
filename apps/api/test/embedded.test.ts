// The zero-setup default: embedded PostgreSQL (PGlite, migrated at start) and the in-process
// store. The whole flow works, and data survives a restart.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
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
