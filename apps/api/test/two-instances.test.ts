// Two API processes on one PostgreSQL and one Redis, as behind a load balancer: nothing one
// instance needs lives in the other's memory. A visitor's requests alternate between them, and
// the cooldown and the one-user-per-username rule hold across both under concurrent requests.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { freePort } from './free-port.ts';
import { PASSWORD, randomMobile, randomUsername, testConfig } from './helper.ts';
import { httpVisitor } from './http-visitor.ts';

const API_DIR = path.resolve(import.meta.dirname, '..');
const instances: { base: string; child: ChildProcess }[] = [];

beforeAll(async () => {
  const shared = {
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    DATABASE_URL: inject('databaseUrl'),
    REDIS_URL: inject('redisUrl'),
    REDIS_KEY_PREFIX: testConfig().redis.keyPrefix,
    SESSION_SECRET: 's'.repeat(40),
    CODE_SECRET: 'c'.repeat(40),
    CAPTCHA_TEST_TEXT: 'ABCD',
    // Every request here comes from one address; the limits have tests of their own.
    RATE_LIMIT_MAX: '1000000',
    CAPTCHA_LIMIT_MAX: '1000000',
    SMS_LIMIT_MAX: '1000000',
  };
  for (let i = 0; i < 2; i++) {
    const port = await freePort();
    const child = spawn(process.execPath, ['src/server.ts'], {
      cwd: API_DIR,
      env: { ...shared, PORT: String(port) },
      stdio: 'ignore',
    });
    instances.push({ base: `http://127.0.0.1:${port}/api`, child });
  }
  for (const { base } of instances) {
    await vi.waitFor(async () => expect((await fetch(`${base}/readyz`)).status).toBe(200), { timeout: 20_000, interval: 100 });
  }
}, 60_000);
afterAll(async () => {
  for (const { child } of instances) child.kill('SIGTERM');
  await Promise.all(
    instances.map(
      ({ child }) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve))),
    ),
  );
});

/** A browser: one cookie jar, whichever instance answers. */
function browser() {
  const remote = httpVisitor();
  return (instance: number, route: string, body?: object) =>
    // biome-ignore lint/suspicious/noExplicitAny: envelopes of several routes, read by the tests
    remote.request<any>(body ? 'POST' : 'GET', `${instances[instance]?.base}${route}`, body);
}
const codeOf = async (mobile: string) => {
  const envelope = (await (await fetch(`${instances[1]?.base}/__dev/sms/${mobile}/`)).json()) as { data: { code: string } };
  return envelope.data.code;
};

describe('two instances behind one address', () => {
  it('carry one visitor from captcha to login, whichever instance answers each step', async () => {
    const visit = browser();
    const username = randomUsername('Two');
    const mobile = randomMobile();
    expect((await visit(0, '/image_code/')).status).toBe(200);
    expect((await visit(1, '/sms_code/', { mobile, captcha: 'ABCD' })).status).toBe(200);
    const code = await codeOf(mobile);
    const registered = await visit(0, '/user/register/', {
      username,
      password: PASSWORD,
      password_repeat: PASSWORD,
      mobile,
      sms_code: code,
    });
    expect(registered).toMatchObject({ status: 200, body: { data: { username, loggedIn: true } } });
    expect((await visit(1, '/user/me/')).body.data.username).toBe(username);
    const again = browser();
    expect((await again(1, '/user/login/', { account: mobile, password: PASSWORD })).status).toBe(200);
    expect((await again(0, '/user/me/')).body.data.username).toBe(username);
  });

  it('hold the cooldown across both: of 20 concurrent requests for one number, one is sent', async () => {
    const mobile = randomMobile();
    const visitors = Array.from({ length: 20 }, () => browser());
    await Promise.all(visitors.map((visit, i) => visit(i % 2, '/image_code/')));
    const sends = await Promise.all(visitors.map((visit, i) => visit(i % 2, '/sms_code/', { mobile, captcha: 'ABCD' })));
    expect(sends.map((s) => s.status).sort()).toEqual([200, ...Array(19).fill(429)]);
  });

  it('hold one user per username across both, under concurrent registrations', async () => {
    const username = randomUsername('One');
    const visitors = Array.from({ length: 10 }, () => ({ visit: browser(), mobile: randomMobile() }));
    for (const [i, { visit, mobile }] of visitors.entries()) {
      await visit(i % 2, '/image_code/');
      expect((await visit((i + 1) % 2, '/sms_code/', { mobile, captcha: 'ABCD' })).status).toBe(200);
    }
    const codes = await Promise.all(visitors.map(({ mobile }) => codeOf(mobile)));
    const results = await Promise.all(
      visitors.map(({ visit, mobile }, i) =>
        visit(i % 2, '/user/register/', { username, password: PASSWORD, password_repeat: PASSWORD, mobile, sms_code: codes[i] }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, ...Array(9).fill(409)]);
  });
});
