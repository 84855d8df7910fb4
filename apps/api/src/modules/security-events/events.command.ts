// `pnpm cli events`: the security event log for operators. Lists recent events (newest first)
// with filters, and the SMS sent per hour over the same period; `pnpm cli events prune` applies
// the retention now (the API also does it every hour).
import { parseArgs } from 'node:util';
import { MOBILE_PATTERN, NORMALIZERS } from '@register/contracts';
import type { Config } from '../../config.ts';
import type { Digest } from '../../lib/digest.ts';
import { DAY_MS } from '../../lib/windows.ts';
import type { EventsRepository } from './events.repository.ts';
import { EVENT_KINDS, type EventKind, eventDigests } from './events.service.ts';

export const EVENTS_USAGE = `usage: pnpm cli events [--kind KIND[,KIND...]] [--mobile MOBILE] [--since 24h|7d|30m|ISO-DATE] [--limit N]
       pnpm cli events prune
kinds: ${EVENT_KINDS.join(', ')}`;

export class UsageError extends Error {
  override name = 'UsageError';
}

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: DAY_MS };

/** "24h", "7d", "30m" before now, or an ISO date. */
export function parseSince(value: string, now: number): Date {
  const relative = /^(\d+)([mhd])$/.exec(value);
  if (relative) return new Date(now - Number(relative[1]) * (UNITS[relative[2] as string] ?? 0));
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new UsageError(`--since: "${value}" is neither like 24h, 7d, 30m nor a date`);
  return date;
}

function parseKinds(value: string | undefined): EventKind[] | undefined {
  if (!value) return undefined;
  const kinds = value.split(',').map((k) => k.trim());
  const unknown = kinds.filter((k) => !(EVENT_KINDS as readonly string[]).includes(k));
  if (unknown.length) throw new UsageError(`--kind: unknown ${unknown.join(', ')}`);
  return kinds as EventKind[];
}

const cell = (value: unknown, width: number) => String(value ?? '-').padEnd(width);

export async function eventsCommand(
  args: string[],
  deps: { repository: EventsRepository; digest: Digest; config: Config['events']; now: number; print: (line: string) => void },
): Promise<void> {
  const { repository, print, now } = deps;
  if (args[0] === 'prune') {
    const before = new Date(now - deps.config.retentionDays * DAY_MS);
    const deleted = await repository.prune(before);
    print(`Deleted ${deleted} security event(s) older than ${before.toISOString()} (${deps.config.retentionDays} days).`);
    return;
  }
  let values: { kind?: string; mobile?: string; since?: string; limit?: string };
  try {
    ({ values } = parseArgs({
      args,
      options: { kind: { type: 'string' }, mobile: { type: 'string' }, since: { type: 'string' }, limit: { type: 'string' } },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const since = parseSince(values.since ?? '24h', now);
  const limit = Number(values.limit ?? 50);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new UsageError('--limit: a whole number from 1 to 10000');
  let mobileHmacs: string[] | undefined;
  if (values.mobile !== undefined) {
    const mobile = NORMALIZERS.mobile(values.mobile);
    if (!new RegExp(MOBILE_PATTERN).test(mobile)) throw new UsageError(`--mobile: "${values.mobile}" is not a mobile number`);
    mobileHmacs = eventDigests(deps.digest).mobileUnderEverySecret(mobile);
  }

  const events = await repository.list({ kinds: parseKinds(values.kind), mobileHmacs, since }, limit);
  print(`Security events since ${since.toISOString()}, newest first (${events.length} shown, at most ${limit}):`);
  print(`${cell('time', 25)}${cell('kind', 16)}${cell('client', 12)}${cell('mobile', 13)}${cell('user', 8)}detail`);
  for (const event of events) {
    print(
      cell(event.createdAt.toISOString(), 25) +
        cell(event.kind, 16) +
        cell(event.clientHmac?.slice(0, 10), 12) +
        cell(event.mobileMasked, 13) +
        cell(event.userId, 8) +
        JSON.stringify(event.detail),
    );
  }
  const hours = await repository.smsPerHour(since, mobileHmacs);
  print('');
  // Which door the texts came through, when any came through the proof of work (detail.door).
  const door = (altcha: number) => (altcha > 0 ? `  (${altcha} through the proof of work)` : '');
  const all = hours.reduce((sum, h) => ({ count: sum.count + h.count, altcha: sum.altcha + h.altcha }), { count: 0, altcha: 0 });
  print(`SMS sent per hour (UTC): ${all.count} in all${door(all.altcha)}`);
  for (const { hour, count, altcha } of hours)
    print(`${hour.toISOString().slice(0, 13).replace('T', ' ')}:00  ${count}${door(altcha)}`);
}
