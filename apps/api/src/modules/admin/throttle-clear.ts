// `pnpm cli throttle clear`: forgets the login and SMS budgets an account or a client has spent,
// for support staff helping someone an attacker (or their own typing) has slowed down. The keys
// are the shapes login-throttle.ts, auth.service.ts and sms.service.ts count under; they hold
// plain identifiers and client keys (no digests), so they are found by pattern.
import { isIP } from 'node:net';
import { clientKey } from '../../plugins/client-identity.ts';
import { globLiteral, type KvStore } from '../../store/kv-store.ts';
import { accountOf, identifierOf, identifiersOf } from '../auth/auth.service.ts';
import { LOGIN_KEYS } from '../auth/login-throttle.ts';
import { SMS_KEYS } from '../sms/sms.service.ts';
import type { AdminRepository } from './admin.repository.ts';

/** The window's index (or anything) that follows a counter's key. */
const ANY = '*';

export interface Cleared {
  /** What was found: the user, the identifier as login reads it, or the client key. */
  subject: string;
  keys: { key: string; what: string }[];
}

/** What a key counts, for the operator reading the list. */
function describe(key: string): string {
  if (key.startsWith('{login}:pair:')) return 'login failures (identifier, client)';
  if (key.startsWith('{login}:account:')) return 'login delay of the account';
  if (key.startsWith('{login}:client:')) return 'login delay of the client';
  if (key.startsWith('{sms}:cooldown:')) return 'SMS resend cooldown';
  if (key.startsWith('{sms}:')) return 'SMS budget';
  if (key.startsWith('rl:')) return 'request limit';
  return 'budget';
}

export function createThrottleClearer(deps: { store: KvStore; accounts: AdminRepository; ipv6Prefix: number }) {
  const { store, accounts, ipv6Prefix } = deps;

  async function clearMatching(subject: string, exact: string[], patterns: string[]): Promise<Cleared> {
    const found = new Set<string>();
    for (const key of exact) if ((await store.ttl(key)) !== null) found.add(key);
    for (const pattern of patterns) for (const key of await store.keys(pattern)) found.add(key);
    const keys = [...found].sort();
    // One key at a time: on a Redis Cluster the request limits' keys live in slots of their own.
    for (const key of keys) await store.delete(key);
    return { subject, keys: keys.map((key) => ({ key, what: describe(key) })) };
  }

  /** A client: its failures at every identifier, its delay, its SMS budgets, its request limits. */
  function clearClient(address: string): Promise<Cleared> {
    const client = clientKey(address, ipv6Prefix);
    const c = globLiteral(client);
    return clearMatching(
      `client ${client}`,
      [LOGIN_KEYS.client(client)],
      [
        `${globLiteral('{login}:pair:')}${ANY}:${c}:${ANY}`,
        `${globLiteral('{sms}:hour:')}${ANY}:${c}:${ANY}`,
        `${globLiteral('{sms}:day:')}${ANY}:${c}:${ANY}`,
        `rl:${ANY}:${c}`,
      ],
    );
  }

  /**
   * A username or a mobile, resolved as login resolves it: for an account, both its identifiers
   * from every client, its delay and its mobile's SMS budgets; for no account, the identifier.
   */
  async function clearAccount(target: string): Promise<Cleared> {
    const { identifier, mobile } = identifierOf(target);
    // A mobile first, then a username (one made of digits may predate the rule against them).
    const user = (mobile ? await accounts.findByMobile(mobile) : null) ?? (await accounts.findByUsername(target));
    // The identifier as typed too: a digits-only username was counted as a mobile.
    const identifiers = [...new Set([identifier, ...(user ? identifiersOf(user) : [])])];
    const smsMobile = user?.mobile ?? mobile;
    const sms = smsMobile
      ? {
          exact: [SMS_KEYS.cooldown(smsMobile)],
          patterns: [
            `${globLiteral(`${SMS_KEYS.hour(smsMobile, '')}`)}${ANY}`,
            `${globLiteral(`${SMS_KEYS.day(smsMobile)}:`)}${ANY}`,
          ],
        }
      : { exact: [], patterns: [] };
    return clearMatching(
      user ? `user ${user.username} (id ${user.id}, mobile ${user.mobile})` : `identifier ${identifier} (no such user)`,
      // The identifier's own account key too: failures before the account existed counted there.
      [...(user ? [LOGIN_KEYS.account(accountOf(user))] : []), LOGIN_KEYS.account(accountOf(identifier)), ...sms.exact],
      [...identifiers.map((id) => `${globLiteral(`{login}:pair:${id}:`)}${ANY}`), ...sms.patterns],
    );
  }

  return {
    /** `target`: an IP address (a client), or a username or mobile (an account). */
    clear: (target: string) => (isIP(target.trim()) ? clearClient(target.trim()) : clearAccount(target.trim())),
  };
}
