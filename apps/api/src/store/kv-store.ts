// The small key-value interface every service sees. Two implementations with the same semantics:
// Redis (production, tests) and an in-process map (the zero-setup default). Every operation that
// guards a secret or a limit is atomic in both, so two racing requests can never both win.

/** A try of a one-time code: right, wrong (with the attempts left), or no code at all. */
export type CodeTry = { right: true } | { right: false; attemptsLeft: number } | { right: false; attemptsLeft: null };

/**
 * A fixed-window counter. The caller puts the window's index in the key (see lib/windows.ts), so
 * windows follow the injected clock on both stores; the TTL only lets Redis forget old windows.
 */
export interface Budget {
  key: string;
  limit: number;
  ttlMs: number;
}

/**
 * A key taken only if free (the SMS cooldown). It holds the caller's token, for a later
 * compare-and-delete, and its own expiry by the caller's clock, so it follows an injected clock
 * on Redis too; the TTL only lets Redis forget it.
 */
export interface Claim {
  key: string;
  token: string;
  ttlMs: number;
}

/** A one-time code to store with a budget of attempts (replacing any previous one at its key). */
export interface CodeEntry {
  key: string;
  digest: string;
  attempts: number;
  ttlMs: number;
}

/**
 * Which budget refused (its index), or the claim (-1) with its remaining lifetime, or (-2) an
 * undo that ran before this spend did (see unspend).
 */
export type SpendResult = { ok: true } | { ok: false; refused: number; claimTtlMs: number };

/** How long an undo's tombstone stops its spend from running late (a stalled server's buffer). */
export const TOMBSTONE_TTL_MS = 24 * 60 * 60 * 1000;
/** The tombstone of a claim's token: same hash tag as the claim, so one slot on Redis Cluster. */
export const tombstoneKey = (claim: { key: string; token: string }) => `${claim.key}:undone:${claim.token}`;

/**
 * A progressive delay (Keycloak's brute-force detector): failures are counted per window, and
 * each one beyond `free` blocks the key for baseMs, then twice as long, up to maxMs.
 */
export interface Backoff {
  key: string;
  /** The index of the current window: a new window starts the count again. */
  window: number;
  free: number;
  baseMs: number;
  maxMs: number;
  ttlMs: number;
}

/** What an attempt changed in one backoff, so a success can undo exactly that. */
export interface AttemptTicket {
  key: string;
  window: number;
  blockedUntil: number;
  previousBlockedUntil: number;
}

export type AttemptResult =
  | { ok: true; tickets: AttemptTicket[] }
  | { ok: false; refused: { backoff: number } | { budget: number }; retryMs: number };

export interface KvStore {
  readonly kind: 'redis' | 'memory';
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** GETDEL: reads and deletes in one step; only one caller ever gets the value. */
  take(key: string): Promise<string | null>;
  /**
   * SET NX: stores the value only when the key does not exist (an expired one counts as absent),
   * in one step: true for exactly one of any number of racing callers (a proof of work spent once).
   */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  delete(...keys: string[]): Promise<void>;
  /** Milliseconds until the key expires, or null when it does not exist. */
  ttl(key: string): Promise<number | null>;
  /** Counts one request in a fixed window that starts with the first: the count and the window's time left. */
  hit(key: string, windowMs: number): Promise<{ current: number; ttlMs: number }>;
  /**
   * Compares a digest with the stored code's, in one atomic step: the right one spends nothing
   * (a visitor who holds the code may repeat a request that failed for another reason); a wrong
   * one spends an attempt, and the last wrong one deletes the code. Concurrent guesses can never
   * make more wrong tries than the budget allows. attemptsLeft null: there is no code.
   */
  tryCode(key: string, digest: string): Promise<CodeTry>;
  /** Deletes the code only if it still holds this digest: true for exactly one caller. */
  consumeCode(key: string, digest: string): Promise<boolean>;

  /**
   * All or nothing, in one atomic step: when the claim (if any) is free at `now` and every budget
   * has room, takes the claim, counts one against each budget and stores the code (if any);
   * otherwise writes nothing and says what refused. Racing requests can never overspend a
   * budget between a check and a count, and no failure can leave half of it written.
   */
  spend(now: number, budgets: Budget[], claim?: Claim, code?: CodeEntry): Promise<SpendResult>;
  /**
   * Undoes a spend that sent nothing, in one atomic step. When the claim still holds
   * `claim.token` (proof that this spend ran): gives one unit back to each counter, releases the
   * claim, deletes the code if it still holds `code.digest`. Otherwise the spend has not run, or
   * ran and refused: nothing is touched (a newer request's counts, claim and code are safe), and
   * a tombstone for the token makes that spend, should it still arrive, write nothing.
   */
  unspend(budgetKeys: string[], claim: { key: string; token: string }, code?: { key: string; digest: string }): Promise<void>;
  /**
   * Counts an attempt before its outcome is known: refused (nothing counted) while a backoff
   * blocks or a budget is spent; otherwise counted against every budget and backoff, which may
   * start blocking the next attempts. A success then calls forgive() with the tickets.
   */
  attempt(now: number, budgets: Budget[], backoffs: Backoff[]): Promise<AttemptResult>;
  /** Undoes one attempt that succeeded: each backoff's count and block, refunds, and deletes `clear`. */
  forgive(tickets: AttemptTicket[], refundKeys: string[], clearKeys: string[]): Promise<void>;

  /**
   * SET XX: replaces the value only while the key exists, in one step; false (and nothing
   * written) when it does not. An update of something another request may have deleted
   * meanwhile (an ended session) never brings it back.
   */
  replace(key: string, value: string, ttlMs: number): Promise<boolean>;

  /**
   * An index (a user's sessions): a sorted set whose scores are its members' expiry times, by
   * the caller's clock (`now`, `expiresAt`: epoch milliseconds), so it follows an injected clock
   * on Redis too. In one step: drops the members expired at `now`, adds `member` (or moves its
   * expiry), keeps the set as long as its latest member, and answers the members beyond the
   * `keep` latest (the earliest to expire first; never `member` itself). Those stay in the set:
   * the caller ends what they index, then removes them, so the index never misses a live one.
   * A member that has already expired at `now` is not added.
   */
  addMember(key: string, member: string, entry: { now: number; expiresAt: number; keep?: number }): Promise<string[]>;
  removeMember(key: string, member: string): Promise<void>;
  /**
   * The members of the index at `key` that are live at `now` (none when it does not exist), the
   * earliest to expire first; the expired ones are removed in the same step.
   */
  members(key: string, now: number): Promise<string[]>;
  /**
   * The keys matching a glob pattern (`*` and `?`; globLiteral quotes the rest), for operators' commands, never
   * on a request's path: Redis walks every key (SCAN, in steps, on every master).
   */
  keys(pattern: string): Promise<string[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** A literal string as a glob pattern that matches only itself (Redis's MATCH syntax). */
export const globLiteral = (text: string) => text.replace(/[*?[\]\\]/g, (ch) => `\\${ch}`);
