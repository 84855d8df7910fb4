import { SMS_MESSAGES } from '@register/contracts';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fakeCcpConfig, startFakeCcp } from '../../../test/fake-ccp.ts';
import { manualClock, randomMobile } from '../../../test/helper.ts';
import { STORE_CASES } from '../../../test/stores.ts';
import type { Config } from '../../config.ts';
import { createDigest } from '../../lib/digest.ts';
import type { KvStore } from '../../store/kv-store.ts';
import { createCaptchaService } from '../captcha/captcha.service.ts';
import { createCcpGateway } from './ccp.gateway.ts';
import { createOutboxGateway } from './outbox.gateway.ts';
import type { SmsGateway } from './sms.gateway.ts';
import { createSmsService } from './sms.service.ts';

const SMS_CONFIG: Config['sms'] = {
  gateway: 'outbox',
  codeLength: 6,
  ttlSeconds: 300,
  resendSeconds: 60,
  maxAttempts: 5,
  perIpPerHour: 1000,
  perMobilePerDay: 10,
  ccp: { baseUrl: '', accountSid: '', authToken: '', appId: '', templateId: '1', timeoutMs: 300 },
};
const log = pino({ level: 'silent' });
const registered = new Set<string>();

function build(store: KvStore, options: { clock?: () => number; gateway?: SmsGateway; config?: Partial<Config['sms']> } = {}) {
  const { clock = Date.now, gateway } = options;
  const digest = createDigest('k'.repeat(32));
  const captcha = createCaptchaService({
    store,
    digest,
    config: { ttlSeconds: 300, format: 'png', testText: 'ABCD', perIpPerMinute: 100_000 },
  });
  const outbox = createOutboxGateway({ store, log, clock, logCodes: false });
  const sms = createSmsService({
    store,
    digest,
    captcha,
    gateway: gateway ?? outbox,
    isMobileRegistered: async (m) => registered.has(m),
    config: { ...SMS_CONFIG, ...options.config },
    log,
  });
  let sessions = 0;
  /** A fresh visitor: a captcha of its own, then the send. */
  const send = async (mobile: string, ip = '10.0.0.1') => {
    const sessionId = `session-${++sessions}-${Math.random()}`;
    await captcha.issue(sessionId, ip);
    return sms.sendCode({ sessionId, mobile, captcha: 'abcd', ip });
  };
  const codeOf = async (mobile: string) => (await outbox.last(mobile))?.code ?? '';
  return { sms, send, codeOf };
}

