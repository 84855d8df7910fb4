import { Code, text as say } from '@register/contracts';
import type { Config } from '../../config.ts';
import { fieldError } from '../../errors.ts';
import { type Deadline, noDeadline } from '../../lib/deadline.ts';
import { type Digest, sameAsAny } from '../../lib/digest.ts';
import type { KvStore } from '../../store/kv-store.ts';
import type { SecurityEvents } from '../security-events/events.service.ts';
import { randomCaptchaText, renderCaptcha } from './captcha.renderer.ts';

export interface CaptchaImage {
  image: Buffer;
  contentType: 'image/png' | 'image/jpeg';
}

export interface CaptchaService {
  /**
   * Draws a new captcha for the session; its answer replaces the previous one. Past `deadline`
   * nothing is stored: the client was told it failed and may already have asked for another
   * image, whose answer a late one must not replace.
   */
  issue(sessionId: string, deadline?: Deadline): Promise<CaptchaImage>;
  /** Checks an answer (case-insensitive) and spends the captcha, right or wrong. */
  consume(sessionId: string, answer: string, client: string): Promise<void>;
}

const key = (sessionId: string) => `captcha:${sessionId}`;

export function createCaptchaService(deps: {
  store: KvStore;
  digest: Digest;
  config: Config['captcha'];
  events: SecurityEvents;
  /** Where answers come from; CAPTCHA_TEST_TEXT, when set, wins. */
  generateText?: () => string;
  /** Draws the image: the worker-thread pool (captcha.pool.ts), or on the event loop. */
  render?: (text: string, format: 'png' | 'jpeg') => Promise<Buffer>;
}): CaptchaService {
  const { store, digest, config, events, generateText = randomCaptchaText, render = renderCaptcha } = deps;
  const answerDigest = (sessionId: string, text: string) => digest('captcha', sessionId, text.toUpperCase());
  // Answers stored before a CODE_SECRET rotation are still recognised.
  const answerDigests = (sessionId: string, text: string) => digest.all('captcha', sessionId, text.toUpperCase());
  return {
    // Each image costs a render and a store entry: the route's per-client budget (CAPTCHA_LIMIT_MAX)
    // bounds what one address can make us do.
    async issue(sessionId, deadline = noDeadline) {
      // Before drawing too: under overload an image nobody will see should not take a render thread.
      deadline.check();
      const text = config.testText ?? generateText();
      const image = await render(text, config.format);
      deadline.check();
      await store.set(key(sessionId), answerDigest(sessionId, text), config.ttlSeconds * 1000);
      return { image, contentType: config.format === 'png' ? 'image/png' : 'image/jpeg' };
    },
    async consume(sessionId, answer, client) {
      // GETDEL: the answer is gone the moment anyone tries it, so one solved captcha can never
      // authorise two SMS sends, and racing requests cannot both read it (the seed never cleared it).
      const stored = await store.take(key(sessionId));
      const problem = !stored ? 'expired' : sameAsAny(stored, answerDigests(sessionId, answer)) ? null : 'wrong';
      if (!problem) return;
      events.record('captcha_failed', { client, detail: { door: 'image', reason: problem } });
      throw fieldError(Code.PARAMERR, 'captcha', say.captcha[problem]);
    },
  };
}
