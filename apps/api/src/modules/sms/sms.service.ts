import { randomBytes, randomInt } from 'node:crypto';
import { Code, SMS_MESSAGES, type SmsSent } from '@register/contracts';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../../config.ts';
import { AppError, fieldError } from '../../errors.ts';
import { type Digest, sameDigest } from '../../lib/digest.ts';
import type { KvStore } from '../../store/kv-store.ts';
import type { CaptchaService } from '../captcha/captcha.service.ts';
import { maskMobile, type SmsGateway, SmsRejectedError, smsText } from './sms.gateway.ts';

export interface SmsService {
  sendCode(input: { sessionId: string; mobile: string; captcha: string; ip: string }): Promise<SmsSent>;
  /** Checks a code for a mobile and consumes it; throws PARAMERR (field sms_code) otherwise. */
  verifyCode(mobile: string, code: string): Promise<void>;
}

const keys = {
  code: (mobile: string) => `sms:code:${mobile}`,
  cooldown: (mobile: string) => `sms:cooldown:${mobile}`,
  ip: (ip: string) => `sms:ip:${ip}`,
  day: (mobile: string) => `sms:day:${mobile}`,
};
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

export function createSmsService(deps: {
  store: KvStore;
  digest: Digest;
  captcha: CaptchaService;
  gateway: SmsGateway;
  isMobileRegistered: (mobile: string) => Promise<boolean>;
  config: Config['sms'];
  log: FastifyBaseLogger;
}): SmsService {
  const { store, digest, captcha, gateway, isMobileRegistered, config, log } = deps;
  const codeDigest = (mobile: string, code: string) => digest('sms', mobile, code);

  return {
    async sendCode({ sessionId, mobile, captcha: answer, ip }) {
      const perIp = await store.hit(keys.ip(ip), HOUR_MS);
      if (perIp.count > config.perIpPerHour) {
        throw new AppError(Code.THROTTLED, { message: SMS_MESSAGES.ipLimit, retryAfter: seconds(perIp.resetMs) });
      }
      await captcha.consume(sessionId, answer);
      if (await isMobileRegistered(mobile)) throw fieldError(Code.DATAEXIST, 'mobile', SMS_MESSAGES.registered);

      // SET NX is the check and the claim in one step: of any number of concurrent requests for
      // one mobile, exactly one gets past this line (the seed's get-then-setex let them all through).
      // The value is this request's own token, so only this request can release the claim.
      const claim = randomBytes(12).toString('base64url');
      if (!(await store.setIfAbsent(keys.cooldown(mobile), claim, config.resendSeconds * 1000))) {
        const retryAfter = seconds((await store.ttl(keys.cooldown(mobile))) ?? config.resendSeconds * 1000);
        throw new AppError(Code.THROTTLED, {
          message: SMS_MESSAGES.cooldown(retryAfter),
          fields: { mobile: SMS_MESSAGES.cooldown(retryAfter) },
          retryAfter,
        });
      }

      // A daily cap per number: the cooldown alone would allow 1440 texts (and 7200 guesses) a day.
      const today = await store.hit(keys.day(mobile), DAY_MS);
      if (today.count > config.perMobilePerDay) {
        throw new AppError(Code.THROTTLED, { message: SMS_MESSAGES.dailyLimit, retryAfter: seconds(today.resetMs) });
      }

      const code = String(randomInt(0, 10 ** config.codeLength)).padStart(config.codeLength, '0');
      const ttlMinutes = Math.ceil(config.ttlSeconds / 60);
      const digest = codeDigest(mobile, code);
      await store.putCode(keys.code(mobile), digest, config.maxAttempts, config.ttlSeconds * 1000);
      try {
        await gateway.send({ mobile, code, ttlMinutes, text: smsText(code, ttlMinutes) });
      } catch (error) {
        // Nothing half-done: the unsent code cannot be used and the visitor may retry at once.
        // Compare-and-delete, so a late failure never removes a newer request's code or claim.
        await Promise.all([
          store.consumeCode(keys.code(mobile), digest),
          store.deleteIfEquals(keys.cooldown(mobile), claim),
        ]).catch(() => {});
        const rejected = error instanceof SmsRejectedError;
        log.warn({ mobile: maskMobile(mobile), gateway: gateway.name, err: error }, 'SMS not sent');
        throw new AppError(rejected ? Code.SMSFAIL : Code.SMSERROR, { cause: error });
      }
      return { expiresIn: config.ttlSeconds, resendIn: config.resendSeconds, codeLength: config.codeLength };
    },

    async verifyCode(mobile, code) {
      const key = keys.code(mobile);
      const claimed = await store.claimAttempt(key);
      if (!claimed) throw fieldError(Code.PARAMERR, 'sms_code', SMS_MESSAGES.expired);
      if (sameDigest(claimed.digest, codeDigest(mobile, code))) {
        // Compare-and-delete: when the right code races itself, exactly one request wins.
        if (await store.consumeCode(key, claimed.digest)) return;
        throw fieldError(Code.PARAMERR, 'sms_code', SMS_MESSAGES.expired);
      }
      // The budget is spent: the next claim finds none left and deletes the code.
      if (claimed.attemptsLeft === 0) throw fieldError(Code.PARAMERR, 'sms_code', SMS_MESSAGES.exhausted);
      throw fieldError(Code.PARAMERR, 'sms_code', SMS_MESSAGES.wrong(claimed.attemptsLeft));
    },
  };
}
