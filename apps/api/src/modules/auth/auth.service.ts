import { Code, MOBILE_PATTERN, NORMALIZERS, text, type UserView } from '@register/contracts';
import type { FastifyBaseLogger } from 'fastify';
import { AppError } from '../../errors.ts';
import type { Clock } from '../../lib/clock.ts';
import { type Digest, sameAsAny } from '../../lib/digest.ts';
import type { EventInput, SecurityEvents } from '../security-events/events.service.ts';
import type { PasswordHasher } from '../users/passwords.ts';
import { type UserRecord, type UsersRepository, usernameKey } from '../users/users.repository.ts';
import { toUserView } from '../users/users.service.ts';
import type { DeviceTokens } from './device-tokens.ts';
import { type LoginThrottle, LoginThrottledError } from './login-throttle.ts';
import type { SessionLogin, UserSessions } from './user-sessions.ts';

const MOBILE = new RegExp(MOBILE_PATTERN);

/**
 * The identifier as typed, normalised, and tagged with its kind: a mobile without +86 (`m:`), or
 * a case-folded username (`u:`), so a username can never stand for a mobile in a budget's key.
 */
export function identifierOf(account: string): { identifier: string; mobile: string | null } {
  const mobile = NORMALIZERS.mobile(account);
  return MOBILE.test(mobile) ? { identifier: `m:${mobile}`, mobile } : { identifier: `u:${usernameKey(account)}`, mobile: null };
}
/** Both identifiers of an account, tagged as identifierOf tags them. */
export const identifiersOf = (user: { username: string; mobile: string }) => [
  `u:${usernameKey(user.username)}`,
  `m:${user.mobile}`,
];

/** Whom the account-wide delay counts: the user, or the identifier itself when no user has it. */
export const accountOf = (who: { id: number } | string) => (typeof who === 'string' ? `id:${who}` : `user:${who.id}`);

/**
 * One login attempt's permission from the throttle, by password or passkey: the account's
 * budgets when it exists, the identifier's otherwise; a refusal is recorded as login_throttled.
 */
export async function beginLoginAttempt(
  throttle: LoginThrottle,
  events: SecurityEvents,
  attempt: {
    identifier: string;
    client: string;
    user: { id: number } | null;
    device: string | null;
    subject: EventInput;
    method?: 'passkey';
  },
): Promise<Awaited<ReturnType<LoginThrottle['begin']>>> {
  const { identifier, client, user, device, subject, method } = attempt;
  try {
    return await throttle.begin({
      identifier,
      client,
      account: user ? accountOf(user) : accountOf(identifier),
      ...(device ? { device } : {}),
    });
  } catch (error) {
    if (error instanceof LoginThrottledError) {
      events.record('login_throttled', { ...subject, detail: { budget: error.budget, ...(method ? { method } : {}) } });
    }
    throw error;
  }
}

/**
 * A session's credential fingerprint (see createAuthService), for whoever starts a session after
 * checking or setting a password (a login, a registration, a password change).
 */
export const sessionCredential = (digest: Digest) => (userId: number, passwordHash: string) =>
  digest('session-credential', String(userId), passwordHash);

