// The mock API's state: a few users, one visitor's session (the mock models a single browser
// tab, so it needs no cookies) beside the users' other sessions, SMS codes and cooldowns, the
// email addresses' verification links, the passkeys and their ceremonies' challenges. Everything lives in memory: a page reload (dev:mock) or
// resetMockDb() (tests) starts over from the seed below.
import { DEFAULT_LIMITS, type MailMessage, type OutboxMessage, type SmsPurpose } from '@register/contracts';

/** The mock captcha always shows, and accepts, this answer (case-insensitive, like the API). */
export const MOCK_CAPTCHA_ANSWER = 'MOCK';
/** The password of every seeded user. */
export const MOCK_PASSWORD = 'Mock-pass-2026';
/** Seeded users: their usernames and mobiles are "already registered". */
export const MOCK_SEED_USERS = [
  { username: 'admin', mobile: '13800138000' },
  { username: 'alice_1', mobile: '13900139000' },
  { username: 'bob_smith', mobile: '13700137000' },
] as const;

/** The API's defaults (contracts' DEFAULT_LIMITS): lifetimes and the attempt budget. */
export const MOCK_SMS = {
  ttlSeconds: DEFAULT_LIMITS.smsCodeTtlSeconds,
  resendSeconds: DEFAULT_LIMITS.smsResendSeconds,
  maxAttempts: DEFAULT_LIMITS.smsMaxAttempts,
} as const;
/** The API's default login and availability budgets (contracts' DEFAULT_LIMITS), simplified to one client. */
export const MOCK_LOGIN = {
  maxFailures: DEFAULT_LIMITS.loginMaxFailures,
  windowSeconds: DEFAULT_LIMITS.loginWindowSeconds,
} as const;
export const MOCK_AVAILABILITY = {
  max: DEFAULT_LIMITS.availabilityMax,
  windowSeconds: DEFAULT_LIMITS.availabilityWindowSeconds,
} as const;
/**
 * Verification links and their budgets, the API's defaults (EMAIL_* in its config), in fixed
 * windows of the clock as the API's: valid 24 h; 3 emails an hour per account; per (address,
 * account) 3 an hour and 6 a day; 20 a day per address from all accounts together.
 */
export const MOCK_MAIL = {
  tokenTtlSeconds: 24 * 60 * 60,
  perUserPerHour: 3,
  perAddressPerHour: 3,
  perAddressPerDay: 6,
  addressCeilingPerDay: 20,
} as const;

/**
 * The proof of work (the image code's alternative): a real ALTCHA challenge, signed with the
 * mock's own secret, at a cost a test solves in milliseconds (the API's is set by ALTCHA_COST).
 */
export const MOCK_ALTCHA = {
  algorithm: 'PBKDF2/SHA-256',
  cost: 10,
  hmacSecret: 'mock-altcha-secret',
  ttlSeconds: 5 * 60,
} as const;

/**
 * Passkeys, the API's defaults (PASSKEYS_PER_USER_MAX, PASSKEY_CHALLENGE_TTL_SECONDS in its
 * config) and its relying party's name (WEBAUTHN_RP_NAME).
 */
export const MOCK_PASSKEYS = {
  perUserMax: 10,
  challengeTtlSeconds: 5 * 60,
  rpName: 'Register',
} as const;

export interface MockUser {
  id: number;
  username: string;
  mobile: string;
  password: string;
  /** '' when none was set. */
  email: string;
  emailActive: boolean;
}

/** One live session of a user, as GET /user/sessions/ lists it (`id` is the opaque one). */
export interface MockSession {
  id: string;
  userId: number;
  createdAt: string;
  lastSeenAt: string;
  device: string;
  client: string;
}

/** A passkey as the mock keeps it: what the list shows, and what a login is checked against. */
export interface MockPasskey {
  /** Its id in the account's list (the row id, in digits, as the API's). */
  id: string;
  userId: number;
  /** The credential id (base64url), as the authenticator names it. */
  credentialId: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  transports: string[];
  backedUp: boolean;
  /** The signature counter last seen (0: the authenticator does not count). */
  counter: number;
}

export type PasskeyCeremony = 'register' | 'login';

