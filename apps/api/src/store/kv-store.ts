// The small key-value interface every service sees. Two implementations with the same semantics:
// Redis (production, tests) and an in-process map (the zero-setup default). Every operation that
// guards a secret or a limit is atomic in both, so two racing requests can never both win.

export interface OneTimeCode {
  /** HMAC of the code, as stored. */
  digest: string;
  /** Attempts left after the one just claimed. */
  attemptsLeft: number;
}

/**
 * A fixed-window counter. The caller puts the window's index in the key (see lib/windows.ts), so
 * windows follow the injected clock on both stores; the TTL only lets Redis forget old windows.
 */
export interface Budget {
  key: string;
  limit: number;
  ttlMs: number;
}

/** A key set only if absent (SET NX PX), holding the caller's token for a later compare-and-delete. */
export interface Claim {
  key: string;
  value: string;
  ttlMs: number;
}

/** Which budget refused (its index), or the claim (-1) with its remaining lifetime. */
export type SpendResult = { ok: true } | { ok: false; refused: number; claimTtlMs: number };

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

/** What an attempt changed in its backoff, so a success can undo exactly that. */
export interface AttemptTicket {
  window: number;
  blockedUntil: number;
  previousBlockedUntil: number;
}

export type AttemptResult =
  | { ok: true; ticket: AttemptTicket }
  | { ok: false; refused: 'backoff'; retryMs: number }
  | { ok: false; refused: number; retryMs: 0 };

export interface KvStore {
  readonly kind: 'redis' | 'memory';
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** SET NX PX: true when the key was absent and is now set. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** GETDEL: reads and deletes in one step; only one caller ever gets the value. */
  take(key: string): Promise<string | null>;
  delete(...keys: string[]): Promise<void>;
  /** Deletes the key only if it still holds this value: a late cleanup never removes a newer value. */
  deleteIfEquals(key: string, value: string): Promise<boolean>;
  /** Milliseconds until the key expires, or null when it does not exist. */
  ttl(key: string): Promise<number | null>;
  /** Counts a hit in a fixed window that starts with the first hit. */
  hit(key: string, windowMs: number): Promise<{ count: number; resetMs: number }>;

  /** Stores a one-time code (replacing any previous one) with an attempt budget. */
  putCode(key: string, digest: string, attempts: number, ttlMs: number): Promise<void>;
  /**
   * Spends one attempt and returns the stored digest, or null when there is no code or its budget
   * is spent (the code is then deleted). The budget is spent before the caller compares, so
   * concurrent guesses can never make more comparisons than the budget allows.
   */
  claimAttempt(key: string): Promise<OneTimeCode | null>;
  /** Deletes the code only if it still holds this digest: true for exactly one caller. */
  consumeCode(key: string, digest: string): Promise<boolean>;

  /**
   * All or nothing: when the claim (if any) is free and every budget has room, takes the claim and
   * counts one against each budget; otherwise writes nothing and says what refused. One atomic
   * step, so racing requests can never overspend a budget between a check and a count.
   */
  spend(budgets: Budget[], claim?: Claim): Promise<SpendResult>;
  /** Gives one unit back to each counter that still exists (a send that did not go out). */
  refund(keys: string[]): Promise<void>;
  /**
   * Counts an attempt before its outcome is known: refused (nothing counted) while the backoff
   * blocks or a budget is spent; otherwise counted against every budget and the backoff, which
   * may start blocking the next attempts. A success then calls forgive() with the ticket.
   */
  attempt(now: number, budgets: Budget[], backoff: Backoff): Promise<AttemptResult>;
  /** Undoes one attempt that succeeded: the backoff's count and block, refunds, and deletes `clear`. */
  forgive(backoffKey: string, ticket: AttemptTicket, refundKeys: string[], clearKeys: string[]): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
