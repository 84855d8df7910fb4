// `pnpm cli` for operators, run as a real process (node src/cli.ts) on this run's PostgreSQL and
// Redis, its prompts answered through stdin; what it did is read back from PostgreSQL and Redis,
// and through the API (one app, sharing the database and key prefix) as a visitor meets it.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AUTH_MESSAGES, Code } from '@register/contracts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { BYPASS_QUESTION } from '../src/modules/admin/createsuperuser.command.ts';
import { userSessionsKey } from '../src/modules/auth/user-sessions.ts';
import { buildTestApp, PASSWORD, randomMobile, randomUsername, Visitor } from './helper.ts';

const API_DIR = path.resolve(import.meta.dirname, '..');
const STRONG = 'violet tractor umbrella 42';
const MAX_FAILURES = 3;
/** A test's time: each CLI run is a process start (about 2 s, more on a busy machine). */
const SPAWNING = 60_000;

let app: FastifyInstance;
let backends: Record<string, string>;
beforeAll(async () => {
  app = await buildTestApp({ LOGIN_MAX_FAILURES: String(MAX_FAILURES), LOGIN_ACCOUNT_FREE_FAILURES: '7' });
  const redis = app.config.redis;
  backends = {
    DATABASE_URL: inject('databaseUrl'),
    REDIS_URL: inject('redisUrl'),
    REDIS_KEY_PREFIX: redis.keyPrefix,
  };
});
afterAll(() => app.close());

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The CLI as an operator runs it: `input` is what they type, one line per answer. */
function cli(args: string[], options: { input?: string; env?: Record<string, string | undefined> } = {}): Promise<Run> {
  const env = { PATH: process.env.PATH ?? '', NODE_ENV: 'test', LOG_LEVEL: 'silent', ...backends, ...options.env };
  const child = spawn(process.execPath, ['src/cli.ts', ...args], {
    cwd: API_DIR,
    env: Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined)),
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  child.stdin.end(options.input ?? '');
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const row = (username: string) => app.db.prisma.user.findFirst({ where: { usernameKey: username.toLowerCase() } });
const login = (account: string, password: string, ip = '172.31.200.10') =>
  new Visitor(app, ip).post('/api/user/login/', { account, password });
async function registered() {
  const username = randomUsername('Cli');
  const mobile = randomMobile();
  const browser = new Visitor(app, '172.31.200.1');
  expect((await browser.register(username, mobile)).status).toBe(200);
  return { username, mobile, browser };
}

describe('pnpm cli createsuperuser', { timeout: SPAWNING }, () => {
  it('asks for each field and the password twice, shows a refused password and asks whether to bypass', async () => {
    const username = randomUsername('Su');
    const mobile = randomMobile();
    const answers = [
      'no', // too short: asked again
      username,
      '12345', // not a mobile: asked again
      `+86 ${mobile}`,
      'admin@example.com',
      STRONG,
      'something else', // passwords differ: asked again
      '12345678',
      '12345678',
      'n', // not bypassed: asked again
      STRONG,
      STRONG,
    ];
    const run = await cli(['createsuperuser'], { input: `${answers.join('\n')}\n` });
    expect(run.stderr).toContain('Username must be 5-20 letters, digits or underscores.');
    expect(run.stderr).toContain('Enter an 11-digit mainland China mobile number');
    expect(run.stderr).toContain("Error: Your passwords didn't match.");
    expect(run.stderr).toContain('This password is entirely numeric.');
    expect(run.stdout).toContain(`${BYPASS_QUESTION} [y/N]`);
    expect(run.stdout).toContain('Superuser created successfully');
    expect(run.code).toBe(0);

    const user = await row(username);
    expect(user).toMatchObject({
      username,
      mobile,
      email: 'admin@example.com',
      isStaff: true,
      isSuperuser: true,
      isActive: true,
    });
    // Registration's argon2id parameters (config ARGON2_*).
    expect(user?.password).toMatch(/^\$argon2id\$v=19\$(?=[^$]*m=19456)(?=[^$]*t=2)(?=[^$]*p=1)/);
    expect((await login(mobile, STRONG)).status).toBe(200);
  });

  it('takes a refused password when the operator bypasses the validators, and a reserved name', async () => {
    const mobile = randomMobile();
    const username = `admin_${randomUsername('x').slice(2, 10)}`;
    const run = await cli(['createsuperuser', '--username', username], {
      input: `${mobile}\n\n12345678\n12345678\ny\n`,
    });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('This password is entirely numeric.');
    expect(await row(username)).toMatchObject({ isStaff: true, isSuperuser: true, email: '' });
    expect((await login(username, '12345678')).status).toBe(200);
  });

  it('ends with exit 1 when the input ends before every question is answered', async () => {
    const run = await cli(['createsuperuser'], { input: `${randomUsername('Eo')}\n` });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^Error: The input ended before every question was answered\.$/m);
  });

  it('--noinput takes the password from SUPERUSER_PASSWORD, and refuses every problem with exit 1 or 2', async () => {
    const username = randomUsername('Ni');
    const mobile = randomMobile();
    const noinput = (args: string[], password: string | null = STRONG) =>
      cli(['createsuperuser', '--noinput', ...args], { env: { SUPERUSER_PASSWORD: password ?? undefined } });

    const created = await noinput(['--username', username, '--mobile', mobile, '--email', 'ops@example.com']);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    expect(await row(username)).toMatchObject({ mobile, email: 'ops@example.com', isStaff: true, isSuperuser: true });

    const other = randomMobile();
    const refusals = await Promise.all([
      noinput(['--username', username.toUpperCase(), '--mobile', other]),
      noinput(['--username', randomUsername('Ni'), '--mobile', mobile]),
      noinput(['--username', randomUsername('Ni'), '--mobile', '1380013800']),
      noinput(['--username', randomUsername('Ni'), '--mobile', other], null),
      noinput(['--username', randomUsername('Ni'), '--mobile', other], 'password1'),
      noinput(['--mobile', other]),
    ]);
    expect(refusals.map((r) => [r.code, r.stderr.trim()])).toEqual([
      [1, 'Error: --username: That username is already taken.'],
      [1, 'Error: --mobile: That mobile number is already registered.'],
      [1, 'Error: --mobile: Enter an 11-digit mainland China mobile number, e.g. 13800138000.'],
      [1, 'Error: SUPERUSER_PASSWORD is not set: with --noinput the password is read from it.'],
      [1, expect.stringMatching(/^Error: SUPERUSER_PASSWORD: This password is too common\..*--bypass-password-validation/)],
      [2, 'error: --noinput needs --username'],
    ]);
    expect(await app.db.prisma.user.count({ where: { mobile: other } })).toBe(0);
  });
});

