import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { manualClock } from '../../test/helper.ts';
import { STORE_CASES } from '../../test/stores.ts';
import { type Backoff, globLiteral, type KvStore } from './kv-store.ts';
import { createRedisStore } from './redis-store.ts';

const NOW = 1_800_000_000_000;
const code = (key: string, digest: string, attempts = 5) => ({ key, digest, attempts, ttlMs: 60_000 });
const budget = (key: string, limit: number) => ({ key, limit, ttlMs: 60_000 });

describe.each(STORE_CASES)('$name store', ({ open }) => {
  let store: KvStore;
  beforeAll(async () => {
    store = await open();
  });
  afterAll(() => store.close());

  it('sets, gets, deletes and reports a TTL', async () => {
    await store.set('a', '1', 10_000);
    expect(await store.get('a')).toBe('1');
    const ttl = await store.ttl('a');
    expect(ttl).toBeGreaterThan(9_000);
    expect(ttl).toBeLessThanOrEqual(10_000);
    await store.delete('a');
    expect(await store.get('a')).toBeNull();
    expect(await store.ttl('a')).toBeNull();
  });

  it('take returns a value to exactly one of many concurrent callers', async () => {
    await store.set('once', 'secret', 10_000);
    const results = await Promise.all(Array.from({ length: 10 }, () => store.take('once')));
    expect(results.filter((r) => r === 'secret')).toHaveLength(1);
    expect(await store.get('once')).toBeNull();
  });

  it('setIfAbsent stores for exactly one of many concurrent callers, and never replaces', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => store.setIfAbsent('nx', `v${i}`, 10_000)));
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = `v${results.indexOf(true)}`;
    expect(await store.get('nx')).toBe(winner);
    expect(await store.setIfAbsent('nx', 'later', 10_000)).toBe(false);
    expect(await store.get('nx')).toBe(winner);
    const ttl = await store.ttl('nx');
    expect(ttl).toBeGreaterThan(9_000);
    expect(ttl).toBeLessThanOrEqual(10_000);
  });

  it('setIfAbsent takes a key again once it has expired', async () => {
    expect(await store.setIfAbsent('nx-short', 'first', 20)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(await store.setIfAbsent('nx-short', 'second', 10_000)).toBe(true);
    expect(await store.get('nx-short')).toBe('second');
  });

  it('a one-time code allows exactly its budget of wrong tries, even to concurrent guesses', async () => {
    await store.spend(NOW, [], undefined, code('code', 'digest', 5));
    const tries = await Promise.all(Array.from({ length: 12 }, () => store.tryCode('code', 'wrong')));
    expect(tries.map((t) => (t.right ? 'right' : t.attemptsLeft)).sort()).toEqual([0, 1, 2, 3, 4, ...Array(7).fill(null)]);
    expect(await store.tryCode('code', 'digest')).toEqual({ right: false, attemptsLeft: null });
  });

  it('the right code spends nothing, however often it is tried', async () => {
    await store.spend(NOW, [], undefined, code('code-r', 'digest', 2));
    for (let i = 0; i < 5; i++) expect(await store.tryCode('code-r', 'digest')).toEqual({ right: true });
    expect(await store.tryCode('code-r', 'wrong')).toEqual({ right: false, attemptsLeft: 1 });
  });

  it('a one-time code is consumed by exactly one caller, and only with its digest', async () => {
    await store.spend(NOW, [], undefined, code('code2', 'right'));
    expect(await store.consumeCode('code2', 'wrong')).toBe(false);
    const results = await Promise.all(Array.from({ length: 5 }, () => store.consumeCode('code2', 'right')));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await store.tryCode('code2', 'right')).toEqual({ right: false, attemptsLeft: null });
  });

  it('a new code replaces the previous one and its budget', async () => {
    await store.spend(NOW, [], undefined, code('code3', 'old', 1));
    await store.spend(NOW, [], undefined, code('code3', 'new', 2));
    expect(await store.tryCode('code3', 'old')).toEqual({ right: false, attemptsLeft: 1 });
    expect(await store.tryCode('code3', 'new')).toEqual({ right: true });
  });

  it('spend is all or nothing: a full budget or a held claim writes nothing', async () => {
    const budgets = [budget('sp:a', 5), budget('sp:b', 1)];
    expect(await store.spend(NOW, budgets)).toEqual({ ok: true });
    expect(await store.spend(NOW, budgets, undefined, code('sp:code', 'x'))).toEqual({ ok: false, refused: 1, claimTtlMs: 0 });
    expect(await store.get('sp:a')).toBe('1');
    expect(await store.tryCode('sp:code', 'x')).toEqual({ right: false, attemptsLeft: null });

    const claim = { key: 'sp:claim', token: 'token', ttlMs: 30_000 };
    expect(await store.spend(NOW, [budgets[0]!], claim)).toEqual({ ok: true });
    expect(await store.spend(NOW + 10_000, [budgets[0]!], { ...claim, token: 'other' })).toEqual({
      ok: false,
      refused: -1,
      claimTtlMs: 20_000,
    });
    expect(await store.get('sp:a')).toBe('2');
  });

  it("a claim's expiry follows the caller's clock, on Redis too", async () => {
    const claim = { key: 'sp:clock', token: 'first', ttlMs: 60_000 };
    expect((await store.spend(NOW, [], claim)).ok).toBe(true);
    expect((await store.spend(NOW + 59_999, [], { ...claim, token: 'early' })).ok).toBe(false);
    expect((await store.spend(NOW + 60_000, [], { ...claim, token: 'on-time' })).ok).toBe(true);
  });

  it('spend never overspends a budget, nor gives one claim twice, under concurrency', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => store.spend(NOW, [budget('sp:race', 5)])));
    expect(results.filter((r) => r.ok)).toHaveLength(5);
    const claims = await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.spend(NOW, [], { key: 'sp:one', token: `t${i}`, ttlMs: 60_000 })),
    );
    expect(claims.filter((r) => r.ok)).toHaveLength(1);
  });

  it('unspend gives back one unit (never below zero) and removes its claim and code, only when its spend ran', async () => {
    const claim = { key: 'un:claim', token: 'mine', ttlMs: 60_000 };
    await store.spend(NOW, [budget('un:a', 5)], claim, code('un:code', 'mine'));
    await store.spend(NOW, [budget('un:a', 5)]);
    await store.unspend(['un:a', 'un:missing'], claim, { key: 'un:code', digest: 'mine' });
    expect(await store.get('un:a')).toBe('1');
    expect(await store.get('un:missing')).toBeNull();
    expect(await store.get('un:claim')).toBeNull();
    expect(await store.tryCode('un:code', 'mine')).toEqual({ right: false, attemptsLeft: null });

    // A newer request's counts, claim and code are not the caller's to touch: its own claim is
    // gone, so nothing proves that its spend is the one those counts hold.
    await store.spend(NOW, [budget('un:a', 5)], { ...claim, token: 'newer' }, code('un:code', 'newer'));
    await store.unspend(['un:a', 'un:a', 'un:a'], claim, { key: 'un:code', digest: 'mine' });
    expect(await store.get('un:a')).toBe('2');
    expect(await store.get('un:claim')).toMatch(/^newer:/);
    expect(await store.tryCode('un:code', 'newer')).toEqual({ right: true });
  });

  it('an undo that arrives before its spend makes the spend write nothing when it runs late', async () => {
    // A stalled server runs what its buffer holds once it resumes; the undo, sent on a new
    // connection, may run first.
    const claim = { key: 'late:claim', token: 'late', ttlMs: 60_000 };
    await store.unspend(['late:a'], claim, { key: 'late:code', digest: 'd' });
    expect(await store.spend(NOW, [budget('late:a', 5)], claim, code('late:code', 'd'))).toEqual({
      ok: false,
      refused: -2,
      claimTtlMs: 0,
    });
    expect(await store.get('late:a')).toBeNull();
    expect(await store.get('late:claim')).toBeNull();
    expect(await store.tryCode('late:code', 'd')).toEqual({ right: false, attemptsLeft: null });
    // Another request's spend for the same claim key is not affected by this token's tombstone.
    expect((await store.spend(NOW, [budget('late:a', 5)], { ...claim, token: 'other' })).ok).toBe(true);
  });

  const backoff = (key: string, over: Partial<Backoff> = {}): Backoff => ({
    key,
    window: Math.floor(NOW / 600_000),
    free: 2,
    baseMs: 1000,
    maxMs: 4000,
    ttlMs: 600_000,
    ...over,
  });

  it('attempt counts budgets, then delays progressively past the free failures, capped', async () => {
    const budgets = [budget('at:pair', 100)];
    const delays = [backoff('at:backoff')];
    const results = [];
    // Three attempts in a row: the third is past the two free ones and blocks for 1 s.
    for (let i = 0; i < 3; i++) results.push(await store.attempt(NOW, budgets, delays));
    expect(results.map((r) => r.ok)).toEqual([true, true, true]);
    expect(await store.attempt(NOW + 500, budgets, delays)).toEqual({ ok: false, refused: { backoff: 0 }, retryMs: 500 });
    // Each further failure doubles the wait: 2 s, then 4 s, then the 4 s cap.
    let at = NOW + 1000;
    for (const wait of [2000, 4000, 4000]) {
      expect((await store.attempt(at, budgets, delays)).ok).toBe(true);
      expect(await store.attempt(at, budgets, delays)).toEqual({ ok: false, refused: { backoff: 0 }, retryMs: wait });
      at += wait;
    }
    // Refused attempts were not counted: 6 attempts went through.
    expect(await store.get('at:pair')).toBe('6');
  });

  it('attempt checks every backoff, and names the one that blocks', async () => {
    const delays = [backoff('at:wide', { free: 100 }), backoff('at:narrow', { free: 0 })];
    expect((await store.attempt(NOW, [], delays)).ok).toBe(true);
    expect(await store.attempt(NOW, [], delays)).toEqual({ ok: false, refused: { backoff: 1 }, retryMs: 1000 });
    // A new window starts the count again (the block it set still runs out first).
    const next = delays.map((d) => ({ ...d, window: d.window + 1 }));
    expect((await store.attempt(NOW + 1000, [], next)).ok).toBe(true);
  });

  it('attempt refuses a spent budget without counting, and parallel attempts cannot outrun it', async () => {
    const budgets = [budget('at:burst', 3)];
    const delays = [backoff('at:burst-backoff', { free: 1000 })];
    const results = await Promise.all(Array.from({ length: 10 }, () => store.attempt(NOW, budgets, delays)));
    expect(results.filter((r) => r.ok)).toHaveLength(3);
    expect(results.filter((r) => !r.ok)).toEqual(Array(7).fill({ ok: false, refused: { budget: 0 }, retryMs: 0 }));
    expect(await store.get('at:burst')).toBe('3');
  });

  it('forgive undoes exactly one successful attempt', async () => {
    const delays = [backoff('fg:account', { free: 1 }), backoff('fg:client', { free: 1 })];
    const budgets = [budget('fg:pair', 10), budget('fg:device', 10)];
    await store.attempt(NOW, budgets, delays); // a failure, free
    const success = await store.attempt(NOW, budgets, delays); // past the free one: blocks for 1 s
    expect(success.ok).toBe(true);
    expect(await store.attempt(NOW, budgets, delays)).toMatchObject({ refused: { backoff: 0 } });
    if (!success.ok) return;
    await store.forgive(success.tickets, ['fg:device'], ['fg:pair']);
    // The blocks it set are lifted, its counts refunded, the pair cleared.
    expect(await store.get('fg:pair')).toBeNull();
    expect(await store.get('fg:device')).toBe('1');
    expect((await store.attempt(NOW, budgets, delays)).ok).toBe(true);
  });

  it('keeps an index of members by expiry: the latest sets its lifetime, expired ones go on read', async () => {
    const index = `index:${NOW}`;
    expect(await store.addMember(index, 'a', { now: NOW, expiresAt: NOW + 60_000 })).toEqual([]);
    expect(await store.addMember(index, 'b', { now: NOW, expiresAt: NOW + 5_000 })).toEqual([]);
    // An expired member is not added at all.
    expect(await store.addMember(index, 'late', { now: NOW, expiresAt: NOW })).toEqual([]);
    expect(await store.members(index, NOW)).toEqual(['b', 'a']); // the earliest to expire first
    expect(await store.ttl(index)).toBeGreaterThan(55_000); // never shortened by a shorter member
    // By the caller's clock, on Redis too: at NOW + 5 s, b has expired, and reading drops it.
    expect(await store.members(index, NOW + 5_000)).toEqual(['a']);
    expect(await store.members(index, NOW)).toEqual(['a']);
    // Re-adding a member moves its expiry.
    await store.addMember(index, 'b', { now: NOW, expiresAt: NOW + 90_000 });
    await store.addMember(index, 'a', { now: NOW, expiresAt: NOW + 95_000 });
    expect(await store.members(index, NOW)).toEqual(['b', 'a']);
    await store.removeMember(index, 'a');
    await store.removeMember(index, 'no-such-member');
    expect(await store.members(index, NOW)).toEqual(['b']);
    expect(await store.members('no-such-set', NOW)).toEqual([]);
  });

  it('answers the members past a cap, earliest first, never the one being added, and keeps them', async () => {
    const index = `capped:${NOW}`;
    for (const [i, member] of ['s1', 's2', 's3'].entries()) {
      expect(await store.addMember(index, member, { now: NOW, expiresAt: NOW + 10_000 + i, keep: 3 })).toEqual([]);
    }
    expect(await store.addMember(index, 's4', { now: NOW, expiresAt: NOW + 20_000, keep: 3 })).toEqual(['s1']);
    expect(await store.addMember(index, 's5', { now: NOW, expiresAt: NOW + 20_001, keep: 3 })).toEqual(['s1', 's2']);
    // A new member that sorts first (another instance's clock behind) is still never its own victim.
    expect(await store.addMember(index, 's0', { now: NOW, expiresAt: NOW + 1, keep: 5 })).toEqual(['s1']);
    expect(await store.members(index, NOW)).toEqual(['s0', 's1', 's2', 's3', 's4', 's5']);
  });

  it('replaces a value only while it exists', async () => {
    expect(await store.replace('xx', 'v1', 10_000)).toBe(false);
    expect(await store.get('xx')).toBeNull();
    await store.set('xx', 'v1', 10_000);
    expect(await store.replace('xx', 'v2', 20_000)).toBe(true);
    expect(await store.get('xx')).toBe('v2');
    expect(await store.ttl('xx')).toBeGreaterThan(15_000);
  });

  it('finds keys by a pattern', async () => {
    await Promise.all(['k:[x]:1', 'k:[x]:2', 'k:y:1', 'k*:1'].map((key) => store.set(key, '1', 10_000)));
    expect((await store.keys(`${globLiteral('k:[x]:')}*`)).sort()).toEqual(['k:[x]:1', 'k:[x]:2']);
    expect(await store.keys(globLiteral('k*:1'))).toEqual(['k*:1']);
    expect((await store.keys('k:?:1')).sort()).toEqual(['k:y:1']);
  });

  it('answers ping', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
  });
});

