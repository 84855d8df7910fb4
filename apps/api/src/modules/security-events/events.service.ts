// The security event log's writer. Recording never blocks or fails the request that records:
// events go to an in-process buffer that a timer writes in batches; when the database is down
// or stalled, a batch is dropped (and counted) instead of piling up, and a full buffer drops new
// events the same way. Personal data is turned into keyed HMACs before it is even buffered.
import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../../lib/clock.ts';
import type { Digest } from '../../lib/digest.ts';
import { maskMobile } from '../../lib/mobile.ts';

export const EVENT_KINDS = [
  'captcha_failed',
  'sms_sent',
  'sms_failed',
  'sms_refused',
  'code_failed',
  'code_exhausted',
  'register_ok',
  'login_ok',
  'login_failed',
  'login_throttled',
  'rate_limited',
  'reset_requested',
  'password_reset',
  'reset_failed',
  'email_changed',
  'email_verified',
  'mail_failed',
  'notice_sent',
  'password_changed',
  'mobile_changed',
  'sessions_ended',
  'passkey_added',
  'passkey_removed',
  'passkey_counter',
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/**
 * Refusals an attacker can produce by the thousand at no cost (no captcha, no password check):
 * equal events within one flush become one row with a count.
 */
const COALESCED = new Set<EventKind>(['rate_limited', 'login_throttled']);
const BATCH_SIZE = 500;

export type EventDetail = Record<string, string | number | boolean | null>;

export interface EventInput {
  /** The client key (IPv4 address or IPv6 /64), as the limits count it. */
  client?: string;
  mobile?: string;
  userId?: number;
  detail?: EventDetail;
}

export interface EventRow {
  kind: EventKind;
  createdAt: Date;
  clientHmac: string | null;
  mobileHmac: string | null;
  mobileMasked: string | null;
  userId: number | null;
  detail: EventDetail;
}

export interface EventStats {
  recorded: number;
  written: number;
  dropped: number;
  pending: number;
}

export interface SecurityEvents {
  /** Buffers one event; returns at once and never throws. */
  record(kind: EventKind, input?: EventInput): void;
  /** Writes what is buffered now (the timer does this by itself; tests and shutdown call it). */
  flush(): Promise<void>;
  stats(): EventStats;
  close(): Promise<void>;
}

/** The keyed HMACs the log stores, shared with the CLI so it can filter by mobile. */
export function eventDigests(digest: Digest) {
  return {
    client: (client: string) => digest('security-event:client', client),
    mobile: (mobile: string) => digest('security-event:mobile', mobile),
    /** For finding a mobile's events from before a CODE_SECRET rotation too. */
    mobileUnderEverySecret: (mobile: string) => digest.all('security-event:mobile', mobile),
  };
}

export function createSecurityEvents(deps: {
  write: (rows: EventRow[]) => Promise<void>;
  digest: Digest;
  clock: Clock;
  log: FastifyBaseLogger;
  config: { flushMs: number; bufferMax: number; writeTimeoutMs: number };
}): SecurityEvents {
  const { write, clock, log, config } = deps;
  const hmac = eventDigests(deps.digest);
  let buffer: EventRow[] = [];
  const coalesced = new Map<string, EventRow>();
  const stats = { recorded: 0, written: 0, dropped: 0 };
  let inFlight: Promise<void> | null = null;
  let lastWarning = 0;

  function drop(count: number, reason: string, err?: unknown): void {
    stats.dropped += count;
    // One warning a minute at most: an outage must not turn into a log flood.
    if (clock() - lastWarning >= 60_000) {
      lastWarning = clock();
      log.warn({ err, dropped: stats.dropped }, `security events dropped: ${reason}`);
    }
  }

  async function writeBatch(rows: EventRow[]): Promise<void> {
    try {
      await write(rows);
      stats.written += rows.length;
    } catch (error) {
      drop(rows.length, 'the database did not take them', error);
    }
  }

  async function flushAll(): Promise<void> {
    while (buffer.length) {
      // Events recorded while this batch is written start a new buffer (and new coalesced rows).
      const rows = buffer;
      buffer = [];
      coalesced.clear();
      for (let i = 0; i < rows.length; i += BATCH_SIZE) await writeBatch(rows.slice(i, i + BATCH_SIZE));
    }
  }

  /**
   * One write at a time, however long the database takes: while it is slow, events wait in the
   * (bounded) buffer, and a stalled database holds one pool connection, never one per flush.
   */
  function flush(): Promise<void> {
    inFlight ??= flushAll().finally(() => {
      inFlight = null;
    });
    return inFlight;
  }

  /** Waits for the writes under way, at most writeTimeoutMs: callers (tests, shutdown) never hang. */
  async function settle(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, config.writeTimeoutMs);
    });
    try {
      await Promise.race([
        (async () => {
          if (inFlight) await inFlight;
          await flush();
        })(),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  const timer = setInterval(() => void flush(), config.flushMs);
  timer.unref();

  return {
    record(kind, input = {}) {
      try {
        stats.recorded++;
        const row: EventRow = {
          kind,
          createdAt: new Date(clock()),
          clientHmac: input.client ? hmac.client(input.client) : null,
          mobileHmac: input.mobile ? hmac.mobile(input.mobile) : null,
          mobileMasked: input.mobile ? maskMobile(input.mobile) : null,
          userId: input.userId ?? null,
          detail: { ...input.detail },
        };
        const key = COALESCED.has(kind) ? coalesceKey(row) : null;
        const earlier = key ? coalesced.get(key) : undefined;
        if (earlier) {
          earlier.detail.count = Number(earlier.detail.count ?? 1) + 1;
          return;
        }
        if (buffer.length >= config.bufferMax) return drop(1, 'the buffer is full');
        buffer.push(row);
        if (key) coalesced.set(key, row);
      } catch (error) {
        drop(1, 'recording failed', error);
      }
    },
    // A write already under way may have started before the latest events: wait, then write again.
    flush: settle,
    stats: () => ({ ...stats, pending: buffer.length }),
    async close() {
      clearInterval(timer);
      await settle();
    },
  };
}

/**
 * A flood is one client producing one kind of refusal: the numbers or accounts it names change
 * at will (each row keeps the first one's), so they are not part of what makes two rows equal.
 */
function coalesceKey(row: EventRow): string {
  return JSON.stringify([row.kind, row.clientHmac, row.detail]);
}
