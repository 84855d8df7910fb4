// The login policy: limits that stop guessing without letting anyone lock an account out.
//
// - Per (identifier as typed, client): a strict failure budget. It is what one attacker spends.
// - Per client, over all identifiers, and per account (the user an identifier resolves to): no
//   hard lock, a progressive delay (Keycloak's brute-force detector). Past the free failures in
//   a window, each failure makes the next attempt wait twice as long, up to
//   LOGIN_MAX_DELAY_SECONDS. The account's free budget is more than one client can spend
//   (config refuses less), so only many clients reach it.
// - A device that logged in as the account before (the signed device cookie, OWASP's "device
//   cookies") has a strict budget of its own instead of the three above: an attacker who keeps
//   an account in its delay, or a noisy neighbour behind the same NAT, never slows the owner's
//   own browser. A browser the owner never used is a stranger like the attacker: while an
//   attack goes on, each of its attempts may meet a delay (OWASP's trade-off, stated in README).
//
// An attempt is counted before the password is checked, so a parallel burst is counted as it
// arrives; a refused attempt is not counted again; a success is refunded and clears that
// client's failures for the account. The server never sleeps: a delay is a 429 with Retry-After.
// Every refusal is the same sentence, whichever budget refused.
import { Code, text } from '@register/contracts';
import type { Config } from '../../config.ts';
import { AppError } from '../../errors.ts';
import type { Clock } from '../../lib/clock.ts';
import { retrySeconds, windowAt, windowTtl } from '../../lib/windows.ts';
import type { AttemptTicket, Backoff, KvStore } from '../../store/kv-store.ts';

export type LoginBudget = 'pair' | 'client' | 'account';

export class LoginThrottledError extends AppError {
  readonly budget: LoginBudget;
  constructor(budget: LoginBudget, retryAfter: number) {
    super(Code.THROTTLED, { message: text.auth.throttled, retryAfter });
    this.budget = budget;
  }
}

export interface LoginAttempt {
  /** The password was right: refund the attempt and forget this client's failures for these identifiers. */
  succeeded(identifiers: string[]): Promise<void>;
}

// The keys of one attempt (pair, client, account, device) are counted in one script: they carry
// the hash tag {login}, so on Redis Cluster they live in one slot.
const pairKey = (identifier: string, client: string, window: number) => `{login}:pair:${identifier}:${client}:${window}`;
/** The key shapes, for operators who clear them (modules/admin/throttle-clear.ts). */
export const LOGIN_KEYS = {
  pair: pairKey,
  client: (client: string) => `{login}:client:${client}`,
  account: (account: string) => `{login}:account:${account}`,
};

export function createLoginThrottle(deps: { store: KvStore; clock: Clock; config: Config['login'] }) {
  const { store, clock, config } = deps;
  const windowMs = config.windowSeconds * 1000;
  const maxDelayMs = config.maxDelaySeconds * 1000;

  return {
    /**
     * Counts one attempt of `client` at `identifier`, which resolves to `account` (a user, or the
     * identifier itself when no user has it, so unknown accounts behave like known ones).
     * `device` is the id of a valid device cookie for that account, if the request carries one.
     * Throws LoginThrottledError when a budget refuses.
     */
    async begin(attempt: { identifier: string; client: string; account: string; device?: string }): Promise<LoginAttempt> {
      const { identifier, client, account, device } = attempt;
      const now = clock();
      const window = windowAt(now, windowMs);
      const ttlMs = windowTtl(window);
      const pair = { key: pairKey(identifier, client, window.index), limit: config.maxFailures, ttlMs };
      const delay = (key: string, free: number): Backoff => ({
        key,
        window: window.index,
        free,
        baseMs: config.baseDelaySeconds * 1000,
        maxMs: maxDelayMs,
        ttlMs: ttlMs + maxDelayMs,
      });
      const forget = (tickets: AttemptTicket[], refunds: string[]) => (identifiers: string[]) =>
        store.forgive(
          tickets,
          refunds,
          identifiers.map((id) => pairKey(id, client, window.index)),
        );

      // A known device: its own strict budget instead of the pair's and the two delays, so
      // nothing a neighbour behind the same address does can slow it. Once that budget is spent
      // (a stolen cookie guessing), the device is a stranger again and takes the common path.
      if (device) {
        const budget = { key: `{login}:device:${device}:${window.index}`, limit: config.maxFailures, ttlMs };
        const result = await store.attempt(now, [budget], []);
        if (result.ok) return { succeeded: forget([], [budget.key]) };
      }

      const result = await store.attempt(
        now,
        [pair],
        [
          delay(LOGIN_KEYS.client(client), config.maxFailuresPerClient),
          delay(LOGIN_KEYS.account(account), config.accountFreeFailures),
        ],
      );
      if (!result.ok) {
        if ('budget' in result.refused) throw new LoginThrottledError('pair', retrySeconds(window.remainingMs));
        throw new LoginThrottledError(result.refused.backoff === 0 ? 'client' : 'account', retrySeconds(result.retryMs));
      }
      return { succeeded: forget(result.tickets, []) };
    },
  };
}
export type LoginThrottle = ReturnType<typeof createLoginThrottle>;
