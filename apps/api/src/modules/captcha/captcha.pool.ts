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

export function createCaptchaRenderer(threads: number): CaptchaRenderer {
  if (threads === 0) return { render: renderCaptcha, close: async () => {} };
  const pool = new Piscina({
    filename: siblingModule('captcha.worker', import.meta.url).href,
    // Threads start with the first image and leave after idling: an API that serves none holds none.
    minThreads: 0,
    maxThreads: threads,
    // A burst queues here rather than in memory without bound: past it, the pool refuses and
    // the route answers 503, as for any backend that cannot keep up.
    maxQueue: threads * 64,
    idleTimeout: 30_000,
  });
  return {
    async render(text, format) {
      try {
        return Buffer.from(await pool.run({ text, format }));
      } catch (error) {
        if (pool.queueSize >= pool.options.maxQueue) {
          throw new AppError(Code.SERVERERR, { status: 503, message: say.service.busy, retryAfter: 1, cause: error });
        }
        throw error;
      }
    },
    close: () => pool.destroy(),
  };
}
