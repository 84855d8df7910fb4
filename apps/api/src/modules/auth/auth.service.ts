import { AUTH_MESSAGES, Code, MOBILE_PATTERN, NORMALIZERS, type UserView } from '@register/contracts';
import { AppError } from '../../errors.ts';
import type { Clock } from '../../lib/clock.ts';
import type { KvStore } from '../../store/kv-store.ts';
import type { PasswordHasher } from '../users/passwords.ts';
import { type UsersRepository, usernameKey } from '../users/users.repository.ts';
import { toUserView } from '../users/users.service.ts';

const WINDOW_MS = 15 * 60 * 1000;
const IP_FACTOR = 10;
const MOBILE = new RegExp(MOBILE_PATTERN);

export function createAuthService(deps: {
  users: UsersRepository;
  passwords: PasswordHasher;
  store: KvStore;
  clock: Clock;
  maxFailures: number;
}) {
  const { users, passwords, store, clock, maxFailures } = deps;
  const failKeys = (account: string, ip: string) => [`login:fail:${account}`, `login:ip:${ip}`] as const;

  async function refuseIfThrottled(accountKey: string, ip: string): Promise<void> {
    const [byAccount, byIp] = failKeys(accountKey, ip);
    const [accountFails, ipFails] = await Promise.all([store.get(byAccount), store.get(byIp)]);
    const blocked =
      Number(accountFails ?? 0) >= maxFailures ? byAccount : Number(ipFails ?? 0) >= maxFailures * IP_FACTOR ? byIp : null;
    if (blocked) {
      const ms = (await store.ttl(blocked)) ?? WINDOW_MS;
      throw new AppError(Code.THROTTLED, { message: AUTH_MESSAGES.throttled, retryAfter: Math.max(1, Math.ceil(ms / 1000)) });
    }
  }

  return {
    /** One answer (LOGINERR) for an unknown account, a wrong password and an inactive user. */
    async login(account: string, password: string, ip: string): Promise<UserView> {
      const mobile = NORMALIZERS.mobile(account);
      const isMobile = MOBILE.test(mobile);
      const accountKey = isMobile ? mobile : usernameKey(account);
      await refuseIfThrottled(accountKey, ip);

      const user = isMobile ? await users.findByMobile(mobile) : await users.findByUsername(account);
      // Hash even when there is no such user, so timing does not tell which accounts exist.
      let check: { ok: boolean; rehash: boolean } | null = null;
      if (user) check = await passwords.verify(user.password, password);
      else await passwords.verifyNothing(password);
      if (!user || !check?.ok || !user.isActive) {
        const [byAccount, byIp] = failKeys(accountKey, ip);
        await Promise.all([store.hit(byAccount, WINDOW_MS), store.hit(byIp, WINDOW_MS)]);
        throw new AppError(Code.LOGINERR, { message: AUTH_MESSAGES.failed });
      }
      await store.delete(failKeys(accountKey, ip)[0]);
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
