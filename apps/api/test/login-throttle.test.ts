// The login policy through HTTP, on the real PostgreSQL and Redis, as an attacker and as the
// account's owner would meet it. Login windows follow the injected clock (their keys carry the
// window), so the test moves time on the real Redis instead of waiting.
import { AUTH_MESSAGES } from '@register/contracts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, manualClock, PASSWORD, type Reply, randomMobile, randomUsername, Visitor } from './helper.ts';

const MAX_FAILURES = 3; // per (identifier, client)
const PER_CLIENT = 20;
const FREE = 10; // per account before delays
const MAX_DELAY = 30;
const WINDOW_S = 900;

const clock = manualClock();
/** id.issued.signature: a random id, the issue time (base 36 seconds), an HMAC. */
const DEVICE_TOKEN = /^[\w-]{22}\.[0-9a-z]+\.[\w-]{43}$/;
let app: FastifyInstance;
beforeAll(async () => {
  app = await buildTestApp(
    {
      LOGIN_MAX_FAILURES: String(MAX_FAILURES),
      LOGIN_MAX_FAILURES_PER_CLIENT: String(PER_CLIENT),
      LOGIN_ACCOUNT_FREE_FAILURES: String(FREE),
      LOGIN_BASE_DELAY_SECONDS: '1',
      LOGIN_MAX_DELAY_SECONDS: String(MAX_DELAY),
      LOGIN_WINDOW_SECONDS: String(WINDOW_S),
    },
    { clock },
  );
});
afterAll(() => app.close());

let clients = 0;
/** A client address of its own for each call: tests never share a budget by accident. */
const freshIp = () => {
  clients++;
  return `10.${(clients >> 16) & 255}.${(clients >> 8) & 255}.${clients & 255}`;
};
const login = (ip: string, account: string, password = 'wrong password 1') =>
  new Visitor(app, ip).post('/api/user/login/', { account, password });
async function newUser() {
  const username = randomUsername('Lg');
  const mobile = randomMobile();
  const browser = new Visitor(app, freshIp());
  const res = await browser.register(username, mobile);
  expect(res.status).toBe(200);
  /** The device cookie the registering browser was given. */
  const device = browser.cookies.get('device') ?? '';
  return { username, mobile, device };
}
/** A login from `ip` carrying a device cookie. */
const loginWithDevice = (ip: string, device: string, account: string, password = 'wrong password 1') => {
  const visitor = new Visitor(app, ip);
  visitor.cookies.set('device', device);
  return visitor.post('/api/user/login/', { account, password });
};
/** Many clients spend the account's free failures: from now on, each failure delays the next attempt. */
async function putInDelay(account: string) {
  for (let i = 0; i < FREE + 1; i++) await login(freshIp(), account);
}
/** A 429 as every login budget answers it: one sentence, Retry-After in the header and the data. */
function expectThrottled(res: Reply) {
  expect(res.status).toBe(429);
  expect(res.body).toEqual({ errno: '4201', errmsg: AUTH_MESSAGES.throttled, data: { retryAfter: expect.any(Number) } });
  expect(res.headers['retry-after']).toBe(String(res.body.data?.retryAfter));
}
/** Moves the clock to the start of the next login window. */
const nextWindow = () => clock.advance(WINDOW_S * 1000 - (clock() % (WINDOW_S * 1000)));

describe('the (identifier, client) budget', () => {
  it('is reached, refuses with the envelope and Retry-After, and resets in the next window', async () => {
    const { username } = await newUser();
    const ip = freshIp();
    for (let i = 0; i < MAX_FAILURES; i++) expect((await login(ip, username)).status).toBe(401);
    const refused = await login(ip, username, PASSWORD); // even the right password
    expectThrottled(refused);
    expect(refused.body.data?.retryAfter).toBeLessThanOrEqual(WINDOW_S);
    clock.advance((refused.body.data?.retryAfter ?? 0) * 1000);
    expect((await login(ip, username, PASSWORD)).status).toBe(200);
  });

  it('does not count refused requests: an attacker who keeps trying does not spend more', async () => {
    nextWindow();
    const { username } = await newUser();
    const ip = freshIp();
    for (let i = 0; i < MAX_FAILURES; i++) await login(ip, username);
    for (let i = 0; i < 30; i++) expectThrottled(await login(ip, username));
    // 33 requests, but only 3 failures counted: the client's wider budget (20) still has room.
    const other = await newUser();
    expect((await login(ip, other.username)).status).toBe(401);
  });

  it('counts parallel guesses as they arrive: a burst cannot outrun it', async () => {
    const { username } = await newUser();
    const ip = freshIp();
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => login(ip, username, `guess-${i}-xx`)));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(MAX_FAILURES);
    expect(statuses.filter((s) => s === 429)).toHaveLength(12 - MAX_FAILURES);
  });

  it('is per client: IPv6 addresses in one /64 share it, another /64 does not', async () => {
    const { username } = await newUser();
    for (let i = 0; i < MAX_FAILURES; i++) await login(`2001:db8:77:1::${i + 1}`, username);
    expectThrottled(await login('2001:db8:77:1:ffff:ffff:ffff:ffff', username));
    expect((await login('2001:db8:77:2::1', username)).status).toBe(401);
  });

  it('a success refunds the attempt and forgets the client\u2019s failures, by username or mobile', async () => {
    const { username, mobile } = await newUser();
    const ip = freshIp();
    for (let i = 0; i < MAX_FAILURES - 1; i++) await login(ip, username);
    expect((await login(ip, mobile, PASSWORD)).status).toBe(200);
    // The username's failures from this client are forgotten: a full budget again.
    for (let i = 0; i < MAX_FAILURES; i++) expect((await login(ip, username)).status).toBe(401);
    expectThrottled(await login(ip, username));
  });
});

