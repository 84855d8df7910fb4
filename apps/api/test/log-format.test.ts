// LOG_FORMAT: readable lines (pino-pretty, loaded only for this format) or JSON lines, from a
// real `node src/server.ts`.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { freePort } from './free-port.ts';
import { testConfig } from './helper.ts';

/** The server's stdout until its "backends:" line, then stops it. */
async function firstLines(format: 'pretty' | 'json'): Promise<string> {
  const child = spawn(process.execPath, ['src/server.ts'], {
    cwd: path.resolve(import.meta.dirname, '..'),
    env: {
      ...process.env,
      NODE_ENV: 'test',
      LOG_FORMAT: format,
      LOG_LEVEL: 'info',
      PORT: String(await freePort()),
      DATABASE_URL: inject('databaseUrl'),
      REDIS_URL: inject('redisUrl'),
      REDIS_KEY_PREFIX: testConfig().redis.keyPrefix,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('backends:')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`exited ${code} before logging its backends:\n${out}`)));
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
  return out.split('\n').find((line) => line.includes('backends:')) ?? '';
}

describe('LOG_FORMAT', () => {
  it('pretty: readable lines with a level and a time, not JSON', async () => {
    const line = await firstLines('pretty');
    expect(line).toMatch(/^\[\d\d:\d\d:\d\d\] INFO: backends: database=postgres store=redis/);
  });

  it('json: one JSON object a line', async () => {
    const line = await firstLines('json');
    expect(JSON.parse(line)).toMatchObject({ level: 30, msg: expect.stringMatching(/^backends: database=postgres/) });
  });
});
