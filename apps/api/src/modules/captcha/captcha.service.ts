import { CAPTCHA_MESSAGES, Code } from '@register/contracts';
import type { Config } from '../../config.ts';
import { AppError, fieldError } from '../../errors.ts';
import { type Digest, sameDigest } from '../../lib/digest.ts';
import type { KvStore } from '../../store/kv-store.ts';
import { randomCaptchaText, renderCaptcha } from './captcha.renderer.ts';

export interface CaptchaImage {
  image: Buffer;
  contentType: 'image/png' | 'image/jpeg';
}

export interface CaptchaService {
  /** Draws a new captcha for the session; its answer replaces the previous one. */
  issue(sessionId: string, ip: string): Promise<CaptchaImage>;
  /** Checks an answer (case-insensitive) and spends the captcha, right or wrong. */
  consume(sessionId: string, answer: string): Promise<void>;
}

const key = (sessionId: string) => `captcha:${sessionId}`;

export function createCaptchaService(deps: {
  store: KvStore;
  digest: Digest;
  config: Config['captcha'];
  /** Where answers come from; CAPTCHA_TEST_TEXT, when set, wins. */
  generateText?: () => string;
}): CaptchaService {
  const { store, digest, config, generateText = randomCaptchaText } = deps;
  const answerDigest = (sessionId: string, text: string) => digest('captcha', sessionId, text.toUpperCase());
  return {
    async issue(sessionId, ip) {
      // Each image costs a render and a store entry: bound what one address can make us do.
      const perIp = await store.hit(`captcha:ip:${ip}`, 60_000);
      if (perIp.count > config.perIpPerMinute) {
        throw new AppError(Code.THROTTLED, {
          message: CAPTCHA_MESSAGES.ipLimit,
          retryAfter: Math.max(1, Math.ceil(perIp.resetMs / 1000)),
        });
      }
      const text = config.testText ?? generateText();
      const image = await renderCaptcha(text, config.format);
      await store.set(key(sessionId), answerDigest(sessionId, text), config.ttlSeconds * 1000);
      return { image, contentType: config.format === 'png' ? 'image/png' : 'image/jpeg' };
    },
    async consume(sessionId, answer) {
      // GETDEL: the answer is gone the moment anyone tries it, so one solved captcha can never
      // authorise two SMS sends, and racing requests cannot both read it (the seed never cleared it).
      const stored = await store.take(key(sessionId));
      if (!stored) throw fieldError(Code.PARAMERR, 'captcha', CAPTCHA_MESSAGES.expired);
      if (!sameDigest(stored, answerDigest(sessionId, answer)))
        throw fieldError(Code.PARAMERR, 'captcha', CAPTCHA_MESSAGES.wrong);
    },
  };
}