describe('never against the owner', () => {
  it('200 successful logins from one client for one account are never refused', async () => {
    const { username } = await newUser();
    const ip = freshIp();
    const statuses: number[] = [];
    // In batches as large as the pair budget: an attempt counts while its password is checked
    // (that is what stops parallel guessing), so more logins than that at the same instant would
    // look like a burst of guesses.
    while (statuses.length < 200) {
      const batch = await Promise.all(Array.from({ length: MAX_FAILURES }, () => login(ip, username, PASSWORD)));
      statuses.push(...batch.map((r) => r.status));
    }
    statuses.length = 200;
    expect(statuses).toHaveLength(200);
    expect(statuses.every((s) => s === 200)).toBe(true);
  });

  it('after 1,000 wrong attempts from many clients, the owner logs in from a fresh client within the maximum delay', async () => {
    nextWindow();
    const { username, mobile } = await newUser();
    const statuses = new Map<number, number>();
    let verified = 0;
    for (let i = 0; i < 1000; i++) {
      const ip = `172.16.${Math.floor(i / 10) % 256}.${i % 10}`; // 100 clients, 10 attempts each
      const res = await login(ip, i % 2 ? username : mobile, `guess-${i}`);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status === 401) verified++;
      clock.advance(500); // the attack takes 500 s of the injected clock
    }
    expect(verified + (statuses.get(429) ?? 0)).toBe(1000);
    // Past the free failures, each one makes the next wait longer: few guesses were ever checked.
    expect(verified).toBeLessThan(FREE + 30);

    const owner = freshIp();
    const first = await login(owner, username, PASSWORD);
    if (first.status === 429) {
      expectThrottled(first);
      expect(first.body.data?.retryAfter).toBeLessThanOrEqual(MAX_DELAY);
      clock.advance((first.body.data?.retryAfter ?? 0) * 1000);
      expect((await login(owner, username, PASSWORD)).status).toBe(200);
    } else {
      expect(first.status).toBe(200);
    }
  });

  it('delays progressively, capped at the maximum, and a refused attempt does not extend the delay', async () => {
    nextWindow();
    const { username } = await newUser();
    for (let i = 0; i < FREE; i++) expect((await login(freshIp(), username)).status).toBe(401);
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      expect((await login(freshIp(), username)).status).toBe(401);
      const refused = await login(freshIp(), username);
      expectThrottled(refused);
      waits.push(refused.body.data?.retryAfter ?? 0);
      // Knocking while refused changes nothing.
      expectThrottled(await login(freshIp(), username));
      clock.advance((refused.body.data?.retryAfter ?? 0) * 1000);
    }
    expect(waits).toEqual([1, 2, 4, 8, 16, MAX_DELAY, MAX_DELAY, MAX_DELAY]);
  });
});

