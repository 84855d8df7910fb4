// Draws a captcha with Skia (@napi-rs/canvas): per-glyph rotation, size and colour jitter, a
// wave through the text and background noise. The font is a file shipped with the app, so the
// image never depends on the host's fonts.
import { randomInt } from 'node:crypto';
import path from 'node:path';
import { type Canvas, createCanvas, GlobalFonts, type SKRSContext2D } from '@napi-rs/canvas';

/** Uppercase letters and digits that cannot be mistaken for each other: no 0/O/Q, 1/I/L, 2/Z, 5/S, 8/B, 6/G. */
export const CAPTCHA_ALPHABET = 'ACDEFHJKMNPRTUVWXY34679';
export const CAPTCHA_WIDTH = 160;
export const CAPTCHA_HEIGHT = 56;

const FONT_FILE = path.resolve(import.meta.dirname, '../../../assets/fonts/DejaVuSans-Bold.ttf');
const FONT_FAMILY = 'CaptchaSans';
let fontRegistered = false;
function ensureFont(): void {
  if (fontRegistered) return;
  if (!GlobalFonts.registerFromPath(FONT_FILE, FONT_FAMILY)) throw new Error(`cannot load captcha font ${FONT_FILE}`);
  fontRegistered = true;
}

export function randomCaptchaText(length = 4): string {
  let text = '';
  for (let i = 0; i < length; i++) text += CAPTCHA_ALPHABET[randomInt(CAPTCHA_ALPHABET.length)];
  return text;
}

const between = (min: number, max: number) => min + Math.random() * (max - min);
const color = (lightness: [number, number], alpha = 1) =>
  `hsla(${Math.floor(between(0, 360))}, ${Math.floor(between(40, 80))}%, ${Math.floor(between(...lightness))}%, ${alpha})`;

function drawNoise(ctx: SKRSContext2D): void {
  for (let i = 0; i < 60; i++) {
    ctx.fillStyle = color([30, 70], 0.6);
    ctx.beginPath();
    ctx.arc(between(0, CAPTCHA_WIDTH), between(0, CAPTCHA_HEIGHT), between(0.6, 1.6), 0, Math.PI * 2);
    ctx.fill();
  }
  for (let i = 0; i < 4; i++) {
    ctx.strokeStyle = color([40, 70], 0.7);
    ctx.lineWidth = between(0.8, 1.8);
    ctx.beginPath();
    ctx.moveTo(between(-10, 20), between(0, CAPTCHA_HEIGHT));
    ctx.bezierCurveTo(
      between(20, 80),
      between(-20, CAPTCHA_HEIGHT + 20),
      between(80, 140),
      between(-20, CAPTCHA_HEIGHT + 20),
      between(140, CAPTCHA_WIDTH + 10),
      between(0, CAPTCHA_HEIGHT),
    );
    ctx.stroke();
  }
}

function drawText(ctx: SKRSContext2D, text: string): void {
  const step = (CAPTCHA_WIDTH - 24) / text.length;
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'center';
  for (let i = 0; i < text.length; i++) {
    ctx.save();
    ctx.translate(12 + step * (i + 0.5) + between(-3, 3), CAPTCHA_HEIGHT / 2 + between(-5, 5));
    ctx.rotate(between(-0.45, 0.45));
    ctx.font = `${Math.floor(between(28, 36))}px ${FONT_FAMILY}`;
    ctx.fillStyle = color([15, 40]);
    ctx.fillText(text[i] ?? '', 0, 0);
    ctx.restore();
  }
  // A wave through the glyphs defeats simple segmentation.
  ctx.strokeStyle = color([20, 45], 0.8);
  ctx.lineWidth = 2;
  ctx.beginPath();
  const phase = between(0, Math.PI * 2);
  const amplitude = between(4, 9);
  for (let x = 6; x <= CAPTCHA_WIDTH - 6; x += 4) {
    const y = CAPTCHA_HEIGHT / 2 + amplitude * Math.sin(phase + x / 18);
    if (x === 6) ctx.moveTo(x, y);
    else ctx.lineTo(x, y);
  }
  ctx.stroke();
}

export type CaptchaFormat = 'png' | 'jpeg';

let drawingSurface: { canvas: Canvas; ctx: SKRSContext2D } | undefined;
/**
 * One canvas per thread, redrawn for every image: the opaque background covers the last one,
 * drawing is synchronous, and the encoder copies the pixels before it returns its promise, so
 * the next image may be drawn while this one encodes. A canvas per image holds Skia memory
 * that V8 does not see, freed only by its finalizer after some garbage collection: 12,000 of
 * them drawn without a pause held 630 MB.
 */
function surface() {
  if (!drawingSurface) {
    const canvas = createCanvas(CAPTCHA_WIDTH, CAPTCHA_HEIGHT);
    drawingSurface = { canvas, ctx: canvas.getContext('2d') };
  }
  return drawingSurface;
}

/**
 * Renders `text` into an image; the encoding runs on libuv's thread pool. (Encoding in the
 * render thread itself, synchronously, was 4-15 % faster under image load but held 40 MB more.)
 */
export async function renderCaptcha(text: string, format: CaptchaFormat = 'png'): Promise<Buffer> {
  ensureFont();
  const { canvas, ctx } = surface();
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  // A flat pastel background: a gradient made PNG encoding (most of the cost) 1.6x slower for
  // no gain in difficulty, the noise and the wave already vary every pixel row.
  ctx.fillStyle = color([90, 96]);
  ctx.fillRect(0, 0, CAPTCHA_WIDTH, CAPTCHA_HEIGHT);
  drawNoise(ctx);
  drawText(ctx, text);
  return format === 'png' ? canvas.encode('png') : canvas.encode('jpeg', 85);
}