export function createAuthService(deps: {
  users: UsersRepository;
  passwords: PasswordHasher;
  throttle: LoginThrottle;
  devices: DeviceTokens;
  events: SecurityEvents;
  sessions: UserSessions;
  digest: Digest;
  clock: Clock;
  log: FastifyBaseLogger;
}) {
  const { users, passwords, throttle, devices, events, sessions, digest, clock, log } = deps;

  /**
   * A session's credential fingerprint (Django's session auth hash): a keyed HMAC of the password
   * hash it logged in with, so a changed password refuses every older session, found in the index
   * or not, at no cost (currentUser reads the hash anyway); the hash itself never enters the store.
   */
  const credentialOf = sessionCredential(digest);
  const credentialsOf = (userId: number, passwordHash: string) => digest.all('session-credential', String(userId), passwordHash);

  async function findUser(account: string, mobile: string | null) {
    if (!mobile) return users.findByUsername(account);
    // A username may look like a mobile number (both are digits): the mobile wins, then the username.
    return (await users.findByMobile(mobile)) ?? (await users.findByUsername(account));
  }

  async function currentAccount(userId: number, login: SessionLogin): Promise<UserRecord | null> {
    const [user, current] = await Promise.all([users.findById(userId), sessions.isCurrent(userId, login)]);
    if (!user?.isActive || !current) return null;
    // Under every CODE_SECRET, so a rotation logs nobody out. A session without a fingerprint
    // (registration's) is refused by the epoch, which a password change also sets.
    const credential = login.credential;
    if (credential !== undefined && !sameAsAny(credential, credentialsOf(userId, user.password))) return null;
    return user;
  }

  return {
    /**
     * One answer (LOGINERR) for an unknown account, a wrong password and an inactive user. On
     * success, also a new device token for this browser (`deviceTokens`: the cookies it sent),
     * and what its session records of the login (plugins/session.ts beginUserSession).
     */
    async login(
      account: string,
      password: string,
      context: { client: string; deviceTokens: string[] },
    ): Promise<{ user: UserView; deviceToken: string; session: { loginAt: number; credential: string } }> {
      const { client } = context;
      // Taken before the account is read: a login that checked the password `sessions end` or
      // `changepassword` replaced began before their epoch, so its session is refused.
      const loginAt = clock();
      const { identifier, mobile } = identifierOf(account);
      const user = await findUser(account, mobile);
      const device = user ? devices.verify(context.deviceTokens, user.id) : null;
      const subject = { client, userId: user?.id, mobile: mobile ?? user?.mobile };
      const attempt = await beginLoginAttempt(throttle, events, { identifier, client, user, device, subject });

      // Hash even when there is no such user, so timing does not tell which accounts exist.
      let check: { ok: boolean; rehash: boolean } | null = null;
      if (user) check = await passwords.verify(user.password, password);
      else await passwords.verifyNothing(password);
      if (!user || !check?.ok || !user.isActive) {
        events.record('login_failed', {
          ...subject,
          detail: { reason: !user ? 'unknown' : !check?.ok ? 'password' : 'inactive' },
        });
        throw new AppError(Code.LOGINERR, { message: text.auth.failed });
      }

      // The attempt was no failure: refund it and forget this client's failures for the account
      // (by either of its identifiers). Best effort: the login itself has succeeded.
      await attempt
        .succeeded(identifiersOf(user))
        .catch((err: unknown) => log.error({ err }, 'could not refund a successful login attempt'));
      const rehash = check.rehash ? { from: user.password, to: await passwords.hash(password) } : undefined;
      await users.recordLogin(user.id, new Date(clock()), rehash);
      events.record('login_ok', { client, userId: user.id, mobile: user.mobile, detail: { knownDevice: device !== null } });
      return {
        user: toUserView(user),
        deviceToken: devices.issue(user.id),
        session: { loginAt, credential: credentialOf(user.id, rehash?.to ?? user.password) },
      };
    },

    /** A device token for a browser that just proved to be this user (registration). */
    deviceTokenFor: (userId: number) => devices.issue(userId),

    /**
     * The logged-in user of a session, or null when the session no longer stands: the account is
     * gone or deactivated, its password changed since the login, or its sessions were ended since
     * (user-sessions.ts). The one check of every route that trusts a session's userId: one
     * database read and one store read, side by side; either failing is a 503, never a user.
     */
    async currentUser(userId: number, login: SessionLogin): Promise<UserView | null> {
      const user = await currentAccount(userId, login);
      return user && toUserView(user);
    },

    /** currentUser's check, answering the whole record (for the account page's changes). */
    currentAccount: (userId: number, login: SessionLogin): Promise<UserRecord | null> => currentAccount(userId, login),

    /** A session's credential fingerprint for a password hash (a new session after a password change). */
    credentialOf,

    /** Whether a session's fingerprint fits the account's password now (none recorded: the epoch decides). */
    credentialMatches: (user: Pick<UserRecord, 'id' | 'password'>, credential: string | undefined) =>
      credential === undefined || sameAsAny(credential, credentialsOf(user.id, user.password)),
  };
}
export type AuthService = ReturnType<typeof createAuthService>;
