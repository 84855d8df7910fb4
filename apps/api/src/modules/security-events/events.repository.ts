// Queries on security_event: batched inserts, the listing and hourly SMS counts the CLI prints,
// and the retention delete. Rows are never updated (the table's trigger refuses UPDATE).
import type { PrismaClient } from '../../db/database.ts';
import type { EventKind, EventRow } from './events.service.ts';

export interface EventFilter {
  kinds?: EventKind[];
  /** The mobile's HMACs under every CODE_SECRET (events before a rotation carry an older one). */
  mobileHmacs?: string[];
  since?: Date;
}

export function createEventsRepository(prisma: PrismaClient) {
  const where = (filter: EventFilter) => ({
    ...(filter.kinds?.length ? { kind: { in: filter.kinds } } : {}),
    ...(filter.mobileHmacs ? { mobileHmac: { in: filter.mobileHmacs } } : {}),
    ...(filter.since ? { createdAt: { gte: filter.since } } : {}),
  });
  return {
    insert: async (rows: EventRow[]) => void (await prisma.securityEvent.createMany({ data: rows })),
    list: (filter: EventFilter, limit: number) =>
      prisma.securityEvent.findMany({ where: where(filter), orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: limit }),
    /** SMS sent per hour (UTC), oldest first. */
    /** SMS sent per UTC hour, and how many of them came through the proof of work (`detail.door`). */
    async smsPerHour(since: Date, mobileHmacs?: string[]): Promise<{ hour: Date; count: number; altcha: number }[]> {
      const rows = await prisma.$queryRaw<{ hour: Date; count: bigint | number; altcha: bigint | number }[]>`
        SELECT date_trunc('hour', created_at AT TIME ZONE 'UTC') AS hour, count(*) AS count,
          count(*) FILTER (WHERE detail->>'door' = 'altcha') AS altcha
        FROM security_event
        WHERE kind = 'sms_sent' AND created_at >= ${since}
          AND (${mobileHmacs ?? null}::text[] IS NULL OR mobile_hmac = ANY(${mobileHmacs ?? null}::text[]))
        GROUP BY 1 ORDER BY 1`;
      return rows.map((row) => ({ hour: new Date(row.hour), count: Number(row.count), altcha: Number(row.altcha) }));
    },
    /** Deletes events older than `before`; returns how many. */
    prune: async (before: Date) => (await prisma.securityEvent.deleteMany({ where: { createdAt: { lt: before } } })).count,
  };
}
export type EventsRepository = ReturnType<typeof createEventsRepository>;