describe('device cookies', () => {
  it('an attacker who keeps the account in its delay never slows the browser the owner used before', async () => {
    nextWindow();
    const { username, device } = await newUser();
    expect(device).toMatch(DEVICE_TOKEN);
    await putInDelay(username);
    // The attacker fires again the moment each delay ends, renewing it...
    let renewed = 0;
    while (renewed < 8) {
      const attack = await login(freshIp(), username);
      if (attack.status === 429) {
        clock.advance((attack.body.data?.retryAfter ?? 1) * 1000);
        continue;
      }
      renewed++;
      // ...so a browser without the cookie, right password or not, meets the delay...
      const stranger = await login(freshIp(), username, PASSWORD);
      expectThrottled(stranger);
      expect(stranger.body.data?.retryAfter).toBeLessThanOrEqual(MAX_DELAY);
      // ...while the owner's own browser, from any address, gets in at once.
      expect((await loginWithDevice(freshIp(), device, username, PASSWORD)).status).toBe(200);
    }
  });

  it('a login renews the cookie; it is good for its own account only, and a forged one counts for nothing', async () => {
    nextWindow();
    const owner = await newUser();
    const other = await newUser();
    await putInDelay(other.username);
    expectThrottled(await loginWithDevice(freshIp(), owner.device, other.username, PASSWORD));
    const forged = owner.device.replace(/[\w-]{43}$/, 'A'.repeat(43));
    expectThrottled(await loginWithDevice(freshIp(), forged, other.username, PASSWORD));
    const browser = new Visitor(app, freshIp());
    browser.cookies.set('device', other.device);
    clock.advance(MAX_DELAY * 1000);
    expect((await browser.post('/api/user/login/', { account: other.username, password: PASSWORD })).status).toBe(200);
    const renewed = browser.cookies.get('device');
    expect(renewed).toMatch(DEVICE_TOKEN);
    expect(renewed).not.toBe(other.device);
    const cookie = String((await loginWithDevice(freshIp(), renewed ?? '', other.username, PASSWORD)).headers['set-cookie']);
    expect(cookie).toMatch(/device=[^;]+; Max-Age=31536000; Path=\/api\/user\/login; HttpOnly; SameSite=Strict/);
  });

  it('a known device has a strict budget of its own; once spent, it is a stranger again', async () => {
    nextWindow();
    const { username, device } = await newUser();
    const thief = freshIp();
    for (let i = 0; i < MAX_FAILURES; i++) expect((await loginWithDevice(thief, device, username)).status).toBe(401);
    await putInDelay(username);
    // The device's budget is spent: the cookie now buys nothing, the account's delay applies.
    expectThrottled(await loginWithDevice(freshIp(), device, username, PASSWORD));
    nextWindow();
    expect((await loginWithDevice(freshIp(), device, username, PASSWORD)).status).toBe(200);
  });

  it('a neighbour behind the same address cannot lock the known browser out, nor can an old or doubled cookie', async () => {
    nextWindow();
    const { username, mobile, device } = await newUser();
    const nat = freshIp();
    for (let i = 0; i < MAX_FAILURES; i++) {
      await login(nat, username);
      await login(nat, mobile);
    }
    expectThrottled(await login(nat, username, PASSWORD)); // a stranger behind that address waits
    expect((await loginWithDevice(nat, device, username, PASSWORD)).status).toBe(200);
    // A cookie planted beside the real one does not hide it.
    const doubled = new Visitor(app, nat);
    const res = await doubled.request({
      method: 'POST',
      url: '/api/user/login/',
      payload: { account: mobile, password: PASSWORD },
      headers: { cookie: `device=planted.by.sibling; device=${doubled.cookies.get('device') ?? device}` },
    });
    expect(res.status).toBe(200);
    // Past DEVICE_COOKIE_TTL_DAYS a cookie is worth nothing, even with a valid signature.
    clock.advance(366 * 86_400_000);
    await putInDelay(username);
    expectThrottled(await loginWithDevice(freshIp(), device, username, PASSWORD));
  });
});

describe('identifiers', () => {
  it('a username shaped like a mobile number never stands for that mobile in a budget', async () => {
    nextWindow();
    const victim = await newUser();
    // An account whose username is the victim's mobile (registration refuses such names now;
    // older or operator-made accounts may have one).
    const attacker = await newUser();
    await app.db.prisma.user.update({
      where: { mobile: attacker.mobile },
      data: { username: victim.mobile, usernameKey: victim.mobile },
    });
    const ip = freshIp();
    for (let i = 0; i < MAX_FAILURES; i++) await login(ip, victim.mobile);
    // The attacker's own success (by his mobile) forgets his identifiers, not the victim's.
    expect((await login(ip, attacker.mobile, PASSWORD)).status).toBe(200);
    expectThrottled(await login(ip, victim.mobile));
  });
});

describe('what a refusal reveals', () => {
  it('failing as a username, then trying its mobile, answers as an unrelated mobile does', async () => {
    nextWindow();
    const { username, mobile } = await newUser();
    const ip = freshIp();
    for (let i = 0; i < MAX_FAILURES; i++) await login(ip, username);
    expectThrottled(await login(ip, username));
    const itsMobile = await login(ip, mobile);
    const unrelated = await login(ip, randomMobile());
    expect(itsMobile.status).toBe(401);
    expect(itsMobile.body).toEqual(unrelated.body);
  });

  it('one client spraying many accounts meets its own progressive delay, with the same answer', async () => {
    nextWindow();
    const ip = freshIp();
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const account = randomUsername('Spray');
      for (let j = 0; j < MAX_FAILURES; j++) statuses.push((await login(ip, account)).status);
    }
    // Its free failures, one more (which starts the delay), then refusals: a delay, not a lock.
    expect(statuses.slice(0, PER_CLIENT + 1).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(PER_CLIENT + 1).every((s) => s === 429)).toBe(true);
    const refused = await login(ip, randomUsername('Spray'));
    expectThrottled(refused);
    expect(refused.body.data?.retryAfter).toBe(1);
    expect((await login(freshIp(), randomUsername('Spray'))).status).toBe(401);
    clock.advance(1000);
    expect((await login(ip, randomUsername('Spray'))).status).toBe(401);
  });

  it('unknown accounts are delayed like known ones', async () => {
    nextWindow();
    const ghost = randomUsername('Ghost');
    for (let i = 0; i < FREE + 1; i++) expect((await login(freshIp(), ghost)).status).toBe(401);
    expectThrottled(await login(freshIp(), ghost));
  });
});