/** A ceremony's challenge, used once: bound to the visitor's session (a registration's) and its user. */
export interface PasskeyChallenge {
  challenge: string;
  sessionId: string | null;
  userId: number | null;
  expiresAt: number;
}

interface PendingCode {
  code: string;
  attemptsLeft: number;
  expiresAt: number;
}

interface EmailToken {
  userId: number;
  email: string;
  expiresAt: number;
}

interface MockState {
  users: MockUser[];
  /** The answer of the captcha last shown to the visitor, until it is tried once. */
  captcha: string | null;
  /** The logged-in user of the single mock session (tests set it to log a user in). */
  sessionUserId: number | null;
  /** The visitor's own entry in `sessions` (created on first use when a test set sessionUserId). */
  currentSessionId: string | null;
  /** Every user's live sessions, the visitor's among them. */
  sessions: MockSession[];
  cooldownUntil: Map<string, number>;
  /** By purpose and mobile (codeKey): a code of one purpose never checks for another. */
  codes: Map<string, PendingCode>;
  outbox: Map<string, OutboxMessage>;
  /** The dev mail outbox: the last message per address. */
  mail: Map<string, MailMessage>;
  /** Verification links' tokens (the API keeps only their hashes). */
  emailTokens: Map<string, EmailToken>;
  /** Verification emails sent, by budget key (see setEmail), with the index of the window they count in. */
  mailSends: Map<string, { window: number; count: number }>;
  loginFailures: Map<string, { count: number; until: number }>;
  /** Availability checks in the current window (the mock is one client). */
  availabilityChecks: { count: number; until: number };
  /** Signatures of the proofs of work already spent (each pays for one SMS request). */
  altchaSpent: Set<string>;
  passkeys: MockPasskey[];
  /** The last passkey row id given (the API's serial: never reused). */
  passkeySeq: number;
  /** The visitor's pending challenge of each ceremony (the mock is one tab: one of each). */
  passkeyChallenges: Map<PasskeyCeremony, PasskeyChallenge>;
}

/** A new passkey's id in the list: the API's row id, in digits. */
export const newPasskeyId = () => String(++db.passkeySeq);

export const codeKey = (purpose: SmsPurpose, mobile: string) => `${purpose}:${mobile}`;

let sessionRefs = 0;
/** An opaque session reference (base64url-like, as the API's): never the visitor's session id. */
export function newSessionRef(): string {
  const random = Array.from(
    { length: 16 },
    () => 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'[Math.floor(Math.random() * 52)],
  );
  return `${random.join('')}${(++sessionRefs).toString(36)}`;
}

const HOUR_MS = 60 * 60 * 1000;
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

/** Each seeded user is also logged in on two other devices, so the sessions list has something to end. */
function seedSessions(users: MockUser[]): MockSession[] {
  return users.flatMap((user) => [
    {
      id: newSessionRef(),
      userId: user.id,
      createdAt: ago(30 * 24 * HOUR_MS),
      lastSeenAt: ago(2 * HOUR_MS),
      device: 'Safari on iPhone',
      client: '203.0.113.x',
    },
    {
      id: newSessionRef(),
      userId: user.id,
      createdAt: ago(3 * 24 * HOUR_MS),
      lastSeenAt: ago(26 * HOUR_MS),
      device: 'Firefox on Windows',
      client: '2001:db8:85a3::/48',
    },
  ]);
}

function seed(): MockState {
  const users = MOCK_SEED_USERS.map((user, index) => ({
    id: index + 1,
    ...user,
    password: MOCK_PASSWORD,
    email: '',
    emailActive: false,
  }));
  return {
    users,
    captcha: null,
    sessionUserId: null,
    currentSessionId: null,
    sessions: seedSessions(users),
    cooldownUntil: new Map(),
    codes: new Map(),
    outbox: new Map(),
    mail: new Map(),
    emailTokens: new Map(),
    mailSends: new Map(),
    loginFailures: new Map(),
    availabilityChecks: { count: 0, until: 0 },
    altchaSpent: new Set(),
    passkeys: [],
    passkeySeq: 0,
    passkeyChallenges: new Map(),
  };
}

export const db: MockState = seed();

export function resetMockDb(): void {
  Object.assign(db, seed());
}

export const findUserByUsername = (username: string) =>
  db.users.find((user) => user.username.toLowerCase() === username.toLowerCase());
