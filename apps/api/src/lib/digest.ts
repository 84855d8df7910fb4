// One-time secrets (captcha answers, SMS codes) are stored only as keyed HMACs: a leaked Redis
// dump reveals nothing, and comparing two HMACs in constant time leaks nothing about the secret.
// CODE_SECRET may be a list, to rotate it: new HMACs are keyed with the first secret, and what
// was stored before the rotation is still recognised under the others (`all`).
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface Digest {
  /** The HMAC under the current (first) secret. */
  (...parts: string[]): string;
  /** The HMAC under every secret, the current one first: to recognise what older ones keyed. */
  all(...parts: string[]): string[];
}

export function createDigest(secrets: string | readonly string[]): Digest {
  const keys = typeof secrets === 'string' ? [secrets] : [...secrets];
  if (keys.length === 0) throw new Error('createDigest: no secret');
  const under = (secret: string) => (parts: string[]) =>
    createHmac('sha256', secret).update(parts.join('\u0000')).digest('base64url');
  const every = keys.map(under);
  const current = every[0] as (parts: string[]) => string;
  return Object.assign((...parts: string[]) => current(parts), {
    all: (...parts: string[]) => every.map((hmac) => hmac(parts)),
  });
}

/** True when `stored` is any of the candidates (each compared in constant time). */
export function sameAsAny(stored: string, candidates: readonly string[]): boolean {
  let found = false;
  for (const candidate of candidates) found = sameDigest(stored, candidate) || found;
  return found;
}

export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