describe('pnpm cli users, deactivate, activate', { timeout: SPAWNING }, () => {
  it('lists users with filters', async () => {
    const { username } = await registered();
    const staff = randomUsername('St');
    await app.db.prisma.user.create({
      data: {
        username: staff,
        usernameKey: staff.toLowerCase(),
        mobile: randomMobile(),
        password: '-',
        isStaff: true,
        isSuperuser: true,
      },
    });
    const [all, staffOnly, inactive, bad] = await Promise.all([
      cli(['users', '--since', '1h']),
      cli(['users', '--staff']),
      cli(['users', '--inactive', '--limit', '5']),
      cli(['users', '--since', 'soon']),
    ]);
    expect(all.stdout).toContain(username);
    expect(all.stdout).toContain(staff);
    expect(staffOnly.stdout).toContain(staff);
    expect(staffOnly.stdout).not.toContain(username);
    expect(staffOnly.stdout.split('\n').find((l) => l.includes(staff))).toMatch(/\byes\s+yes\s+yes\b/);
    expect(inactive.stdout).not.toContain(username);
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringContaining('--since')]);
  });

  it('deactivate: login answers as for a wrong password, and the sessions end', async () => {
    const { username, mobile, browser } = await registered();
    const user = await row(username);
    const second = new Visitor(app, '172.31.200.2');
    expect((await second.post('/api/user/login/', { account: username, password: PASSWORD })).status).toBe(200);
    expect(await app.store.members(userSessionsKey(user?.id ?? 0))).toHaveLength(2);

    const run = await cli(['deactivate', username.toUpperCase()]);
    expect([run.code, run.stdout.trim()]).toEqual([0, `User "${username}" deactivated; 2 session(s) ended.`]);
    expect((await row(username))?.isActive).toBe(false);
    expect(await app.store.members(userSessionsKey(user?.id ?? 0))).toEqual([]);
    for (const visitor of [browser, second]) {
      const me = await visitor.get('/api/user/me/');
      expect([me.status, me.body.errno]).toEqual([401, Code.SESSIONERR]);
    }
    const right = await login(mobile, PASSWORD, '172.31.200.3');
    const wrong = await login(mobile, 'not the password', '172.31.200.3');
    expect([right.status, right.body.errno, right.body.errmsg]).toEqual([401, Code.LOGINERR, AUTH_MESSAGES.failed]);
    expect(right.body).toEqual(wrong.body);

    expect((await cli(['activate', username])).stdout.trim()).toBe(`User "${username}" activated.`);
    expect((await login(mobile, PASSWORD, '172.31.200.4')).status).toBe(200);
    expect(await cli(['deactivate', 'nobody_here'])).toMatchObject({
      code: 1,
      stderr: 'Error: There is no user named "nobody_here".\n',
    });
  });

  it("an inactive user's session stops working at its next request, even one the index never saw", async () => {
    const { username, browser } = await registered();
    await app.db.prisma.user.update({ where: { usernameKey: username.toLowerCase() }, data: { isActive: false } });
    expect((await browser.get('/api/user/me/')).status).toBe(401);
    expect((await browser.get('/api/user/session/')).body.data).toBeNull();
  });
});

