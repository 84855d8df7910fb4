import { randomBytes, randomInt } from 'node:crypto';
import { Code, SMS_MESSAGES, type SmsSent } from '@register/contracts';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../../config.ts';
import { AppError, fieldError } from '../../errors.ts';
import type { Clock } from '../../lib/clock.ts';
import { type Digest, sameDigest } from '../../lib/digest.ts';
import { maskMobile, numberBlock } from '../../lib/mobile.ts';
import { DAY_MS, HOUR_MS, retrySeconds, type Window, windowAt, windowTtl } from '../../lib/windows.ts';
import type { Budget, KvStore } from '../../store/kv-store.ts';
import type { CaptchaService } from '../captcha/captcha.service.ts';
import type { SecurityEvents } from '../security-events/events.service.ts';
import { type SmsGateway, SmsRejectedError, smsText } from './sms.gateway.ts';

/** A code that was checked and found right, not yet used up (see useCode). */
export interface CheckedCode {
  mobile: string;
  digest: string;
}

export interface SmsService {
  sendCode(input: { sessionId: string; mobile: string; captcha: string; client: string }): Promise<SmsSent>;
  /**
   * Checks a code for a mobile, spending one attempt, and leaves it in place: the caller uses it
   * up with useCode() once nothing else can refuse. Throws PARAMERR (field sms_code) otherwise.
   */
  checkCode(mobile: string, code: string, client: string): Promise<CheckedCode>;
  /** Uses up a checked code; true for exactly one of any number of racing callers. */
  useCode(checked: CheckedCode): Promise<boolean>;
}

/** The budgets a send spends, in the order a refusal names them. */
export type SmsBudget = 'mobile_hour' | 'mobile_day' | 'mobile_ceiling' | 'block_hour' | 'global_hour' | 'global_day';

const keys = {
  code: (mobile: string) => `sms:code:${mobile}`,
  cooldown: (mobile: string) => `sms:cooldown:${mobile}`,
};

const REFUSAL_MESSAGES: Record<SmsBudget, string> = {
  mobile_hour: SMS_MESSAGES.hourlyLimit,
  mobile_day: SMS_MESSAGES.dailyLimit,
  mobile_ceiling: SMS_MESSAGES.dailyLimit,
  // Block and global budgets say nothing about this visitor's number: the same calm sentence.
  block_hour: SMS_MESSAGES.busy,
  global_hour: SMS_MESSAGES.busy,
  global_day: SMS_MESSAGES.busy,
};

