import { loadImage } from '@napi-rs/canvas';
import { CAPTCHA_MESSAGES, Code } from '@register/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventsSpy } from '../../../test/helper.ts';
import { STORE_CASES } from '../../../test/stores.ts';
import { slowError } from '../../lib/deadline.ts';
import { createDigest } from '../../lib/digest.ts';
import type { KvStore } from '../../store/kv-store.ts';
import { createCaptchaRenderer } from './captcha.pool.ts';
import { CAPTCHA_ALPHABET, CAPTCHA_HEIGHT, CAPTCHA_WIDTH, randomCaptchaText, renderCaptcha } from './captcha.renderer.ts';
import { createCaptchaService } from './captcha.service.ts';

/** Fraction of pixels that differ clearly from the image's first pixel: 0 for a blank image. */
async function inkRatio(image: Buffer): Promise<number> {
  const { createCanvas } = await import('@napi-rs/canvas');
  const img = await loadImage(image);
  const canvas = createCanvas(img.width, img.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const { data } = ctx.getImageData(0, 0, img.width, img.height);
  let dark = 0;
  for (let i = 0; i < data.length; i += 4) if ((data[i]! + data[i + 1]! + data[i + 2]!) / 3 < 110) dark++;
  return dark / (img.width * img.height);
}

describe('captcha renderer pool (worker threads)', () => {
  it('draws real images off the event loop, and refuses (503) past its queue instead of growing without bound', async () => {
    const pool = createCaptchaRenderer(1);
    try {
      const png = await pool.render('ACDE', 'png');
      expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
      expect(await inkRatio(png)).toBeGreaterThan(0.04);
      expect((await pool.render('ACDE', 'jpeg')).subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
      // One thread, a queue of 64: a burst of 100 gets some images and clear 503s, nothing else.
      const burst = await Promise.allSettled(Array.from({ length: 100 }, () => pool.render('HJKM', 'png')));
      const refused = burst.filter((r) => r.status === 'rejected');
      expect(refused.length).toBeGreaterThan(0);
      expect(burst.length - refused.length).toBeGreaterThanOrEqual(64);
      for (const r of refused) expect((r as PromiseRejectedResult).reason).toMatchObject({ code: '4500', status: 503 });
    } finally {
      await pool.close();
    }
  });
});

describe('captcha renderer pool with a thread that cannot start', () => {
  it('answers 503 for every image instead of stopping the process or leaving the request unanswered', async () => {
    const pool = createCaptchaRenderer(1, new URL('./no-such-worker.js', import.meta.url));
    try {
      await expect(pool.render('ACDE', 'png')).rejects.toMatchObject({ code: '4500', status: 503 });
      await expect(pool.render('HJKM', 'png')).rejects.toMatchObject({ code: '4500', status: 503 });
    } finally {
      await pool.close();
    }
  });
});

describe('captcha renderer', () => {
  it('draws a PNG of the documented size with visible glyphs', async () => {
    const png = await renderCaptcha('ACDE', 'png');
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const img = await loadImage(png);
    expect([img.width, img.height]).toEqual([CAPTCHA_WIDTH, CAPTCHA_HEIGHT]);
    // Dark glyph strokes cover a real share of the image (a font failure would leave ~0).
    expect(await inkRatio(png)).toBeGreaterThan(0.04);
  });

  it('draws a JPEG when asked', async () => {
    const jpeg = await renderCaptcha('ACDE', 'jpeg');
    expect(jpeg.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
  });

  it('never draws the same image twice, even for the same text', async () => {
    const [a, b] = await Promise.all([renderCaptcha('HJKM'), renderCaptcha('HJKM')]);
    expect(a.equals(b)).toBe(false);
  });

  it('picks answers only from an alphabet without look-alike characters', () => {
    for (const ch of '0O1IlQ') expect(CAPTCHA_ALPHABET).not.toContain(ch);
    const texts = Array.from({ length: 200 }, () => randomCaptchaText());
    for (const t of texts) expect(t).toMatch(new RegExp(`^[${CAPTCHA_ALPHABET}]{4}$`));
    expect(new Set(texts).size).toBeGreaterThan(190);
  });
});

describe.each(STORE_CASES)('captcha service on the $name store', ({ open }) => {
  let store: KvStore;
  beforeAll(async () => {
    store = await open();
  });
  afterAll(() => store.close());

  const events = eventsSpy();
  const service = (texts: string[]) =>
    createCaptchaService({
      store,
      digest: createDigest('x'.repeat(32)),
      config: { ttlSeconds: 300, format: 'png', testText: undefined, renderThreads: 0 },
      events,
      generateText: () => texts.shift() ?? 'XXXX',
    });

  it('accepts the answer once, case-insensitively', async () => {
    const captcha = service(['ACDE']);
    const { image, contentType } = await captcha.issue('s1');
    expect(contentType).toBe('image/png');
    expect(image.length).toBeGreaterThan(500);
    await expect(captcha.consume('s1', 'acde', '10.0.0.1')).resolves.toBeUndefined();
    await expect(captcha.consume('s1', 'ACDE', '10.0.0.1')).rejects.toMatchObject({
      data: { fields: { captcha: CAPTCHA_MESSAGES.expired } },
    });
  });

  it('spends the captcha on a wrong answer too', async () => {
    const captcha = service(['ACDE']);
    await captcha.issue('s2');
    await expect(captcha.consume('s2', 'WXYZ', '10.0.0.1')).rejects.toMatchObject({
      data: { fields: { captcha: CAPTCHA_MESSAGES.wrong } },
    });
    await expect(captcha.consume('s2', 'ACDE', '10.0.0.1')).rejects.toMatchObject({
      data: { fields: { captcha: CAPTCHA_MESSAGES.expired } },
    });
  });

  it('a new image replaces the previous answer', async () => {
    const captcha = service(['ACDE', 'FHJK']);
    await captcha.issue('s3');
    await captcha.issue('s3');
    await expect(captcha.consume('s3', 'ACDE', '10.0.0.1')).rejects.toMatchObject({ code: '4103' });
    await captcha.issue('s3');
  });

  it('records each failed answer with its reason, never the answer', async () => {
    const captcha = service(['ACDE']);
    events.recorded.length = 0;
    await captcha.issue('s6');
    await captcha.consume('s6', 'WXYZ', '10.0.0.9').catch(() => {});
    await captcha.consume('s6', 'ACDE', '10.0.0.9').catch(() => {});
    expect(events.recorded).toEqual([
      { kind: 'captcha_failed', input: { client: '10.0.0.9', detail: { door: 'image', reason: 'wrong' } } },
      { kind: 'captcha_failed', input: { client: '10.0.0.9', detail: { door: 'image', reason: 'expired' } } },
    ]);
  });

  it('stores no answer for an image whose request deadline passed while it was drawn', async () => {
    const captcha = service(['ACDE', 'FHJK']);
    await captcha.issue('s7');
    let checks = 0;
    const passesDuringRender = {
      check: () => {
        if (++checks > 1) throw slowError();
      },
      commit() {},
    };
    await expect(captcha.issue('s7', passesDuringRender)).rejects.toMatchObject({ code: Code.SERVERERR, status: 503 });
    expect(checks).toBe(2);
    // The image the client was shown before still holds.
    await expect(captcha.consume('s7', 'ACDE', '10.0.0.1')).resolves.toBeUndefined();
  });

  it('keeps answers per session and stores no plain answer', async () => {
    const captcha = service(['ACDE', 'FHJK']);
    await captcha.issue('s4');
    await captcha.issue('s5');
    expect(await store.get('captcha:s4')).not.toContain('ACDE');
    await expect(captcha.consume('s5', 'FHJK', '10.0.0.1')).resolves.toBeUndefined();
    await expect(captcha.consume('s4', 'ACDE', '10.0.0.1')).resolves.toBeUndefined();
  });
});
