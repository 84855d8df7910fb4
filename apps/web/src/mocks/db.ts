// The mock API's state: a few users, one visitor's session (the mock models a single browser
// tab, so it needs no cookies), SMS codes and cooldowns. Everything lives in memory: a page
// reload (dev:mock) or resetMockDb() (tests) starts over from the seed below.
import { DEFAULT_LIMITS, type OutboxMessage } from '@register/contracts';

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
 * The proof of work (the image code's alternative): a real ALTCHA challenge, signed with the
 * mock's own secret, at a cost a test solves in milliseconds (the API's is set by ALTCHA_COST).
 */
export const MOCK_ALTCHA = {
  algorithm: 'PBKDF2/SHA-256',
  cost: 10,
  hmacSecret: 'mock-altcha-secret',
  ttlSeconds: 5 * 60,
} as const;

export interface MockUser {
  id: number;
  username: string;
  mobile: string;
  password: string;
}

interface PendingCode {
  code: string;
  attemptsLeft: number;
  expiresAt: number;
}

interface MockState {
  users: MockUser[];
  /** The answer of the captcha last shown to the visitor, until it is tried once. */
  captcha: string | null;
  /** The logged-in user of the single mock session. */
  sessionUserId: number | null;
  cooldownUntil: Map<string, number>;
  codes: Map<string, PendingCode>;
  outbox: Map<string, OutboxMessage>;
  loginFailures: Map<string, { count: number; until: number }>;
  /** Availability checks in the current window (the mock is one client). */
  availabilityChecks: { count: number; until: number };
  /** Signatures of the proofs of work already spent (each pays for one SMS request). */
  altchaSpent: Set<string>;
}

function seed(): MockState {
  return {
    users: MOCK_SEED_USERS.map((user, index) => ({ id: index + 1, ...user, password: MOCK_PASSWORD })),
    captcha: null,
    sessionUserId: null,
    cooldownUntil: new Map(),
    codes: new Map(),
    outbox: new Map(),
    loginFailures: new Map(),
    availabilityChecks: { count: 0, until: 0 },
    altchaSpent: new Set(),
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

export function createUser(input: Omit<MockUser, 'id'>): MockUser {
  const user = { id: Math.max(0, ...db.users.map((u) => u.id)) + 1, ...input };
  db.users.push(user);
  return user;
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
