import { MOBILE_PATTERN, NORMALIZERS } from './fields.ts';
import type { Catalog } from './i18n/catalog.ts';
import { en } from './i18n/en.ts';

// Names the public registration refuses: they would let a visitor pose as the service or its
// staff, or (a username that is a mobile number) be mistaken for another account at login. An operator's createsuperuser may still use them (as Django's does). Usernames are
// compared case-insensitively, as everywhere else. Names shorter than the 5-character minimum
// are listed too, so the list stays right if the username rule ever changes.
export const RESERVED_USERNAMES: readonly string[] = [
  'admin',
  'administrator',
  'admins',
  'root',
  'system',
  'sysadmin',
  'support',
  'help',
  'helpdesk',
  'api',
  'staff',
  'superuser',
  'moderator',
  'official',
  'security',
  'service',
  'services',
  'operator',
  'owner',
  'webmaster',
  'postmaster',
  'hostmaster',
  'abuse',
  'noreply',
  'no_reply',
  'mailer_daemon',
  'register',
  'registration',
  'signup',
  'login',
  'logout',
  'account',
  'accounts',
  'settings',
  'billing',
  'payments',
  'null',
  'undefined',
  'anonymous',
  'everyone',
  'guest',
];

const RESERVED = new Set(RESERVED_USERNAMES.map((name) => name.toLowerCase()));

export function isReservedUsername(username: string): boolean {
  return RESERVED.has(username.trim().toLowerCase());
}

const MOBILE = new RegExp(MOBILE_PATTERN);

/**
 * Why the public registration refuses a (well-formed) username, or null. A username shaped like a
 * mobile number is refused: at login an identifier that looks like a mobile is a mobile.
 */
export function usernameProblem(username: string, messages: Catalog = en): string | null {
  if (isReservedUsername(username)) return messages.user.usernameReserved;
  if (MOBILE.test(NORMALIZERS.mobile(username))) return messages.user.usernameLooksLikeMobile;
  return null;
}
