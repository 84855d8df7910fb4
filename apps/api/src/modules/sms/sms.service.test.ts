import { Code, SMS_MESSAGES, type SmsPurpose } from '@register/contracts';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fakeCcpConfig, startFakeCcp } from '../../../test/fake-ccp.ts';
import { eventsSpy, manualClock, randomMobile } from '../../../test/helper.ts';
import { STORE_CASES } from '../../../test/stores.ts';
import type { Config } from '../../config.ts';
import { AppError } from '../../errors.ts';
import { createDigest } from '../../lib/digest.ts';
import type { KvStore } from '../../store/kv-store.ts';
import { createMemoryStore } from '../../store/memory-store.ts';
import { createCaptchaService } from '../captcha/captcha.service.ts';
import { createCcpGateway } from './ccp.gateway.ts';
import { createOutboxGateway } from './outbox.gateway.ts';
import type { SmsGateway } from './sms.gateway.ts';
import { createSmsService, type Purposed } from './sms.service.ts';

const SMS_CONFIG: Config['sms'] = {
  gateway: 'outbox',
  ttlSeconds: 300,
  resendSeconds: 60,
  maxAttempts: 5,
  perMobilePerHour: 1000,
  perMobilePerDay: 1000,
  mobileCeilingPerDay: 1000,
  perBlockPerHour: 1000,
  globalPerHour: 1_000_000,
  globalPerDay: 1_000_000,
  altchaPerClientPerHour: 1000,
  altchaPerNetworkPerHour: 1_000_000,
  altchaNetworkIpv6Prefix: 48,
  altchaGlobalPerHour: 1_000_000,
  ccp: { baseUrl: '', accountSid: '', authToken: '', appId: '', templateId: '1', timeoutMs: 300 },
};
const log = pino({ level: 'silent' });
const registered = new Set<string>();
/** The accounts a reset finds (by mobile). */
const accounts = new Map<string, { id: number; isActive: boolean }>();
/** 11 digits in one number block (same first 7 digits), different last 4. */
const blockOf = (count: number) => {
  const block = randomMobile().slice(0, 7);
  return Array.from({ length: count }, (_, i) => `${block}${String(1000 + i)}`);
};

function build(store: KvStore, options: { clock?: () => number; gateway?: SmsGateway; config?: Partial<Config['sms']> } = {}) {
  const { clock = Date.now, gateway } = options;
  const digest = createDigest('k'.repeat(32));
  const events = eventsSpy();
  const captcha = createCaptchaService({
    store,
    digest,
    config: { ttlSeconds: 300, format: 'png', testText: 'ABCD', renderThreads: 0 },
    events,
  });
  const outbox = createOutboxGateway({ store, log, clock, logCodes: false });
  const sms = createSmsService({
    store,
    digest,
    captcha,
    gateway: gateway ?? outbox,
    isMobileRegistered: async (m) => registered.has(m),
    findAccount: async (m) => accounts.get(m) ?? null,
    events,
    clock,
    config: { ...SMS_CONFIG, ...options.config },
    log,
  });
  let sessions = 0;
  /** The session each mobile's last code was asked for in: codes are bound to it. */
  const sessionOf = new Map<string, string>();
  /** A fresh visitor: a captcha of its own, then the send. */
  const send = async (mobile: string, client = '10.0.0.1', purposed: Purposed = {}) => {
    const sessionId = `session-${++sessions}-${Math.random()}`;
    sessionOf.set(mobile, sessionId);
    await captcha.issue(sessionId);
    return sms.sendCode({ sessionId, mobile, captcha: 'abcd', client, ...purposed });
  };
  const codeOf = async (mobile: string) => (await outbox.last(mobile))?.code ?? '';
  /** Tries a code from the session that asked for it (or another one). */
  const check = (mobile: string, code: string, sessionId = sessionOf.get(mobile) ?? 'none', purpose?: SmsPurpose) =>
    sms.checkCode(mobile, code, { client: '10.0.0.1', sessionId }, purpose);
  const verify = async (mobile: string, code: string, sessionId?: string) => {
    if (!(await sms.useCode(await check(mobile, code, sessionId)))) throw new Error('code already used');
  };
  return { sms, send, codeOf, check, verify, events, sessionOf };
}

