// `pnpm cli` for operators, run as a real process (node src/cli.ts) on this run's PostgreSQL and
// Redis, its prompts answered through stdin; what it did is read back from PostgreSQL and Redis,
// and through the API (one app, sharing the database and key prefix) as a visitor meets it.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AUTH_MESSAGES, Code, PASSWORD_MAX, PASSWORD_MIN, text } from '@register/contracts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { LOCK_FILE } from '../src/db/embedded-lock.ts';
import { AppError } from '../src/errors.ts';
import { BYPASS_QUESTION } from '../src/modules/admin/createsuperuser.command.ts';
import { sessionsValidAfterKey, userSessionsKey } from '../src/modules/auth/user-sessions.ts';
import { createPasswordHasher } from '../src/modules/users/passwords.ts';
import type { KvStore } from '../src/store/kv-store.ts';
import { freePort } from './free-port.ts';
import { buildTestApp, PASSWORD, randomMobile, randomUsername, Visitor } from './helper.ts';

const API_DIR = path.resolve(import.meta.dirname, '..');
const STRONG = 'violet tractor umbrella 42';
const MAX_FAILURES = 3;
/** A test's time: each CLI run is a process start (about 2 s, more on a busy machine). */
const SPAWNING = 60_000;
/** The one line a refused password length gets, bypass or not: the login route could never take it. */
const LENGTH_PROBLEM = `Password must be ${PASSWORD_MIN}-${PASSWORD_MAX} characters.`;

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

  it('never bypasses a length the login route refuses: asks again for a 1- or 200-character password', async () => {
    const username = randomUsername('Ln');
    const answers = [username, randomMobile(), '', 'x', 'x', 'y'.repeat(200), 'y'.repeat(200), '12345678', '12345678', 'y'];
    const run = await cli(['createsuperuser'], { input: `${answers.join('\n')}\n` });
    expect(run.code).toBe(0);
    expect(run.stderr.split('\n').filter((line) => line === `Error: ${LENGTH_PROBLEM}`)).toHaveLength(2);
    // Asked only for the numeric password, the one problem that may be bypassed.
    expect(run.stdout.split(BYPASS_QUESTION)).toHaveLength(2);
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

  it('--bypass-password-validation bypasses the policy, never the length bounds', async () => {
    const bypass = (password: string, mobile = randomMobile()) =>
      cli(
        ['createsuperuser', '--noinput', '--bypass-password-validation', '--username', randomUsername('By'), '--mobile', mobile],
        {
          env: { SUPERUSER_PASSWORD: password },
        },
      );
    const mobiles = [randomMobile(), randomMobile(), randomMobile()];
    const runs = await Promise.all([bypass('y'.repeat(200), mobiles[0]), bypass('x', mobiles[1]), bypass('12345678')]);
    expect(runs.map((r) => [r.code, r.stderr.trim()])).toEqual([
      [1, `Error: SUPERUSER_PASSWORD: ${LENGTH_PROBLEM}`],
      [1, `Error: SUPERUSER_PASSWORD: ${LENGTH_PROBLEM}`],
      [0, ''],
    ]);
    expect(await app.db.prisma.user.count({ where: { mobile: { in: mobiles.slice(0, 2) } } })).toBe(0);
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
    expect(await app.store.members(userSessionsKey(user?.id ?? 0), Date.now())).toHaveLength(2);

    const run = await cli(['deactivate', username.toUpperCase()]);
    expect([run.code, run.stdout.trim()]).toEqual([0, `User "${username}" deactivated; 2 session(s) ended.`]);
    expect((await row(username))?.isActive).toBe(false);
    expect(await app.store.members(userSessionsKey(user?.id ?? 0), Date.now())).toEqual([]);
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

describe('sessions the index does not know', { timeout: SPAWNING }, () => {
  /** What an old cookie gets from /me and /session, asked in either order (each alone refuses it). */
  const refused = async (visitor: Visitor, sessionFirst = false) => {
    const session = sessionFirst ? await visitor.get('/api/user/session/') : null;
    const me = await visitor.get('/api/user/me/');
    const after = session ?? (await visitor.get('/api/user/session/'));
    return [me.status, me.body.errno, after.status, after.body.data];
  };
  const REFUSED = [401, Code.SESSIONERR, 200, null];
  const loggedIn = async () => {
    const { username, mobile, browser } = await registered();
    const phone = new Visitor(app, '172.31.200.11');
    expect((await phone.post('/api/user/login/', { account: username, password: PASSWORD })).status).toBe(200);
    const id = (await row(username))?.id ?? 0;
    // Lost from the index: a session from before it, a key Redis evicted, a login racing the command.
    await app.store.delete(userSessionsKey(id));
    return { username, mobile, id, visitors: [browser, phone] };
  };

  it('sessions end: refused at their next request, and a new login works', async () => {
    const { username, id, visitors } = await loggedIn();
    const run = await cli(['sessions', 'end', username]);
    expect([run.code, run.stdout.trim()]).toEqual([0, `Ended 0 session(s) of "${username}".`]);
    expect(Number(await app.store.get(sessionsValidAfterKey(id)))).toBeGreaterThan(0);
    for (const visitor of visitors) expect(await refused(visitor)).toEqual(REFUSED);
    const [, phone] = visitors as [Visitor, Visitor];
    expect((await phone.post('/api/user/login/', { account: username, password: PASSWORD })).status).toBe(200);
    expect((await phone.get('/api/user/me/')).body.data).toMatchObject({ username });
    expect((await phone.get('/api/user/session/')).body.data).toMatchObject({ username });
  });

  it('changepassword: refused at their next request, and the new password logs in', async () => {
    const { username, mobile, visitors } = await loggedIn();
    const run = await cli(['changepassword', username], { input: `${STRONG}\n${STRONG}\n` });
    expect([run.code, run.stdout]).toEqual([0, expect.stringContaining('; 0 session(s) ended.')]);
    for (const visitor of visitors) expect(await refused(visitor, true)).toEqual(REFUSED);
    const fresh = new Visitor(app, '172.31.200.12');
    expect((await fresh.post('/api/user/login/', { account: mobile, password: STRONG })).status).toBe(200);
    expect((await fresh.get('/api/user/me/')).status).toBe(200);
  });

  it('a changed password refuses older sessions even without the epoch (its key evicted)', async () => {
    const { id, visitors } = await loggedIn();
    const [, phone] = visitors as [Visitor, Visitor];
    const hash = await createPasswordHasher(app.config.argon2).hash(STRONG);
    await app.db.prisma.user.update({ where: { id }, data: { password: hash } });
    expect(await app.store.get(sessionsValidAfterKey(id))).toBeNull();
    expect(await refused(phone)).toEqual(REFUSED);
  });

  it('a store failure while checking a session is a 503, never a user', async () => {
    let storeDown = false;
    const failing = (store: KvStore): KvStore => ({
      ...store,
      get: (key) =>
        storeDown && key.startsWith('sess-valid-after:')
          ? Promise.reject(new AppError(Code.SERVERERR, { status: 503, message: text.service.storeDown }))
          : store.get(key),
    });
    const other = await buildTestApp({}, { seams: { store: failing } });
    try {
      const visitor = new Visitor(other, '172.31.200.13');
      expect((await visitor.register(randomUsername('Sd'), randomMobile())).status).toBe(200);
      storeDown = true;
      for (const url of ['/api/user/me/', '/api/user/session/']) {
        const res = await visitor.get(url);
        expect([res.status, res.body.errno, res.body.data ?? null]).toEqual([503, Code.SERVERERR, null]);
      }
      storeDown = false;
      expect((await visitor.get('/api/user/me/')).status).toBe(200);
    } finally {
      await other.close();
    }
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

/** The API on the embedded backends, as `./pnpm start` runs it with no DATABASE_URL. */
async function startEmbeddedApi(dataDir: string) {
  const port = await freePort();
  const child = spawn(process.execPath, ['src/server.ts'], {
    cwd: API_DIR,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', LOG_LEVEL: 'silent', PORT: String(port), DATA_DIR: dataDir },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const base = `http://127.0.0.1:${port}/api`;
  await vi.waitFor(async () => expect((await fetch(`${base}/healthz`)).status).toBe(200), { timeout: 30_000, interval: 100 });
  return {
    pid: child.pid ?? 0,
    base,
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

describe('pnpm cli on the embedded database', { timeout: 2 * SPAWNING }, () => {
  // One directory for the whole story: PGlite's start (WebAssembly, the migrations) takes seconds.
  it('refuses while the API has it open (writing nothing), and takes over a stale lock', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'register-cli-'));
    const lock = path.join(dataDir, 'pglite', LOCK_FILE);
    try {
      const embedded = { DATABASE_URL: undefined, REDIS_URL: undefined, DATA_DIR: dataDir, SUPERUSER_PASSWORD: STRONG };
      const username = randomUsername('Pg');
      const create = () =>
        cli(['createsuperuser', '--noinput', '--username', username, '--mobile', randomMobile()], { env: embedded });

      const api = await startEmbeddedApi(dataDir);
      let stopped = false;
      try {
        expect(fs.readFileSync(lock, 'utf8').trim()).toBe(String(api.pid));
        const refused = await create();
        expect(refused).toEqual({
          code: 1,
          stdout: '',
          stderr: `Error: the embedded database in ${path.join(dataDir, 'pglite')} is in use by process ${api.pid} (the API?): stop it first, or use DATABASE_URL\n`,
        });
        const count = (await (await fetch(`${api.base}/username/${username}/`)).json()) as { data: unknown };
        expect(count.data).toEqual({ username, count: 0 });
        expect(await api.stop()).toBe(0);
        stopped = true;
      } finally {
        if (!stopped) await api.stop();
      }
      expect(fs.existsSync(lock)).toBe(false); // released at shutdown

      // A lock left by a process that is gone (kill -9, a crash) does not block.
      const dead = spawnSync(process.execPath, ['-e', '']).pid;
      fs.writeFileSync(lock, `${dead}\n`);
      const created = await create();
      expect(created).toEqual({ code: 0, stdout: `Superuser created successfully: ${username} (id 1).\n`, stderr: '' });
      expect(fs.existsSync(lock)).toBe(false);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
