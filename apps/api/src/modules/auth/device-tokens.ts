// Device cookies (OWASP, "Slow Down Online Guessing Attacks with Device Cookies"): a browser that
// logged in as a user gets a signed token, and its later logins as that user skip the delays an
// attacker can put on the account (login-throttle.ts). The token names no user: it is a random
// id and an HMAC of (user id, id), so it is valid for the one account it was issued for and is
// worthless to forge or to move to another account.
import { randomBytes } from 'node:crypto';
import { type Digest, sameDigest } from '../../lib/digest.ts';

const TOKEN = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

export function createDeviceTokens(digest: Digest) {
  const sign = (userId: number, id: string) => digest('device', String(userId), id);
  return {
    issue(userId: number): string {
      const id = randomBytes(16).toString('base64url');
      return `${id}.${sign(userId, id)}`;
    },
    /** The device's id when `token` was issued for this user, else null. */
    verify(token: string | undefined, userId: number): string | null {
      const match = token ? TOKEN.exec(token) : null;
      if (!match) return null;
      const [, id = '', signature = ''] = match;
      return sameDigest(signature, sign(userId, id)) ? id : null;
    },
  };
}
export type DeviceTokens = ReturnType<typeof createDeviceTokens>;