describe.each(STORE_CASES)('SMS service on the $name store', ({ open }) => {
  let store: KvStore;
  beforeAll(async () => {
    store = await open();
  });
  afterAll(() => store.close());

  it('sends a 6-digit code, bound to the session that asked for it', async () => {
    const { send, codeOf, check, events } = build(store);
    const mobile = randomMobile();
    await expect(send(mobile)).resolves.toEqual({ expiresIn: 300, resendIn: 60, codeLength: 6 });
    const code = await codeOf(mobile);
    expect(code).toMatch(/^\d{6}$/);
    const checked = await check(mobile, code);
    expect(checked.digest).not.toContain(code); // only an HMAC is stored
    expect(checked.key.startsWith(`{sms}:code:${mobile}:`)).toBe(true);
    expect(events.recorded).toEqual([
      { kind: 'sms_sent', input: { client: '10.0.0.1', mobile, detail: { gateway: 'outbox', door: 'image' } } },
    ]);
  });

  it('of 20 concurrent requests for one mobile, exactly one sends', async () => {
    const { send, events } = build(store);
    const mobile = randomMobile();
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => send(mobile)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refusals = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason);
    expect(refusals).toHaveLength(19);
    for (const e of refusals) expect(e).toMatchObject({ code: '4201', status: 429 });
    expect(refusals[0].retryAfter).toBeGreaterThan(55);
    expect(events.recorded.filter((e) => e.kind === 'sms_refused').map((e) => e.input.detail)).toEqual(
      Array(19).fill({ budget: 'cooldown', door: 'image' }),
    );
  });

  it('refuses a registered mobile', async () => {
    const { send } = build(store);
    const mobile = randomMobile();
    registered.add(mobile);
    await expect(send(mobile)).rejects.toMatchObject({ code: '4003', status: 409 });
  });

  it('checks the right code without using it up; useCode succeeds for exactly one racer', async () => {
    const { sms, send, codeOf, check } = build(store);
    const mobile = randomMobile();
    await send(mobile);
    const code = await codeOf(mobile);
    const checked = await Promise.all(Array.from({ length: 3 }, () => check(mobile, code)));
    const used = await Promise.all(checked.map((c) => sms.useCode(c)));
    expect(used.filter(Boolean)).toHaveLength(1);
    await expect(check(mobile, code)).rejects.toMatchObject({ data: { fields: { sms_code: SMS_MESSAGES.expired } } });
  });

  it('another session can neither try the code nor spend its attempts, nor replace it', async () => {
    const { send, codeOf, check, verify } = build(store);
    const mobile = randomMobile();
    await send(mobile);
    const owner = await codeOf(mobile);
    for (let i = 0; i < 20; i++) {
      await expect(check(mobile, owner, 'attacker-session')).rejects.toMatchObject({
        data: { fields: { sms_code: SMS_MESSAGES.expired } },
      });
    }
    await expect(verify(mobile, owner)).resolves.toBeUndefined();
  });

  it('counts wrong codes down, and the sixth attempt fails even with the right code', async () => {
    const { send, codeOf, check, events } = build(store);
    const mobile = randomMobile();
    await send(mobile);
    const code = await codeOf(mobile);
    const wrong = code === '000000' ? '111111' : '000000';
    const messages: string[] = [];
    for (let i = 0; i < 5; i++)
      messages.push(
        await check(mobile, wrong).then(
          () => 'ok',
          (e: { data: { fields: { sms_code: string } } }) => e.data.fields.sms_code,
        ),
      );
    expect(messages).toEqual([
      SMS_MESSAGES.wrong(4),
      SMS_MESSAGES.wrong(3),
      SMS_MESSAGES.wrong(2),
      SMS_MESSAGES.wrong(1),
      SMS_MESSAGES.exhausted,
    ]);
    await expect(check(mobile, code)).rejects.toMatchObject({ data: { fields: { sms_code: SMS_MESSAGES.expired } } });
    expect(events.recorded.map((e) => e.kind)).toEqual(['sms_sent', ...Array(4).fill('code_failed'), 'code_exhausted']);
  });

  it('undoes everything when the provider refuses, so the visitor may retry at once; a refused text costs no budget', async () => {
    const fake = await startFakeCcp();
    try {
      const ccp = createCcpGateway(fakeCcpConfig(fake.baseUrl), Date.now);
      // One text a day for this number: a refused text must not spend it.
      const { send, check, events } = build(store, { gateway: ccp, config: { perMobilePerDay: 1, mobileCeilingPerDay: 1 } });
      const mobile = randomMobile();
      fake.setMode('refuse');
      await expect(send(mobile)).rejects.toMatchObject({ code: '4007' });
      const refusedCode = fake.received.at(-1)?.datas[0] ?? '';
      await expect(check(mobile, refusedCode)).rejects.toMatchObject({ data: { fields: { sms_code: SMS_MESSAGES.expired } } });
      expect(await store.get(`{sms}:cooldown:${mobile}`)).toBeNull();
      fake.setMode('ok');
      await expect(send(mobile)).resolves.toMatchObject({ resendIn: 60 });
      expect(fake.accepted.at(-1)?.to).toBe(mobile);
      expect(events.recorded.map((e) => [e.kind, e.input.detail?.reason])).toEqual([
        ['sms_failed', 'rejected'],
        ['sms_sent', undefined],
      ]);
    } finally {
      await fake.close();
    }
  });

  it('keeps the cooldown, the budgets and the code when the provider does not answer: the text may have gone out', async () => {
    const fake = await startFakeCcp();
    try {
      const ccp = createCcpGateway(fakeCcpConfig(fake.baseUrl), Date.now);
      const { send, verify, events, sessionOf } = build(store, {
        gateway: ccp,
        config: { perMobilePerDay: 1, mobileCeilingPerDay: 5 },
      });
      const mobile = randomMobile();
      fake.setMode('hang');
      const unconfirmed = await send(mobile).catch((e: unknown) => e);
      const session = sessionOf.get(mobile);
      expect(unconfirmed).toMatchObject({ code: '4006', status: 502, message: SMS_MESSAGES.unconfirmed(60), retryAfter: 60 });
      expect(events.recorded.at(-1)).toMatchObject({ kind: 'sms_failed', input: { detail: { reason: 'unconfirmed' } } });
      // Retrying at once is the cooldown's business: timeouts cannot pump texts.
      fake.setMode('ok');
      await expect(send(mobile)).rejects.toMatchObject({ code: '4201', status: 429 });
      // And if the text did arrive, its code works.
      await expect(verify(mobile, fake.received.at(-1)?.datas[0] ?? '', session)).resolves.toBeUndefined();
    } finally {
      await fake.close();
    }
  });

  it('limits the texts to one number block per hour, and a refusal writes nothing', async () => {
    const { send, check, events } = build(store, { config: { perBlockPerHour: 3 } });
    const [a, b, c, d] = blockOf(4) as [string, string, string, string];
    for (const [i, mobile] of [a, b, c].entries()) await send(mobile, `10.1.0.${i}`);
    const refused = await send(d, '10.1.0.9').catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: '4201', status: 429, message: SMS_MESSAGES.busy });
    expect((refused as { retryAfter: number }).retryAfter).toBeGreaterThan(0);
    expect((refused as { retryAfter: number }).retryAfter).toBeLessThanOrEqual(3600);
    // Nothing was claimed for d: no cooldown, no code.
    expect(await store.get(`{sms}:cooldown:${d}`)).toBeNull();
    await expect(check(d, '000000')).rejects.toMatchObject({ data: { fields: { sms_code: SMS_MESSAGES.expired } } });
    expect(events.recorded.at(-1)).toMatchObject({ kind: 'sms_refused', input: { mobile: d, detail: { budget: 'block_hour' } } });
    await expect(send(randomMobile(), '10.1.0.9')).resolves.toMatchObject({ resendIn: 60 });
  });

  it('keeps purposes apart in the key and in the HMAC: a code of one purpose never checks for another', async () => {
    const { send, codeOf, check } = build(store);
    const mobile = randomMobile();
    await send(mobile);
    const code = await codeOf(mobile);
    for (const purpose of ['reset', 'change_mobile'] as const) {
      await expect(check(mobile, code, undefined, purpose)).rejects.toMatchObject({
        data: { fields: { sms_code: SMS_MESSAGES.expired } },
      });
    }
    const checked = await check(mobile, code, undefined, 'register');
    expect(checked.key).toContain(`:${mobile}:register:`);
    // The register code's very entry, copied to the reset key, is still not a reset code: the
    // purpose is in the HMAC too.
    const resetKey = checked.key.replace(':register:', ':reset:');
    await store.spend(Date.now(), [], undefined, { key: resetKey, digest: checked.digest, attempts: 5, ttlMs: 60_000 });
    await expect(check(mobile, code, undefined, 'reset')).rejects.toMatchObject({
      data: { fields: { sms_code: SMS_MESSAGES.wrong(4) } },
    });
  });

  it('sends a reset code only to an active account, after the answer; spends and stores alike for every number', async () => {
    const { sms, send, codeOf, check, events, sessionOf } = build(store);
    const [active, inactive, unknown] = [randomMobile(), randomMobile(), randomMobile()];
    accounts.set(active, { id: 11, isActive: true });
    accounts.set(inactive, { id: 12, isActive: false });
    for (const mobile of [active, inactive, unknown]) {
      await expect(send(mobile, '10.0.0.1', { purpose: 'reset' })).resolves.toEqual({
        expiresIn: 300,
        resendIn: 60,
        codeLength: 6,
      });
    }
    await sms.settled();
    const code = await codeOf(active);
    expect(code).toMatch(/^\d{6}$/);
    expect(await codeOf(inactive)).toBe('');
    expect(await codeOf(unknown)).toBe('');
    // A code is stored for each (a wrong guess spends one of its attempts), and the cooldown taken.
    for (const mobile of [inactive, unknown]) {
      await expect(check(mobile, '000000', sessionOf.get(mobile), 'reset')).rejects.toMatchObject({
        data: { fields: { sms_code: SMS_MESSAGES.wrong(4) } },
      });
      await expect(send(mobile, '10.0.0.1', { purpose: 'reset' })).rejects.toMatchObject({ code: '4201' });
    }
    await expect(check(active, code, sessionOf.get(active), 'reset')).resolves.toMatchObject({ key: expect.any(String) });
    expect(events.recorded.filter((e) => e.kind === 'reset_requested').map((e) => [e.input.userId, e.input.detail])).toEqual([
      [11, { door: 'image', account: 'active' }],
      [12, { door: 'image', account: 'inactive' }],
      [undefined, { door: 'image', account: 'none' }],
    ]);
    expect(events.recorded.filter((e) => e.kind === 'sms_sent').map((e) => e.input.mobile)).toEqual([active]);
  });

  it('answers a reset before the provider does, and never undoes a failed reset text', async () => {
    const fake = await startFakeCcp();
    try {
      const ccp = createCcpGateway(fakeCcpConfig(fake.baseUrl), Date.now);
      const { sms, send, events } = build(store, { gateway: ccp });
      const mobile = randomMobile();
      accounts.set(mobile, { id: 13, isActive: true });
      fake.setMode('refuse');
      await expect(send(mobile, '10.0.0.1', { purpose: 'reset' })).resolves.toMatchObject({ resendIn: 60 });
      await sms.settled();
      expect(fake.received.at(-1)).toMatchObject({ to: mobile, templateId: '1' });
      expect(events.recorded.at(-1)).toMatchObject({
        kind: 'sms_failed',
        input: {
          mobile,
          detail: { gateway: 'ccp', door: 'image', purpose: 'reset', reason: 'rejected', providerCode: '160040' },
        },
      });
      // Not undone: the cooldown stands as it does for a number that got no text.
      fake.setMode('ok');
      await expect(send(mobile, '10.0.0.1', { purpose: 'reset' })).rejects.toMatchObject({ code: '4201' });
    } finally {
      await fake.close();
    }
  });

  it('refuses a change_mobile code without a logged-in user, before the captcha is spent, and a registered number', async () => {
    const { send } = build(store);
    await expect(send(randomMobile(), '10.0.0.1', { purpose: 'change_mobile' })).rejects.toMatchObject({
      code: Code.SESSIONERR,
      message: SMS_MESSAGES.loginFirst,
    });
    const taken = randomMobile();
    registered.add(taken);
    await expect(send(taken, '10.0.0.1', { purpose: 'change_mobile', userId: 1 })).rejects.toMatchObject({ code: '4003' });
    await expect(send(randomMobile(), '10.0.0.1', { purpose: 'change_mobile', userId: 1 })).resolves.toMatchObject({
      codeLength: 6,
    });
  });

  it('takeCode uses a code up for exactly one racer, and restores it for a retry', async () => {
    const { sms, send, codeOf, check } = build(store);
    const mobile = randomMobile();
    accounts.set(mobile, { id: 14, isActive: true });
    await send(mobile, '10.0.0.1', { purpose: 'reset' });
    await sms.settled();
    const code = await codeOf(mobile);
    const checked = await Promise.all([1, 2, 3].map(() => check(mobile, code, undefined, 'reset')));
    const taken = await Promise.all(checked.map((c) => sms.takeCode(c)));
    expect(taken.filter(Boolean)).toHaveLength(1);
    await expect(check(mobile, code, undefined, 'reset')).rejects.toMatchObject({
      data: { fields: { sms_code: SMS_MESSAGES.expired } },
    });
    await taken.find(Boolean)?.restore();
    const again = await check(mobile, code, undefined, 'reset');
    expect(await sms.useCode(again)).toBe(true);
  });

  // The global budgets count every send of the store: these tests get a store of their own.
  it('the global budget stops a spread of clients and numbers, exactly at its size under concurrency', async () => {
    const own = await open();
    const { send, events } = build(own, { config: { globalPerHour: 5 } });
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => send(randomMobile(), `10.2.${i}.1`)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    for (const r of results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')) {
      expect(r.reason).toMatchObject({ code: '4201', message: SMS_MESSAGES.busy });
    }
    expect(events.recorded.filter((e) => e.kind === 'sms_refused').map((e) => e.input.detail?.budget)).toEqual(
      Array(15).fill('global_hour'),
    );
    await own.close();
  });

  it('has a daily global budget too', async () => {
    const own = await open();
    const { send } = build(own, { config: { globalPerDay: 2 } });
    await send(randomMobile(), '10.3.0.1');
    await send(randomMobile(), '10.3.0.2');
    await expect(send(randomMobile(), '10.3.0.3')).rejects.toMatchObject({ code: '4201', message: SMS_MESSAGES.busy });
    await own.close();
  });
});

