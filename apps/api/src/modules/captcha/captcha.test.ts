import { loadImage } from '@napi-rs/canvas';
import { CAPTCHA_MESSAGES } from '@register/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORE_CASES } from '../../../test/stores.ts';
import { createDigest } from '../../lib/digest.ts';
import type { KvStore } from '../../store/kv-store.ts';
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

  const service = (texts: string[]) =>
    createCaptchaService({
      store,
      digest: createDigest('x'.repeat(32)),
      config: { ttlSeconds: 300, format: 'png', testText: undefined, perIpPerMinute: 1000 },
      generateText: () => texts.shift() ?? 'XXXX',
    });

  it('accepts the answer once, case-insensitively', async () => {
    const captcha = service(['ACDE']);
    const { image, contentType } = await captcha.issue('s1', '10.0.0.1');
    expect(contentType).toBe('image/png');
    expect(image.length).toBeGreaterThan(500);
    await expect(captcha.consume('s1', 'acde')).resolves.toBeUndefined();
    await expect(captcha.consume('s1', 'ACDE')).rejects.toMatchObject({
      data: { fields: { captcha: CAPTCHA_MESSAGES.expired } },
    });
  });

  it('spends the captcha on a wrong answer too', async () => {
    const captcha = service(['ACDE']);
    await captcha.issue('s2', '10.0.0.1');
    await expect(captcha.consume('s2', 'WXYZ')).rejects.toMatchObject({ data: { fields: { captcha: CAPTCHA_MESSAGES.wrong } } });
    await expect(captcha.consume('s2', 'ACDE')).rejects.toMatchObject({
      data: { fields: { captcha: CAPTCHA_MESSAGES.expired } },
    });
  });

  it('a new image replaces the previous answer', async () => {
    const captcha = service(['ACDE', 'FHJK']);
    await captcha.issue('s3', '10.0.0.1');
    await captcha.issue('s3', '10.0.0.1');
    await expect(captcha.consume('s3', 'ACDE')).rejects.toMatchObject({ code: '4103' });
    await captcha.issue('s3', '10.0.0.1');
  });

  it('limits the images one address can request per minute', async () => {
    const captcha = createCaptchaService({
      store,
      digest: createDigest('x'.repeat(32)),
      config: { ttlSeconds: 300, format: 'png', testText: 'ACDE', perIpPerMinute: 2 },
    });
    const ip = `10.9.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
    await captcha.issue('s6', ip);
    await captcha.issue('s6', ip);
    await expect(captcha.issue('s6', ip)).rejects.toMatchObject({ code: '4201', status: 429, retryAfter: expect.any(Number) });
    await expect(captcha.issue('s6', '10.0.0.2')).resolves.toMatchObject({ contentType: 'image/png' });
  });

  it('keeps answers per session and stores no plain answer', async () => {
    const captcha = service(['ACDE', 'FHJK']);
    await captcha.issue('s4', '10.0.0.1');
    await captcha.issue('s5', '10.0.0.1');
    expect(await store.get('captcha:s4')).not.toContain('ACDE');
    await expect(captcha.consume('s5', 'FHJK')).resolves.toBeUndefined();
    await expect(captcha.consume('s4', 'ACDE')).resolves.toBeUndefined();
  });
});
