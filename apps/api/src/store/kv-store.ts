// The small key-value interface every service sees. Two implementations with the same semantics:
// Redis (production, tests) and an in-process map (the zero-setup default). Every operation that
// guards a secret or a limit is atomic in both, so two racing requests can never both win.

export interface OneTimeCode {
  /** HMAC of the code, as stored. */
  digest: string;
  /** Attempts left after the one just claimed. */
  attemptsLeft: number;
}

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

  ping(): Promise<void>;
  close(): Promise<void>;
}