// Redis keeps its own time for the cooldown; the per-mobile budgets are best moved through
// time on the in-process store, which follows the injected clock for everything.
describe('SMS budgets over time (memory store)', () => {
  const HOUR = 3_600_000;
  /** A clock at the start of an hour (and a day), so windows are whole in the test. */
  const clockAtDayStart = () => manualClock(Math.ceil(Date.now() / 86_400_000) * 86_400_000 + 86_400_000);
  const openStore = (clock: () => number) => STORE_CASES[0]!.open(clock);

  it('expires the code after its TTL and the cooldown after 60 s', async () => {
    const clock = manualClock();
    const { send, codeOf, check } = build(await openStore(clock), { clock });
    const mobile = randomMobile();
    await send(mobile);
    const code = await codeOf(mobile);
    clock.advance(59_000);
    await expect(send(mobile)).rejects.toMatchObject({ code: '4201', retryAfter: 1 });
    clock.advance(1_000);
    await send(mobile);
    const second = await codeOf(mobile);
    clock.advance(300_000);
    await expect(check(mobile, second)).rejects.toMatchObject({
      data: { fields: { sms_code: SMS_MESSAGES.expired } },
    });
    expect(code).toMatch(/^\d{6}$/);
  });

  it('restores a taken code with the lifetime it had left', async () => {
    const clock = manualClock();
    const { sms, send, codeOf, check } = build(await openStore(clock), { clock });
    const mobile = randomMobile();
    await send(mobile);
    const code = await codeOf(mobile);
    clock.advance(200_000);
    const taken = await sms.takeCode(await check(mobile, code));
    clock.advance(50_000);
    await taken?.restore();
    await expect(check(mobile, code)).resolves.toMatchObject({ key: expect.any(String) });
    clock.advance(50_000); // 300 s after it was sent
    await expect(check(mobile, code)).rejects.toMatchObject({ data: { fields: { sms_code: SMS_MESSAGES.expired } } });
  });

  it('limits the codes one client gets sent to one mobile per hour, until the next hour; other clients still get theirs', async () => {
    const clock = clockAtDayStart();
    const { send } = build(await openStore(clock), { clock, config: { perMobilePerHour: 2 } });
    const mobile = randomMobile();
    await send(mobile, '10.4.0.1');
    clock.advance(60_000);
    await send(mobile, '10.4.0.1');
    clock.advance(60_000);
    await expect(send(mobile, '10.4.0.1')).rejects.toMatchObject({
      code: '4201',
      message: SMS_MESSAGES.hourlyLimit,
      retryAfter: 3600 - 120,
    });
    await expect(send(mobile, '10.4.0.2')).resolves.toMatchObject({ resendIn: 60 });
    clock.advance(HOUR - 120_000);
    await expect(send(mobile, '10.4.0.1')).resolves.toMatchObject({ resendIn: 60 });
  });

  it('counts the daily budget per (mobile, client) under a ceiling for the number', async () => {
    const clock = clockAtDayStart();
    const { send } = build(await openStore(clock), { clock, config: { perMobilePerDay: 2, mobileCeilingPerDay: 3 } });
    const victim = randomMobile();
    const sendAfterCooldown = async (client: string) => {
      clock.advance(60_000);
      return send(victim, client);
    };
    // An attacker spends his own daily budget for the victim's number...
    await sendAfterCooldown('198.51.100.7');
    await sendAfterCooldown('198.51.100.7');
    await expect(sendAfterCooldown('198.51.100.7')).rejects.toMatchObject({ message: SMS_MESSAGES.dailyLimit });
    // ...and the owner, who never asked today, still gets a code.
    await expect(sendAfterCooldown('203.0.113.20')).resolves.toMatchObject({ resendIn: 60 });
    // The ceiling that protects the bill holds for everyone.
    await expect(sendAfterCooldown('203.0.113.21')).rejects.toMatchObject({ message: SMS_MESSAGES.dailyLimit });
    clock.advance(86_400_000);
    await expect(send(victim, '203.0.113.21')).resolves.toMatchObject({ resendIn: 60 });
  });

  it("a send that times out late never removes a newer send's code or cooldown", async () => {
    const clock = manualClock();
    const timed = await openStore(clock);
    const fake = await startFakeCcp();
    try {
      const ccp = createCcpGateway(fakeCcpConfig(fake.baseUrl), clock);
      const { send, verify, sessionOf } = build(timed, { clock, gateway: ccp });
      const mobile = randomMobile();
      fake.setMode('hang');
      const late = send(mobile).catch((e: unknown) => e);
      await vi.waitFor(() => expect(fake.hangingCount).toBe(1));
      clock.advance(60_000); // the first request's cooldown is over: a second one goes through
      fake.setMode('ok');
      await send(mobile);
      const code = fake.accepted.at(-1)?.datas[0] ?? '';
      const session = sessionOf.get(mobile);
      expect(await late).toMatchObject({ code: '4006', retryAfter: 60 });
      await expect(send(mobile)).rejects.toMatchObject({ code: '4201' }); // the cooldown stands
      await expect(verify(mobile, code, session)).resolves.toBeUndefined(); // so does the code
    } finally {
      await fake.close();
    }
  });
});

