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
  const res = await new Visitor(app, freshIp()).register(username, mobile);
  expect(res.status).toBe(200);
  return { username, mobile };
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

  it('one client spraying many accounts meets its own budget, with the same answer', async () => {
    nextWindow();
    const ip = freshIp();
    const accounts = Array.from({ length: 8 }, () => randomUsername('Spray'));
    const statuses: number[] = [];
    for (const account of accounts) for (let i = 0; i < MAX_FAILURES; i++) statuses.push((await login(ip, account)).status);
    expect(statuses.slice(0, PER_CLIENT).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(PER_CLIENT).every((s) => s === 429)).toBe(true);
    expectThrottled(await login(ip, randomUsername('Spray')));
    expect((await login(freshIp(), randomUsername('Spray'))).status).toBe(401);
  });

  it('unknown accounts are delayed like known ones', async () => {
    nextWindow();
    const ghost = randomUsername('Ghost');
    for (let i = 0; i < FREE + 1; i++) expect((await login(freshIp(), ghost)).status).toBe(401);
    expectThrottled(await login(freshIp(), ghost));
  });
});
