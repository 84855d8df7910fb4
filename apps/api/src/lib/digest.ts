// One-time secrets (captcha answers, SMS codes) are stored only as keyed HMACs: a leaked Redis
// dump reveals nothing, and comparing two HMACs in constant time leaks nothing about the secret.
import { createHmac, timingSafeEqual } from 'node:crypto';

export type Digest = (...parts: string[]) => string;

export function createDigest(secret: string): Digest {
  return (...parts) => createHmac('sha256', secret).update(parts.join('\u0000')).digest('base64url');
}

export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