describe('pnpm cli sessions end, changepassword', { timeout: SPAWNING }, () => {
  it('sessions end logs the user out everywhere, and they can log in again', async () => {
    const { username, browser } = await registered();
    const phone = new Visitor(app, '172.31.200.5');
    expect((await phone.post('/api/user/login/', { account: username, password: PASSWORD })).status).toBe(200);
    // Logging out takes a session out of the index.
    const third = new Visitor(app, '172.31.200.6');
    await third.post('/api/user/login/', { account: username, password: PASSWORD });
    await third.post('/api/user/logout/');

    const run = await cli(['sessions', 'end', username]);
    expect([run.code, run.stdout.trim()]).toEqual([0, `Ended 2 session(s) of "${username}".`]);
    expect((await browser.get('/api/user/me/')).status).toBe(401);
    expect((await phone.get('/api/user/me/')).status).toBe(401);
    expect((await phone.post('/api/user/login/', { account: username, password: PASSWORD })).status).toBe(200);
    expect((await phone.get('/api/user/me/')).status).toBe(200);
  });

  it('changepassword asks twice, holds the password to the rules, and ends the sessions', async () => {
    const { username, mobile, browser } = await registered();
    const run = await cli(['changepassword', username], {
      input: `${STRONG}\nother\n${username}1\n${username}1\n${STRONG}\n${STRONG}\n`,
    });
    expect(run.stderr).toContain('The two passwords do not match.');
    expect(run.stderr).toContain('The password is too similar to the username.');
    expect([run.code, run.stdout]).toEqual([
      0,
      expect.stringContaining(`Password changed for "${username}"; 1 session(s) ended.`),
    ]);
    expect((await row(username))?.password).toMatch(/^\$argon2id\$/);
    expect((await browser.get('/api/user/me/')).status).toBe(401);
    expect((await login(mobile, PASSWORD, '172.31.200.7')).status).toBe(401);
    expect((await login(mobile, STRONG, '172.31.200.7')).status).toBe(200);

    const refused = await cli(['changepassword', username], { input: 'a\na\nb\nb\nc\nc\n' });
    expect([refused.code, refused.stderr]).toEqual([1, expect.stringContaining('Password unchanged')]);
    expect((await login(mobile, STRONG, '172.31.200.8')).status).toBe(200);
  });
});

