import { AUTH_MESSAGES, Code, MOBILE_PATTERN, NORMALIZERS, type UserView } from '@register/contracts';
import { AppError } from '../../errors.ts';
import type { Clock } from '../../lib/clock.ts';
import type { KvStore } from '../../store/kv-store.ts';
import type { PasswordHasher } from '../users/passwords.ts';
import { type UsersRepository, usernameKey } from '../users/users.repository.ts';
import { toUserView } from '../users/users.service.ts';

const WINDOW_MS = 15 * 60 * 1000;
/** Account-wide and IP-wide limits are this many times the per-(account, IP) one. */
const WIDE_FACTOR = 10;
const MOBILE = new RegExp(MOBILE_PATTERN);

export function createAuthService(deps: {
  users: UsersRepository;
  passwords: PasswordHasher;
  store: KvStore;
  clock: Clock;
  maxFailures: number;
}) {
  const { users, passwords, store, clock, maxFailures } = deps;
  const pairKey = (account: string, ip: string) => `login:pair:${account}:${ip}`;
  const limits = (account: string, ip: string) => [
    { key: pairKey(account, ip), max: maxFailures },
    // Wider limits: one account guessed from many IPs, many accounts guessed from one IP. Being
    // WIDE_FACTOR times higher, they make locking someone else out take many addresses.
    { key: `login:account:${account}`, max: maxFailures * WIDE_FACTOR },
    { key: `login:ip:${ip}`, max: maxFailures * WIDE_FACTOR },
  ];

  /**
   * Counts the attempt before the password is checked, so parallel guesses are counted as they
   * arrive: checking first and counting after the (slow) hash would let a burst through.
   */
  async function countAttempt(account: string, ip: string): Promise<void> {
    const checks = limits(account, ip);
    const counts = await Promise.all(checks.map(({ key }) => store.hit(key, WINDOW_MS)));
    const blocked = counts.find((count, i) => count.count > (checks[i]?.max ?? 0));
    if (blocked) {
      throw new AppError(Code.THROTTLED, {
        message: AUTH_MESSAGES.throttled,
        retryAfter: Math.max(1, Math.ceil(blocked.resetMs / 1000)),
      });
    }
  }

  async function findUser(account: string) {
    const mobile = NORMALIZERS.mobile(account);
    if (!MOBILE.test(mobile)) return users.findByUsername(account);
    // A username may look like a mobile number (both are digits): the mobile wins, then the username.
    return (await users.findByMobile(mobile)) ?? (await users.findByUsername(account));
  }

  return {
    /** One answer (LOGINERR) for an unknown account, a wrong password and an inactive user. */
    async login(account: string, password: string, ip: string): Promise<UserView> {
      const mobile = NORMALIZERS.mobile(account);
      const accountKey = MOBILE.test(mobile) ? mobile : usernameKey(account);
      await countAttempt(accountKey, ip);

      const user = await findUser(account);
      // Hash even when there is no such user, so timing does not tell which accounts exist.
      let check: { ok: boolean; rehash: boolean } | null = null;
      if (user) check = await passwords.verify(user.password, password);
      else await passwords.verifyNothing(password);
      if (!user || !check?.ok || !user.isActive) throw new AppError(Code.LOGINERR, { message: AUTH_MESSAGES.failed });

      // Success forgives this account's attempts from this address (the wider counters keep theirs).
      await store.delete(pairKey(accountKey, ip));
      const rehashed = check.rehash ? await passwords.hash(password) : undefined;
      await users.recordLogin(user.id, new Date(clock()), rehashed);
      return toUserView(user);
    },

    /** The logged-in user of a session, or null when the account is gone or deactivated. */
    async currentUser(userId: number): Promise<UserView | null> {
      const user = await users.findById(userId);
      return user?.isActive ? toUserView(user) : null;
    },
  };
}
export type AuthService = ReturnType<typeof createAuthService>;