describe.each(STORE_CASES)('SMS service on the $name store', ({ open }) => {
  let store: KvStore;
  beforeAll(async () => {
    store = await open();
  });
  afterAll(() => store.close());

  it('sends a 6-digit code and stores only its HMAC', async () => {
    const { send, codeOf } = build(store);
    const mobile = randomMobile();
    await expect(send(mobile)).resolves.toEqual({ expiresIn: 300, resendIn: 60, codeLength: 6 });
    const code = await codeOf(mobile);
    expect(code).toMatch(/^\d{6}$/);
    const claimed = await store.claimAttempt(`sms:code:${mobile}`);
    expect(claimed?.digest).toBeTruthy();
    expect(claimed?.digest).not.toContain(code);
  });

  it('of 20 concurrent requests for one mobile, exactly one sends', async () => {
    const { send } = build(store);
    const mobile = randomMobile();
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => send(mobile)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refusals = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason);
    expect(refusals).toHaveLength(19);
    for (const e of refusals) expect(e).toMatchObject({ code: '4201', status: 429 });
    expect(refusals[0].retryAfter).toBeGreaterThan(55);
  });

  it('refuses a registered mobile', async () => {
    const { send } = build(store);
    const mobile = randomMobile();
    registered.add(mobile);
    await expect(send(mobile)).rejects.toMatchObject({ code: '4003', status: 409 });
  });

  it('accepts the right code once, even when it races itself', async () => {
    const { sms, send, codeOf } = build(store);
    const mobile = randomMobile();
    await send(mobile);
    const code = await codeOf(mobile);
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => sms.verifyCode(mobile, code)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('counts wrong codes down, and the sixth attempt fails even with the right code', async () => {
    const { sms, send, codeOf } = build(store);
    const mobile = randomMobile();
    await send(mobile);
    const code = await codeOf(mobile);
    const wrong = code === '000000' ? '111111' : '000000';
    const messages: string[] = [];
    for (let i = 0; i < 5; i++)
      messages.push(
        await sms.verifyCode(mobile, wrong).then(
          () => 'ok',
          (e) => e.data.fields.sms_code,
        ),
      );
    expect(messages).toEqual([
      SMS_MESSAGES.wrong(4),
      SMS_MESSAGES.wrong(3),
      SMS_MESSAGES.wrong(2),
      SMS_MESSAGES.wrong(1),
      SMS_MESSAGES.exhausted,
    ]);
    await expect(sms.verifyCode(mobile, code)).rejects.toMatchObject({ data: { fields: { sms_code: SMS_MESSAGES.expired } } });
  });

  it('removes the code and the cooldown when the provider refuses, so the visitor can retry at once', async () => {
    const fake = await startFakeCcp();
    try {
      const ccp = createCcpGateway(fakeCcpConfig(fake.baseUrl), Date.now);
      const { send } = build(store, { gateway: ccp });
      const mobile = randomMobile();
      fake.setMode('refuse');
      await expect(send(mobile)).rejects.toMatchObject({ code: '4007' });
      expect(await store.ttl(`sms:code:${mobile}`)).toBeNull();
      fake.setMode('hang');
      await expect(send(mobile)).rejects.toMatchObject({ code: '4006' });
      fake.setMode('ok');
      await expect(send(mobile)).resolves.toMatchObject({ resendIn: 60 });
      expect(fake.accepted.at(-1)?.to).toBe(mobile);
    } finally {
      await fake.close();
    }
  });
});

// Redis keeps its own time; the in-process store follows the injected clock, so time can move.
describe('SMS service over time (memory store)', () => {
  it('expires the code after its TTL and the cooldown after 60 s', async () => {
    const clock = manualClock();
    const timed = await STORE_CASES[0]!.open(clock);
    const { sms, send, codeOf } = build(timed, { clock });
    const mobile = randomMobile();
    await send(mobile);
    const code = await codeOf(mobile);
    clock.advance(59_000);
    await expect(send(mobile)).rejects.toMatchObject({ code: '4201', retryAfter: 1 });
    clock.advance(1_000);
    await send(mobile);
    const second = await codeOf(mobile);
    clock.advance(300_000);
    await expect(sms.verifyCode(mobile, second)).rejects.toMatchObject({ data: { fields: { sms_code: SMS_MESSAGES.expired } } });
    expect(code).toMatch(/^\d{6}$/);
  });

  it('caps the codes one mobile gets per day', async () => {
    const clock = manualClock();
    const timed = await STORE_CASES[0]!.open(clock);
    const { send } = build(timed, { clock, config: { perMobilePerDay: 2 } });
    const mobile = randomMobile();
    await send(mobile);
    clock.advance(60_000);
    await send(mobile);
    clock.advance(60_000);
    await expect(send(mobile)).rejects.toMatchObject({ code: '4201', message: SMS_MESSAGES.dailyLimit });
    clock.advance(86_400_000);
    await expect(send(mobile)).resolves.toMatchObject({ resendIn: 60 });
  });

  it("a send that fails late never removes a newer send's code or cooldown", async () => {
    const clock = manualClock();
    const timed = await STORE_CASES[0]!.open(clock);
    const fake = await startFakeCcp();
    try {
      const ccp = createCcpGateway(fakeCcpConfig(fake.baseUrl), clock);
      const { sms, send } = build(timed, { clock, gateway: ccp });
      const mobile = randomMobile();
      fake.setMode('hang');
      const late = send(mobile).catch((e: unknown) => e);
      await vi.waitFor(() => expect(fake.hangingCount).toBe(1));
      clock.advance(60_000); // the first request's cooldown is over: a second one goes through
      fake.setMode('ok');
      await send(mobile);
      const code = fake.accepted.at(-1)?.datas[0] ?? '';
      expect(await late).toMatchObject({ code: '4006' });
      await expect(send(mobile)).rejects.toMatchObject({ code: '4201' }); // the cooldown stands
      await expect(sms.verifyCode(mobile, code)).resolves.toBeUndefined(); // so does the code
    } finally {
      await fake.close();
    }
  });
});