describe('pnpm cli throttle clear', { timeout: SPAWNING }, () => {
  const spend = async (account: string, ip: string) => {
    for (let i = 0; i < MAX_FAILURES; i++) expect((await login(account, 'wrong password 1', ip)).status).toBe(401);
    expect((await login(account, PASSWORD, ip)).status).toBe(429);
  };

  it('by username, mobile or address, lets a throttled login through and prints what it cleared', async () => {
    const { username, mobile } = await registered();
    await spend(username, '172.31.200.20');
    const byName = await cli(['throttle', 'clear', username]);
    expect(byName.code).toBe(0);
    expect(byName.stdout).toContain(`for user ${username}`);
    expect(byName.stdout).toMatch(/login failures \(identifier, client\)\s+\{login\}:pair:u:/);
    expect((await login(username, PASSWORD, '172.31.200.20')).status).toBe(200);

    await spend(mobile, '172.31.200.21');
    expect((await cli(['throttle', 'clear', `+86${mobile}`])).code).toBe(0);
    expect((await login(mobile, PASSWORD, '172.31.200.21')).status).toBe(200);

    await spend(username, '172.31.200.22');
    const byAddress = await cli(['throttle', 'clear', '172.31.200.22']);
    expect(byAddress.stdout).toContain('client 172.31.200.22');
    expect(byAddress.stdout).toMatch(/login delay of the client/);
    expect((await login(username, PASSWORD, '172.31.200.22')).status).toBe(200);
    expect((await cli(['throttle', 'clear', '172.31.200.99'])).stdout.trim()).toBe('Nothing to clear for client 172.31.200.99.');
  });

  it("clears a mobile's SMS cooldown and budgets", async () => {
    const mobile = randomMobile();
    const visitor = new Visitor(app, '172.31.200.30');
    expect((await visitor.requestSmsCode(mobile)).status).toBe(200);
    expect((await visitor.requestSmsCode(mobile)).status).toBe(429);
    const run = await cli(['throttle', 'clear', mobile]);
    expect(run.stdout).toContain('SMS resend cooldown');
    expect(run.stdout).toContain('SMS budget');
    expect((await visitor.requestSmsCode(mobile)).status).toBe(200);
  });

  it('says so, with exit 1, when the store is the API process’s own (no Redis)', async () => {
    const run = await cli(['throttle', 'clear', 'someone'], { env: { REDIS_URL: undefined } });
    expect([run.code, run.stderr]).toEqual([1, expect.stringContaining('No Redis is configured')]);
  });
});

describe('pnpm cli on the embedded database', { timeout: SPAWNING }, () => {
  // One process only: PGlite's start (WebAssembly, the migrations) takes seconds.
  it('creates a superuser in PGlite, migrated on the way', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'register-cli-'));
    try {
      const embedded = { DATABASE_URL: undefined, REDIS_URL: undefined, DATA_DIR: dataDir, SUPERUSER_PASSWORD: STRONG };
      const username = randomUsername('Pg');
      const created = await cli(['createsuperuser', '--noinput', '--username', username, '--mobile', randomMobile()], {
        env: embedded,
      });
      expect(created).toEqual({ code: 0, stdout: `Superuser created successfully: ${username} (id 1).\n`, stderr: '' });
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
