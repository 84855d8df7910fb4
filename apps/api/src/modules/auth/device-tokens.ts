// Device cookies (OWASP, "Slow Down Online Guessing Attacks with Device Cookies"): a browser that
// logged in as a user gets a signed token, and its later logins as that user skip the delays an
// attacker can put on the account (login-throttle.ts). The token names no user: a random id, the
// time it was issued and an HMAC of (user id, id, time), so it is valid for the one account it
// was issued for, only for DEVICE_COOKIE_TTL_DAYS (each login issues a new one), and worthless
// to forge or to move to another account.
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../lib/clock.ts';
import { type Digest, sameAsAny } from '../../lib/digest.ts';

const TOKEN = /^([A-Za-z0-9_-]{22})\.([0-9a-z]{1,12})\.([A-Za-z0-9_-]{43})$/;

export function createDeviceTokens(deps: { digest: Digest; clock: Clock; ttlSeconds: number }) {
  const { digest, clock, ttlSeconds } = deps;
  const sign = (userId: number, id: string, issued: string) => digest('device', String(userId), id, issued);
  // Tokens issued before a CODE_SECRET rotation stay valid for their lifetime.
  const signatures = (userId: number, id: string, issued: string) => digest.all('device', String(userId), id, issued);
  return {
    issue(userId: number): string {
      const id = randomBytes(16).toString('base64url');
      const issued = Math.floor(clock() / 1000).toString(36);
      return `${id}.${issued}.${sign(userId, id, issued)}`;
    },
    /**
     * The device's id when one of `tokens` (a request may carry several cookies of that name, one
     * planted by a sibling domain) was issued for this user and has not expired, else null.
     */
    verify(tokens: string[], userId: number): string | null {
      for (const token of tokens.slice(0, 4)) {
        const [, id = '', issued = '', signature = ''] = TOKEN.exec(token) ?? [];
        if (!id || !sameAsAny(signature, signatures(userId, id, issued))) continue;
        const age = clock() / 1000 - Number.parseInt(issued, 36);
        if (age >= 0 && age < ttlSeconds) return id;
      }
      return null;
    },
  };
}
export type DeviceTokens = ReturnType<typeof createDeviceTokens>;
