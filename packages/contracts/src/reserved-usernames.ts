// Names the public registration refuses: they would let a visitor pose as the service or its
// staff. An operator's createsuperuser may still use them (as Django's does). Usernames are
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