// A Redis stall longer than the first undo retries: the spend's reply is lost (it may run late),
// the undo fails for a while, and must still get through once the store answers again.
describe('an SMS spend of unknown outcome (memory store, fake timers)', () => {
  it('is undone when the store answers again, however long after the early retries', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'Date'] });
    try {
      const real = createMemoryStore();
      let storeDown = false;
      const store: KvStore = {
        ...real,
        // The spend runs, and its answer is lost on the way back.
        async spend(...args) {
          await real.spend(...args);
          storeDown = true;
          throw new AppError(Code.SERVERERR, { status: 503 });
        },
        async unspend(...args) {
          if (storeDown) throw new AppError(Code.SERVERERR, { status: 503 });
          return real.unspend(...args);
        },
      };
      const { send } = build(store);
      const mobile = randomMobile();
      await expect(send(mobile)).rejects.toMatchObject({ code: '4500' });
      expect(await real.get(`{sms}:cooldown:${mobile}`)).not.toBeNull(); // the lost spend did run
      // Past the early retries (250 ms, 1 s, 4 s) the store is still down...
      await vi.advanceTimersByTimeAsync(20_000);
      expect(await real.get(`{sms}:cooldown:${mobile}`)).not.toBeNull();
      // ...then it answers: the next retry undoes the spend, and the number is free at once.
      storeDown = false;
      await vi.advanceTimersByTimeAsync(5_000);
      expect(await real.get(`{sms}:cooldown:${mobile}`)).toBeNull();
      await expect(build(real).send(mobile)).resolves.toMatchObject({ resendIn: 60 });
    } finally {
      vi.useRealTimers();
    }
  });
});
