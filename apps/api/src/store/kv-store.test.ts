import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../test/helper.ts';
import { STORE_CASES } from '../../test/stores.ts';
import type { KvStore } from './kv-store.ts';

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

  it('setIfAbsent lets exactly one of many concurrent callers in', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store.setIfAbsent('nx', String(i), 10_000)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('take returns a value to exactly one of many concurrent callers', async () => {
    await store.set('once', 'secret', 10_000);
    const results = await Promise.all(Array.from({ length: 10 }, () => store.take('once')));
    expect(results.filter((r) => r === 'secret')).toHaveLength(1);
    expect(await store.get('once')).toBeNull();
  });

  it('deleteIfEquals removes only the value it was given', async () => {
    await store.set('owned', 'token-b', 10_000);
    expect(await store.deleteIfEquals('owned', 'token-a')).toBe(false);
    expect(await store.get('owned')).toBe('token-b');
    expect(await store.deleteIfEquals('owned', 'token-b')).toBe(true);
    expect(await store.get('owned')).toBeNull();
  });

  it('hit counts within a window', async () => {
    const first = await store.hit('hits', 60_000);
    const second = await store.hit('hits', 60_000);
    expect([first.count, second.count]).toEqual([1, 2]);
    expect(second.resetMs).toBeGreaterThan(0);
    expect(await store.get('hits')).toBe('2');
  });

  it('a one-time code allows exactly its attempt budget, even to concurrent guesses', async () => {
    await store.putCode('code', 'digest', 5, 60_000);
    const claims = await Promise.all(Array.from({ length: 12 }, () => store.claimAttempt('code')));
    const granted = claims.filter((c) => c !== null);
    expect(granted).toHaveLength(5);
    expect(granted.map((c) => c?.attemptsLeft).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(await store.claimAttempt('code')).toBeNull();
  });

  it('a one-time code is consumed by exactly one caller, and only with its digest', async () => {
    await store.putCode('code2', 'right', 5, 60_000);
    expect(await store.consumeCode('code2', 'wrong')).toBe(false);
    const results = await Promise.all(Array.from({ length: 5 }, () => store.consumeCode('code2', 'right')));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await store.claimAttempt('code2')).toBeNull();
  });

  it('putCode replaces the previous code and resets its budget', async () => {
    await store.putCode('code3', 'old', 1, 60_000);
    await store.claimAttempt('code3');
    await store.putCode('code3', 'new', 2, 60_000);
    expect(await store.claimAttempt('code3')).toEqual({ digest: 'new', attemptsLeft: 1 });
  });

  it('spend is all or nothing: a full budget or a taken claim writes nothing', async () => {
    const budgets = [
      { key: 'sp:a', limit: 5, ttlMs: 60_000 },
      { key: 'sp:b', limit: 1, ttlMs: 60_000 },
    ];
    expect(await store.spend(budgets)).toEqual({ ok: true });
    expect(await store.spend(budgets)).toEqual({ ok: false, refused: 1, claimTtlMs: 0 });
    expect(await store.get('sp:a')).toBe('1');
    const claim = { key: 'sp:claim', value: 'token', ttlMs: 30_000 };
    expect(await store.spend([budgets[0]!], claim)).toEqual({ ok: true });
    const taken = await store.spend([budgets[0]!], { ...claim, value: 'other' });
    expect(taken).toMatchObject({ ok: false, refused: -1 });
    expect(taken.ok === false && taken.claimTtlMs).toBeGreaterThan(29_000);
    expect(await store.get('sp:a')).toBe('2');
    expect(await store.get('sp:claim')).toBe('token');
  });

  it('spend never overspends a budget under concurrency', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, () => store.spend([{ key: 'sp:race', limit: 5, ttlMs: 60_000 }])),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(5);
  });

  it('refund gives back one unit, never below zero, and ignores missing counters', async () => {
    await store.spend([{ key: 'rf:a', limit: 5, ttlMs: 60_000 }]);
    await store.spend([{ key: 'rf:a', limit: 5, ttlMs: 60_000 }]);
    await store.refund(['rf:a', 'rf:missing']);
    expect(await store.get('rf:a')).toBe('1');
    await store.refund(['rf:a', 'rf:a']);
    expect(await store.get('rf:a')).toBe('0');
    expect(await store.get('rf:missing')).toBeNull();
  });

  const backoff = (now: number) => ({
    key: 'at:backoff',
    window: Math.floor(now / 600_000),
    free: 2,
    baseMs: 1000,
    maxMs: 4000,
    ttlMs: 600_000,
  });

  it('attempt counts budgets, then delays progressively past the free failures, capped', async () => {
    const now = 1_800_000_000_000;
    const budgets = [{ key: 'at:pair', limit: 100, ttlMs: 600_000 }];
    const results = [];
    // Three attempts in a row: the third is past the two free ones and blocks for 1 s.
    for (let i = 0; i < 3; i++) results.push(await store.attempt(now, budgets, backoff(now)));
    expect(results.map((r) => r.ok)).toEqual([true, true, true]);
    expect(await store.attempt(now + 500, budgets, backoff(now))).toEqual({ ok: false, refused: 'backoff', retryMs: 500 });
    // Each further failure doubles the wait: 2 s, then 4 s, then the 4 s cap.
    let at = now + 1000;
    for (const wait of [2000, 4000, 4000]) {
      expect((await store.attempt(at, budgets, backoff(now))).ok).toBe(true);
      expect(await store.attempt(at, budgets, backoff(now))).toEqual({ ok: false, refused: 'backoff', retryMs: wait });
      at += wait;
    }
    // Refused attempts were not counted: 6 attempts went through.
    expect(await store.get('at:pair')).toBe('6');
  });

  it('attempt refuses a spent budget without counting, and parallel attempts cannot outrun it', async () => {
    const now = 1_800_000_000_000;
    const budgets = [{ key: 'at:burst', limit: 3, ttlMs: 600_000 }];
    const wide = { ...backoff(now), key: 'at:burst-backoff', free: 1000 };
    const results = await Promise.all(Array.from({ length: 10 }, () => store.attempt(now, budgets, wide)));
    expect(results.filter((r) => r.ok)).toHaveLength(3);
    expect(results.filter((r) => !r.ok)).toEqual(Array(7).fill({ ok: false, refused: 0, retryMs: 0 }));
    expect(await store.get('at:burst')).toBe('3');
  });

  it('forgive undoes exactly one successful attempt', async () => {
    const now = 1_800_000_000_000;
    const key = { ...backoff(now), key: 'fg:backoff', free: 1 };
    const budgets = [
      { key: 'fg:pair', limit: 10, ttlMs: 600_000 },
      { key: 'fg:client', limit: 10, ttlMs: 600_000 },
    ];
    await store.attempt(now, budgets, key); // a failure, free
    const success = await store.attempt(now, budgets, key); // past the free one: blocks for 1 s
    expect(success.ok).toBe(true);
    expect(await store.attempt(now, budgets, key)).toMatchObject({ refused: 'backoff' });
    if (!success.ok) return;
    await store.forgive('fg:backoff', success.ticket, ['fg:client'], ['fg:pair']);
    // The block it set is lifted, its count and the client's are refunded, the pair is cleared.
    expect(await store.get('fg:pair')).toBeNull();
    expect(await store.get('fg:client')).toBe('1');
    const next = await store.attempt(now, budgets, key);
    expect(next.ok).toBe(true);
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
    await store.putCode('c', 'd', 3, 1000);
    await store.hit('h', 1000);
    clock.advance(999);
    expect(await store.get('k')).toBe('v');
    clock.advance(1);
    expect(await store.get('k')).toBeNull();
    expect(await store.claimAttempt('c')).toBeNull();
    expect((await store.hit('h', 1000)).count).toBe(1);
    expect(await store.setIfAbsent('k', 'again', 1000)).toBe(true);
  });
});
