// The login policy: limits that stop guessing without letting anyone lock an account out.
//
// - Per (identifier as typed, client): a strict failure budget. It is what one attacker spends.
// - Per client, over all identifiers: a wider one, against one address spraying many accounts.
// - Per account (the user it resolves to): no hard lock, a progressive delay (Keycloak's
//   brute-force detector): past LOGIN_ACCOUNT_FREE_FAILURES failures in a window, each failure
//   makes the next attempt wait twice as long, up to LOGIN_MAX_DELAY_SECONDS. Its free budget
//   is more than one client can spend (config refuses less), so it is reached only by many
//   clients, and even then the owner waits at most the maximum delay.
//
// An attempt is counted before the password is checked, so a parallel burst is counted as it
// arrives; a refused attempt is not counted again; a success is refunded and clears that
// client's failures for the account. The server never sleeps: a delay is a 429 with Retry-After.
// Every refusal is the same sentence, so a 429 never tells which budget (or account) it was.
import { AUTH_MESSAGES, Code } from '@register/contracts';
import type { Config } from '../../config.ts';
import { AppError } from '../../errors.ts';
import type { Clock } from '../../lib/clock.ts';
import { retrySeconds, windowAt, windowTtl } from '../../lib/windows.ts';
import type { KvStore } from '../../store/kv-store.ts';

export type LoginBudget = 'pair' | 'client' | 'account';

export class LoginThrottledError extends AppError {
  readonly budget: LoginBudget;
  constructor(budget: LoginBudget, retryAfter: number) {
    super(Code.THROTTLED, { message: AUTH_MESSAGES.throttled, retryAfter });
    this.budget = budget;
  }
}

export interface LoginAttempt {
  /** The password was right: refund the attempt and forget this client's failures for these identifiers. */
  succeeded(identifiers: string[]): Promise<void>;
}

const pairKey = (identifier: string, client: string, window: number) => `login:pair:${identifier}:${client}:${window}`;

export function createLoginThrottle(deps: { store: KvStore; clock: Clock; config: Config['login'] }) {
  const { store, clock, config } = deps;
  const windowMs = config.windowSeconds * 1000;
  const maxDelayMs = config.maxDelaySeconds * 1000;

  return {
    /**
     * Counts one attempt of `client` at `identifier`, which resolves to `account` (a user, or the
     * identifier itself when no user has it, so unknown accounts behave like known ones).
     * Throws LoginThrottledError when a budget refuses.
     */
    async begin(attempt: { identifier: string; client: string; account: string }): Promise<LoginAttempt> {
      const { identifier, client, account } = attempt;
      const now = clock();
      const window = windowAt(now, windowMs);
      const ttlMs = windowTtl(window);
      const clientKey = `login:client:${client}:${window.index}`;
      const backoffKey = `login:account:${account}`;
      const result = await store.attempt(
        now,
        [
          { key: pairKey(identifier, client, window.index), limit: config.maxFailures, ttlMs },
          { key: clientKey, limit: config.maxFailuresPerClient, ttlMs },
        ],
        {
          key: backoffKey,
          window: window.index,
          free: config.accountFreeFailures,
          baseMs: config.baseDelaySeconds * 1000,
          maxMs: maxDelayMs,
          ttlMs: ttlMs + maxDelayMs,
        },
      );
      if (!result.ok) {
        if (result.refused === 'backoff') throw new LoginThrottledError('account', retrySeconds(result.retryMs));
        throw new LoginThrottledError(result.refused === 0 ? 'pair' : 'client', retrySeconds(window.remainingMs));
      }
      return {
        succeeded: (identifiers) =>
          store.forgive(
            backoffKey,
            result.ticket,
            [clientKey],
            identifiers.map((id) => pairKey(id, client, window.index)),
          ),
      };
    },
  };
}
export type LoginThrottle = ReturnType<typeof createLoginThrottle>;
