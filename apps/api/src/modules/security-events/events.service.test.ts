// The event writer's buffering, with a writer the test controls: a database that answers, fails,
// or never answers. (The route tests in test/security-events.test.ts use the real PostgreSQL.)
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { manualClock } from '../../../test/helper.ts';
import { createDigest } from '../../lib/digest.ts';
import { createSecurityEvents, type EventRow } from './events.service.ts';

const log = pino({ level: 'silent' });
const config = { flushMs: 60_000, bufferMax: 5, writeTimeoutMs: 100 };

function recorder(write: (rows: EventRow[]) => Promise<void>) {
  return createSecurityEvents({ write, digest: createDigest('e'.repeat(32)), clock: manualClock(), log, config });
}

describe('security event writer', () => {
  it('writes in batches, with the client and mobile as keyed HMACs and the mobile masked', async () => {
    const written: EventRow[][] = [];
    const events = recorder(async (rows) => void written.push(rows));
    events.record('sms_sent', { client: '203.0.113.7', mobile: '13800138000', detail: { gateway: 'outbox' } });
    events.record('register_ok', { userId: 42 });
    await events.flush();
    expect(written).toHaveLength(1);
    const [sent, registered] = written[0] as [EventRow, EventRow];
    expect(sent).toMatchObject({ kind: 'sms_sent', mobileMasked: '138****8000', detail: { gateway: 'outbox' } });
    expect(sent.clientHmac).toMatch(/^[\w-]{43}$/);
    expect(sent.mobileHmac).toMatch(/^[\w-]{43}$/);
    expect(JSON.stringify(sent)).not.toMatch(/203\.0\.113\.7|13800138000/);
    expect(registered).toMatchObject({ kind: 'register_ok', userId: 42, clientHmac: null, mobileHmac: null });
    expect(events.stats()).toEqual({ recorded: 2, written: 2, dropped: 0, pending: 0 });
    await events.close();
  });

  it('coalesces a flood of equal refusals into one row with a count', async () => {
    const written: EventRow[] = [];
    const events = recorder(async (rows) => void written.push(...rows));
    for (let i = 0; i < 1000; i++) events.record('rate_limited', { client: '198.51.100.1', detail: { budget: 'global' } });
    events.record('rate_limited', { client: '198.51.100.2', detail: { budget: 'global' } });
    await events.flush();
    expect(written.map((r) => r.detail.count ?? 1)).toEqual([1000, 1]);
    await events.close();
  });

  it('drops (and counts) a batch the database refuses, and carries on', async () => {
    let fail = true;
    const written: EventRow[] = [];
    const events = recorder(async (rows) => {
      if (fail) throw new Error('database down');
      written.push(...rows);
    });
    events.record('login_ok', { userId: 1 });
    await events.flush();
    expect(events.stats()).toMatchObject({ written: 0, dropped: 1, pending: 0 });
    fail = false;
    events.record('login_ok', { userId: 2 });
    await events.flush();
    expect(written.map((r) => r.userId)).toEqual([2]);
    await events.close();
  });

  it('never waits on a stalled database: one write at a time, a bounded buffer, bounded flushes', async () => {
    let writes = 0;
    const events = recorder(() => {
      writes++;
      return new Promise<void>(() => {});
    });
    events.record('login_ok', { userId: 1 });
    await events.flush(); // answered after writeTimeoutMs (100 ms), not by the database
    // While the write hangs, recording goes on and never blocks; past bufferMax it drops.
    for (let i = 0; i < 20; i++) events.record('register_ok', { userId: i });
    expect(events.stats()).toMatchObject({ written: 0, pending: 5, dropped: 15 });
    await events.flush();
    // No second write was started beside the stalled one (it would hold a second connection).
    expect(writes).toBe(1);
    await events.close();
  });

  it('writes what waited once a slow database answers', async () => {
    const written: EventRow[] = [];
    let release: () => void = () => {};
    let first = true;
    const events = recorder(async (rows) => {
      if (first) {
        first = false;
        await new Promise<void>((resolve) => {
          release = resolve;
        });
      }
      written.push(...rows);
    });
    events.record('login_ok', { userId: 1 });
    await events.flush();
    events.record('login_ok', { userId: 2 });
    release();
    await events.flush();
    expect(written.map((r) => r.userId)).toEqual([1, 2]);
    expect(events.stats()).toMatchObject({ written: 2, dropped: 0, pending: 0 });
    await events.close();
  });

  it('does not coalesce what names a target: failed logins keep one row per account', async () => {
    const written: EventRow[] = [];
    const events = recorder(async (rows) => void written.push(...rows));
    for (const userId of [1, 2, 3])
      events.record('login_failed', { client: '198.51.100.3', userId, detail: { reason: 'password' } });
    // A flood of refusals with changing numbers is still one row.
    for (let i = 0; i < 50; i++) {
      events.record('login_throttled', {
        client: '198.51.100.3',
        mobile: `138000${String(i).padStart(5, '0')}`,
        detail: { budget: 'client' },
      });
    }
    await events.flush();
    expect(written.map((r) => [r.kind, r.userId ?? r.detail.count])).toEqual([
      ['login_failed', 1],
      ['login_failed', 2],
      ['login_failed', 3],
      ['login_throttled', 50],
    ]);
    await events.close();
  });
});