describe('memory store expiry', () => {
  it('forgets keys, counters and codes when their time is up', async () => {
    const clock = manualClock();
    const store = await STORE_CASES[0]!.open(clock);
    await store.set('k', 'v', 1000);
    await store.spend(clock(), [{ key: 'h', limit: 1, ttlMs: 1000 }], undefined, {
      key: 'c',
      digest: 'd',
      attempts: 3,
      ttlMs: 1000,
    });
    clock.advance(999);
    expect(await store.get('k')).toBe('v');
    clock.advance(1);
    expect(await store.get('k')).toBeNull();
    expect(await store.tryCode('c', 'd')).toEqual({ right: false, attemptsLeft: null });
    expect((await store.spend(clock(), [{ key: 'h', limit: 1, ttlMs: 1000 }])).ok).toBe(true);
  });
});

describe('Redis store upgrade', () => {
  it("converts a user's index kept as a plain set (before sorted sets) in place, losing no member", async () => {
    const redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: 1 });
    const prefix = `${inject('redisPrefix')}${randomBytes(4).toString('hex')}:`;
    const store = createRedisStore(redis, { prefix, onProtocolDoubt: () => {} });
    try {
      const now = Date.now();
      await redis.sadd(`${prefix}old-index`, 'x', 'y');
      await redis.pexpire(`${prefix}old-index`, 60_000);
      expect((await store.members('old-index', now)).sort()).toEqual(['x', 'y']);
      expect(await redis.type(`${prefix}old-index`)).toBe('zset');
      expect(await store.ttl('old-index')).toBeGreaterThan(55_000);
      await redis.sadd(`${prefix}old-2`, 'p', 'q');
      await redis.pexpire(`${prefix}old-2`, 60_000);
      await store.removeMember('old-2', 'p'); // still a plain set: removed from it as it is
      expect(await store.addMember('old-2', 'r', { now, expiresAt: now + 120_000, keep: 1 })).toEqual(['q']);
      expect(await store.members('old-2', now)).toEqual(['q', 'r']);
    } finally {
      await store.close();
    }
  });
});

describe('Redis store errors', () => {
  it('never carry the failed command (its keys: session ids, digests) into the logs', async () => {
    // An error reply (OOM, READONLY, MISCONF) as ioredis gives it: the command attached.
    const reply = Object.assign(new Error("OOM command not allowed when used memory > 'maxmemory'."), {
      name: 'ReplyError',
      command: { name: 'evalsha', args: ['sha', 1, 'reg:captcha:SECRET-SESSION-ID', 'nonce'] },
    });
    const failing = { evalsha: async () => Promise.reject(reply), eval: async () => Promise.reject(reply) };
    const store = createRedisStore(failing as never, { prefix: 'reg:', onProtocolDoubt: () => {} });
    const error = await store.get('captcha:SECRET-SESSION-ID').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: '4500', status: 503 });
    const lines: string[] = [];
    // As errors.ts's sendError logs a backend failure: its cause.
    const logged = (error as { cause?: unknown }).cause ?? error;
    pino({ level: 'info' }, { write: (line: string) => void lines.push(line) }).error({ err: logged }, 'failed');
    expect(lines.join('')).toContain('OOM command not allowed');
    expect(lines.join('')).not.toContain('SECRET-SESSION-ID');
  });
});
