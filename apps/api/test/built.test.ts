// The API as `pnpm start`, the benchmarks and the image run it: compiled by scripts/build-api.ts
// and started with BUILT_API's flags, type stripping off. Anything of the build that still
// reached for a TypeScript file (a worker started by file name, a contracts import resolved to
// its sources) would fail here instead of quietly loading Node's TypeScript stripper back.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { buildApi } from '../../../scripts/build-api.ts';
import { API_RUNTIME, BUILT_API } from '../src/runtime.ts';
import { freePort } from './free-port.ts';
import { testConfig } from './helper.ts';

const API_DIR = path.resolve(import.meta.dirname, '..');
const childrenOf = (pid: number) =>
  fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);

describe('the compiled API', () => {
  let base = '';
  let exited: Promise<number | null>;
  let child: ReturnType<typeof spawn>;

  beforeAll(async () => {
    buildApi();
    const port = await freePort();
    child = spawn(process.execPath, [...API_RUNTIME.execArgv, ...BUILT_API.execArgv, BUILT_API.entry], {
      cwd: API_DIR,
      env: {
        ...process.env,
        ...API_RUNTIME.env,
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        PORT: String(port),
        DATABASE_URL: inject('databaseUrl'),
        REDIS_URL: inject('redisUrl'),
        REDIS_KEY_PREFIX: testConfig().redis.keyPrefix,
        WEB_CONCURRENCY: '2',
        CAPTCHA_RENDER_THREADS: '1',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    exited = new Promise((resolve) => child.once('exit', resolve));
    base = `http://127.0.0.1:${port}`;
    await vi.waitFor(async () => expect((await fetch(`${base}/api/readyz`)).status).toBe(200), {
      timeout: 30_000,
      interval: 100,
    });
  }, 60_000);
  afterAll(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });

  it('holds no TypeScript: every module of the API and of the contracts it imports is JavaScript', () => {
    const files = (dir: string): string[] =>
      fs
        .readdirSync(dir, { withFileTypes: true, recursive: true })
        .flatMap((e) => (e.isFile() ? [path.join(e.parentPath, e.name)] : []));
    const built = [...files(path.join(API_DIR, 'dist')), ...files(path.join(API_DIR, '../../packages/contracts/dist'))];
    expect(built.filter((f) => f.endsWith('.js')).length).toBeGreaterThan(100);
    expect(built.filter((f) => f.endsWith('.ts'))).toEqual([]);
    expect(fs.existsSync(path.join(API_DIR, 'dist/modules/captcha/captcha.worker.js'))).toBe(true);
  });

  it('serves from two cluster workers on PostgreSQL and Redis, a captcha drawn in a render thread', async () => {
    expect(childrenOf(child.pid ?? 0)).toHaveLength(2);
    const health = await (await fetch(`${base}/api/health/`)).json();
    expect(health).toMatchObject({
      errno: '0',
      data: { database: 'ok', store: 'ok', backends: { database: 'postgres', store: 'redis' } },
    });
    const image = await fetch(`${base}/api/image_code/`);
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/png');
    expect(
      Buffer.from(await image.arrayBuffer())
        .subarray(1, 4)
        .toString(),
    ).toBe('PNG');
    const check = await (await fetch(`${base}/api/username/built_${Date.now()}/`)).json();
    expect(check).toMatchObject({ errno: '0', data: { count: 0 } });
  });

  it('stops both workers on SIGTERM to the primary and exits 0', async () => {
    const workers = childrenOf(child.pid ?? 0);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    for (const pid of workers) expect(fs.existsSync(`/proc/${pid}`)).toBe(false);
  });
});