export const findUserByMobile = (mobile: string) => db.users.find((user) => user.mobile === mobile);
export const findUserById = (id: number | null) => db.users.find((user) => user.id === id);

export function createUser(input: Pick<MockUser, 'username' | 'mobile' | 'password'>): MockUser {
  const user = { id: Math.max(0, ...db.users.map((u) => u.id)) + 1, ...input, email: '', emailActive: false };
  db.users.push(user);
  return user;
}

// A User-Agent as the API's sessions list describes it (apps/api modules/auth/session-meta.ts):
// "Chrome on Windows", "Safari on iPhone", "Unknown browser". Order matters: browsers name others.
const BROWSERS: [RegExp, string][] = [
  [/\bEdg(?:e|A|iOS)?\//, 'Edge'],
  [/\b(?:OPR|Opera)\//, 'Opera'],
  [/\b(?:Firefox|FxiOS)\//, 'Firefox'],
  [/\b(?:Chrome|CriOS|Chromium)\//, 'Chrome'],
  [/\bVersion\/[\d.]+.*\bSafari\//, 'Safari'],
];
const SYSTEMS: [RegExp, string][] = [
  [/\biPhone\b/, 'iPhone'],
  [/\biPad\b/, 'iPad'],
  [/\bAndroid\b/, 'Android'],
  [/\bWindows\b/, 'Windows'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bLinux\b/, 'Linux'],
];
export function describeDevice(userAgent: string | null): string {
  const ua = userAgent ?? '';
  const browser = BROWSERS.find(([pattern]) => pattern.test(ua))?.[1] ?? 'Unknown browser';
  const system = SYSTEMS.find(([pattern]) => pattern.test(ua))?.[1];
  return system ? `${browser} on ${system}` : browser;
}

/** Starts the visitor's session for a user (login, registration), from the device given. */
export function beginSession(userId: number, device = 'Unknown browser'): MockSession {
  endCurrentSession();
  const now = new Date().toISOString();
  const session = { id: newSessionRef(), userId, createdAt: now, lastSeenAt: now, device, client: '127.0.0.x' };
  db.sessions.push(session);
  db.sessionUserId = userId;
  db.currentSessionId = session.id;
  return session;
}

/** The visitor's session entry, created when a test logged a user in by setting sessionUserId. */
export function currentSession(): MockSession | null {
  if (db.sessionUserId === null) return null;
  const existing = db.sessions.find((s) => s.id === db.currentSessionId && s.userId === db.sessionUserId);
  if (existing) {
    existing.lastSeenAt = new Date().toISOString();
    return existing;
  }
  return beginSession(db.sessionUserId);
}

export function endCurrentSession(): void {
  db.sessions = db.sessions.filter((s) => s.id !== db.currentSessionId);
  db.sessionUserId = null;
  db.currentSessionId = null;
}

/** Ends sessions of a user (all, or all but `keep`); the visitor is logged out when its own ends. Returns how many. */
export function endSessionsOf(userId: number, keep: string | null = null): number {
  const ending = db.sessions.filter((s) => s.userId === userId && s.id !== keep);
  db.sessions = db.sessions.filter((s) => !ending.includes(s));
  if (db.sessionUserId === userId && db.currentSessionId !== keep) {
    db.sessionUserId = null;
    db.currentSessionId = null;
  }
  return ending.length;
}

type SmsListener = (message: OutboxMessage) => void;
const smsListeners = new Set<SmsListener>();

/** Called for every "sent" SMS (the browser mock prints the code in the console). */
export function onMockSms(listener: SmsListener): () => void {
  smsListeners.add(listener);
  return () => smsListeners.delete(listener);
}

export function deliverSms(message: OutboxMessage): void {
  db.outbox.set(message.mobile, message);
  for (const listener of smsListeners) listener(message);
}

type MailListener = (message: MailMessage) => void;
const mailListeners = new Set<MailListener>();

/** Called for every "sent" email (the browser mock prints the link in the console). */
export function onMockMail(listener: MailListener): () => void {
  mailListeners.add(listener);
  return () => mailListeners.delete(listener);
}

export function deliverMail(message: MailMessage): void {
  db.mail.set(message.to, message);
  for (const listener of mailListeners) listener(message);
}
