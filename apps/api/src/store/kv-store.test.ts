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
