// Every SMS budget through HTTP, on the real PostgreSQL and Redis: reached, refused with the
// THROTTLED envelope and Retry-After, and reset. The budgets (and the cooldown) keep their
// windows by the injected clock, so the test moves time instead of waiting.
import { SMS_MESSAGES } from '@register/contracts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDigest } from '../src/lib/digest.ts';
import { eventDigests } from '../src/modules/security-events/events.service.ts';
import { buildTestApp, manualClock, type Reply, randomMobile, Visitor } from './helper.ts';

const HOUR = 3_600_000;
const DAY = 86_400_000;
/** A clock at the start of a UTC day: windows are whole in the test. */
const dayStart = () => manualClock(Math.ceil(Date.now() / DAY) * DAY + DAY);

function expectThrottled(res: Reply, message: string, retryAfter: number) {
  expect(res.status).toBe(429);
  expect(res.body).toEqual({ errno: '4201', errmsg: message, data: { retryAfter } });
  expect(res.headers['retry-after']).toBe(String(retryAfter));
}

describe('per-number budgets', () => {
  const clock = dayStart();
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestApp(
      { SMS_PER_MOBILE_PER_HOUR: '2', SMS_PER_MOBILE_PER_DAY: '3', SMS_MOBILE_CEILING_PER_DAY: '4' },
      { clock },
    );
  });
  afterAll(() => app.close());
  /** One send after the cooldown: each call is a new minute. */
  const send = (mobile: string, ip: string) => {
    clock.advance(60_000);
    return new Visitor(app, ip).requestSmsCode(mobile);
  };

  it('the cooldown: 60 s per number, whoever asks', async () => {
    const mobile = randomMobile();
    expect((await new Visitor(app, '198.51.100.1').requestSmsCode(mobile)).status).toBe(200);
    clock.advance(15_000);
    const refused = await new Visitor(app, '198.51.100.2').requestSmsCode(mobile);
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({
      errno: '4201',
      errmsg: SMS_MESSAGES.cooldown(45),
      data: { retryAfter: 45, fields: { mobile: SMS_MESSAGES.cooldown(45) } },
    });
    expect(refused.headers['retry-after']).toBe('45');
    clock.advance(45_000);
    expect((await new Visitor(app, '198.51.100.2').requestSmsCode(mobile)).status).toBe(200);
  });

  it('per hour and per day for each (number, client), under the daily ceiling for the number', async () => {
    const mobile = randomMobile();
    expect((await send(mobile, '198.51.100.10')).status).toBe(200);
    expect((await send(mobile, '198.51.100.10')).status).toBe(200);
    const hourly = await send(mobile, '198.51.100.10');
    expectThrottled(hourly, SMS_MESSAGES.hourlyLimit, (HOUR - (clock() % HOUR)) / 1000);
    // Another client is not refused for what this one did.
    expect((await send(mobile, '198.51.100.11')).status).toBe(200);
    clock.advance(HOUR);
    expect((await send(mobile, '198.51.100.10')).status).toBe(200);
    const daily = await send(mobile, '198.51.100.10');
    expect(daily.status).toBe(429);
    expect(daily.body.errmsg).toBe(SMS_MESSAGES.dailyLimit);
    // The fourth text of the day for this number is the ceiling: nobody gets a fifth today.
    expect(daily.body.data?.retryAfter).toBeGreaterThan(0);
    const ceiling = await send(mobile, '198.51.100.12');
    expect(ceiling.status).toBe(429);
    expect(ceiling.body.errmsg).toBe(SMS_MESSAGES.dailyLimit);
    clock.advance(DAY);
    expect((await send(mobile, '198.51.100.12')).status).toBe(200);
  });
});

describe('block and global budgets', () => {
  const clock = dayStart();
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestApp({ SMS_PER_BLOCK_PER_HOUR: '2', SMS_GLOBAL_PER_HOUR: '5', SMS_GLOBAL_PER_DAY: '8' }, { clock });
  });
  afterAll(() => app.close());

  it('a number block per hour, then the next hour', async () => {
    const block = randomMobile().slice(0, 7);
    const send = (last4: string) => new Visitor(app, `100.64.7.${Number(last4)}`).requestSmsCode(`${block}${last4}`);
    expect((await send('0001')).status).toBe(200);
    expect((await send('0002')).status).toBe(200);
    expectThrottled(await send('0003'), SMS_MESSAGES.busy, 3600);
    clock.advance(HOUR);
    expect((await send('0003')).status).toBe(200);
  });

  it('the whole service, per hour and per day, whatever the spread of clients and numbers', async () => {
    // The block test above sent 1 text this hour and 3 today.
    const send = (i: number) => new Visitor(app, `100.64.8.${i}`).requestSmsCode(randomMobile());
    for (let i = 1; i <= 4; i++) expect((await send(i)).status).toBe(200);
    expectThrottled(await send(5), SMS_MESSAGES.busy, 3600);
    clock.advance(HOUR);
    expect((await send(6)).status).toBe(200);
    expectThrottled(await send(7), SMS_MESSAGES.busy, (DAY - 2 * HOUR) / 1000);
    clock.advance(DAY);
    expect((await send(8)).status).toBe(200);
    await app.events.flush();
    const hmac = eventDigests(createDigest(app.config.codeSecret));
    const clients = ['100.64.7.3', '100.64.8.5', '100.64.8.7'].map(hmac.client);
    const refused = await app.db.prisma.securityEvent.findMany({ where: { kind: 'sms_refused', clientHmac: { in: clients } } });
    expect(refused.map((e) => (e.detail as { budget: string }).budget).sort()).toEqual([
      'block_hour',
      'global_day',
      'global_hour',
    ]);
  });
});
