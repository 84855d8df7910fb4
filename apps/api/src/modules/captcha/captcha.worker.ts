// One render, in a worker thread of the captcha pool (captcha.pool.ts): drawing the glyphs and
// the noise is CPU work that would otherwise hold the event loop while every other request waits.
import { type CaptchaFormat, renderCaptcha } from './captcha.renderer.ts';

export default function render({ text, format }: { text: string; format: CaptchaFormat }): Promise<Buffer> {
  return renderCaptcha(text, format);
}
