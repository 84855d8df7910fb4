// The captcha renderer off the event loop: a small pool of worker threads (piscina) sized by
// CAPTCHA_RENDER_THREADS, so image load never delays the other routes. 0 threads renders on the
// event loop itself (tests, and machines where a thread per core is too much).
import { Code, text as say } from '@register/contracts';
import { Piscina } from 'piscina';
import { AppError } from '../../errors.ts';
import { siblingModule } from '../../lib/sibling-module.ts';
import { type CaptchaFormat, renderCaptcha } from './captcha.renderer.ts';

export interface CaptchaRenderer {
  render(text: string, format: CaptchaFormat): Promise<Buffer>;
  close(): Promise<void>;
}

/** `module`: the thread's module, for tests of a broken one. */
export function createCaptchaRenderer(
  threads: number,
  module = siblingModule('captcha.worker', import.meta.url),
): CaptchaRenderer {
  if (threads === 0) return { render: renderCaptcha, close: async () => {} };
  const pool = new Piscina({
    filename: module.href,
    // Threads start with the first image and leave after idling: an API that serves none holds none.
    minThreads: 0,
    maxThreads: threads,
    // A burst queues here rather than in memory without bound: past it, the pool refuses and
    // the route answers 503, as for any backend that cannot keep up.
    maxQueue: threads * 64,
    idleTimeout: 30_000,
  });
  // A render thread that cannot start (its module missing or broken: a bad deployment) is an
  // 'error' on the pool, which would stop the process unheard, while the task it was given
  // never settles. Every render answers 503 from then on instead, the cause in the error log.
  let broken: Error | null = null;
  let breakNow: (error: Error) => void = () => {};
  const brokenPool = new Promise<never>((_, reject) => (breakNow = reject));
  brokenPool.catch(() => {}); // observed by the race below
  pool.on('error', (error: Error) => {
    broken ??= error;
    breakNow(error);
  });
  const unavailable = (cause: Error) => new AppError(Code.SERVERERR, { status: 503, message: say.service.storeDown, cause });
  return {
    async render(text, format) {
      if (broken) throw unavailable(broken);
      try {
        return Buffer.from(await Promise.race([pool.run({ text, format }), brokenPool]));
      } catch (error) {
        if (broken) throw unavailable(broken);
        if (pool.queueSize >= pool.options.maxQueue) {
          throw new AppError(Code.SERVERERR, { status: 503, message: say.service.busy, retryAfter: 1, cause: error });
        }
        throw error;
      }
    },
    close: () => pool.destroy(),
  };
}
