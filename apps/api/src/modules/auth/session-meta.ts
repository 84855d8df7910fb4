// What the sessions list says of where a session logged in from: a short device description and
// a truncated address. Both are computed once, at login, and only they are stored: never the
// whole User-Agent nor the full address, which would say more than the owner needs to recognise
// a session (and, in the store, more than an attacker who reads it should learn).
import { clientKey } from '../../plugins/client-identity.ts';

export const UNKNOWN_BROWSER = 'Unknown browser';

// Order matters: many browsers name others in their User-Agent (Edge says Chrome and Safari,
// Chrome says Safari, every iOS browser is Safari underneath).
const BROWSERS: [RegExp, string][] = [
  [/\bEdg(?:e|A|iOS)?\//, 'Edge'],
  [/\b(?:OPR|Opera)\//, 'Opera'],
  [/\bSamsungBrowser\//, 'Samsung Internet'],
  [/\bYaBrowser\//, 'Yandex Browser'],
  [/\b(?:Firefox|FxiOS)\//, 'Firefox'],
  [/\b(?:Chrome|CriOS|Chromium)\//, 'Chrome'],
  [/\bVersion\/[\d.]+.*\bSafari\//, 'Safari'],
  [/\b(?:iPhone|iPad|Macintosh)\b.*\bAppleWebKit\//, 'Safari'],
];
const SYSTEMS: [RegExp, string][] = [
  [/\biPhone\b/, 'iPhone'],
  [/\biPad\b/, 'iPad'],
  [/\bAndroid\b/, 'Android'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bWindows\b/, 'Windows'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bLinux\b/, 'Linux'],
];

/** "Chrome on Windows", "Safari on iPhone", "Firefox" (no system named), "Unknown browser". */
export function describeDevice(userAgent: string | undefined): string {
  // Only the start is looked at: a User-Agent may be as long as the header limit.
  const ua = (userAgent ?? '').slice(0, 512);
  const browser = BROWSERS.find(([pattern]) => pattern.test(ua))?.[1];
  const system = SYSTEMS.find(([pattern]) => pattern.test(ua))?.[1];
  if (!browser) return system ? `${UNKNOWN_BROWSER} on ${system}` : UNKNOWN_BROWSER;
  return system ? `${browser} on ${system}` : browser;
}

/** An IPv4 address as its /24 ("203.0.113.x"), an IPv6 one as its /48 ("2001:db8:85a3::/48"). */
export function truncatedAddress(ip: string): string {
  const key = clientKey(ip, 48);
  if (key === 'unknown') return 'unknown';
  if (!key.includes(':')) return key.replace(/\.\d+$/, '.x');
  return `${key}/48`;
}