export function createSmsService(deps: {
  store: KvStore;
  digest: Digest;
  captcha: CaptchaService;
  gateway: SmsGateway;
  isMobileRegistered: (mobile: string) => Promise<boolean>;
  events: SecurityEvents;
  clock: Clock;
  config: Config['sms'];
  log: FastifyBaseLogger;
}): SmsService {
  const { store, digest, captcha, gateway, isMobileRegistered, events, clock, config, log } = deps;
  const codeDigest = (mobile: string, code: string) => digest('sms', mobile, code);

  /**
   * Every budget one send spends. Per mobile: per hour, and per day counted per (mobile, client)
   * under a higher ceiling for the number, so an attacker who spends a number's budget from his
   * own clients does not deny it to its owner, short of the ceiling that protects the bill.
   * Per number block (SMS pumping walks consecutive numbers), and for the whole service.
   */
  function budgets(mobile: string, client: string): { name: SmsBudget; budget: Budget; window: Window }[] {
    const now = clock();
    const hour = windowAt(now, HOUR_MS);
    const day = windowAt(now, DAY_MS);
    const entry = (name: SmsBudget, key: string, limit: number, window: Window) => ({
      name,
      window,
      budget: { key: `${key}:${window.index}`, limit, ttlMs: windowTtl(window) },
    });
    return [
      entry('mobile_hour', `sms:hour:${mobile}`, config.perMobilePerHour, hour),
      entry('mobile_day', `sms:day:${mobile}:${client}`, config.perMobilePerDay, day),
      entry('mobile_ceiling', `sms:day:${mobile}`, config.mobileCeilingPerDay, day),
      entry('block_hour', `sms:block:${numberBlock(mobile)}`, config.perBlockPerHour, hour),
      entry('global_hour', 'sms:global:hour', config.globalPerHour, hour),
      entry('global_day', 'sms:global:day', config.globalPerDay, day),
    ];
  }

  return {
    async sendCode({ sessionId, mobile, captcha: answer, client }) {
      await captcha.consume(sessionId, answer, client);
      if (await isMobileRegistered(mobile)) throw fieldError(Code.DATAEXIST, 'mobile', SMS_MESSAGES.registered);

      // One atomic step claims the cooldown and spends every budget, or writes nothing at all:
      // of any number of concurrent requests for one mobile exactly one gets through (the seed's
      // get-then-setex let them all), and a refusal leaves no cooldown or count behind. The claim
      // holds this request's own token, so only this request can release it.
      const spending = budgets(mobile, client);
      const claim = {
        key: keys.cooldown(mobile),
        value: randomBytes(12).toString('base64url'),
        ttlMs: config.resendSeconds * 1000,
      };
      const spent = await store.spend(
        spending.map((s) => s.budget),
        claim,
      );
      if (!spent.ok) {
        const refusal = spent.refused === -1 ? null : spending[spent.refused];
        events.record('sms_refused', { client, mobile, detail: { budget: refusal?.name ?? 'cooldown' } });
        if (!refusal) {
          const retryAfter = retrySeconds(spent.claimTtlMs);
          const message = SMS_MESSAGES.cooldown(retryAfter);
          throw new AppError(Code.THROTTLED, { message, fields: { mobile: message }, retryAfter });
        }
        if (refusal.name.startsWith('global')) log.warn({ budget: refusal.name }, 'global SMS budget spent: no codes are sent');
        throw new AppError(Code.THROTTLED, {
          message: REFUSAL_MESSAGES[refusal.name],
          retryAfter: retrySeconds(refusal.window.remainingMs),
        });
      }

      const code = String(randomInt(0, 10 ** config.codeLength)).padStart(config.codeLength, '0');
      const ttlMinutes = Math.ceil(config.ttlSeconds / 60);
      const digest = codeDigest(mobile, code);
      try {
        await store.putCode(keys.code(mobile), digest, config.maxAttempts, config.ttlSeconds * 1000);
        await gateway.send({ mobile, code, ttlMinutes, text: smsText(code, ttlMinutes) });
      } catch (error) {
        // Nothing half-done: the unsent code cannot be used, the visitor may retry at once, and the
        // budgets are spent only by texts that went out. Compare-and-delete, so a late failure
        // never removes a newer request's code or claim.
        await Promise.all([
          store.consumeCode(keys.code(mobile), digest),
          store.deleteIfEquals(claim.key, claim.value),
          store.refund(spending.map((s) => s.budget.key)),
        ]).catch((cleanupError: unknown) => log.error({ err: cleanupError }, 'could not undo an unsent SMS'));
        if (error instanceof AppError) throw error; // the store itself failed (503)
        const rejected = error instanceof SmsRejectedError;
        events.record('sms_failed', {
          client,
          mobile,
          detail: {
            gateway: gateway.name,
            reason: rejected ? 'rejected' : 'unreachable',
            ...(rejected ? { providerCode: error.providerCode } : {}),
          },
        });
        log.warn({ mobile: maskMobile(mobile), gateway: gateway.name, err: error }, 'SMS not sent');
        throw new AppError(rejected ? Code.SMSFAIL : Code.SMSERROR, { cause: error });
      }
      events.record('sms_sent', { client, mobile, detail: { gateway: gateway.name } });
      return { expiresIn: config.ttlSeconds, resendIn: config.resendSeconds, codeLength: config.codeLength };
    },

    async checkCode(mobile, code, client) {
      const claimed = await store.claimAttempt(keys.code(mobile));
      if (!claimed) throw fieldError(Code.PARAMERR, 'sms_code', SMS_MESSAGES.expired);
      if (sameDigest(claimed.digest, codeDigest(mobile, code))) return { mobile, digest: claimed.digest };
      // The budget is spent: the next claim finds none left and deletes the code.
      if (claimed.attemptsLeft === 0) {
        events.record('code_exhausted', { client, mobile });
        throw fieldError(Code.PARAMERR, 'sms_code', SMS_MESSAGES.exhausted);
      }
      events.record('code_failed', { client, mobile, detail: { attemptsLeft: claimed.attemptsLeft } });
      throw fieldError(Code.PARAMERR, 'sms_code', SMS_MESSAGES.wrong(claimed.attemptsLeft));
    },

    // Compare-and-delete: when the right code races itself, exactly one request wins.
    useCode: ({ mobile, digest }) => store.consumeCode(keys.code(mobile), digest),
  };
}
