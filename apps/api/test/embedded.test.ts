// The zero-setup default: embedded PostgreSQL (PGlite, migrated at start) and the in-process
// store. The whole flow works, and data survives a restart.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
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
