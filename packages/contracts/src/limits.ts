// Default budgets that more than one package needs: the API's config takes its defaults from
// here, and the SPA's mock API enforces the same numbers, so the two cannot drift apart.
// Operators override every one through the API's environment (README, Configuration).

export const DEFAULT_LIMITS = {
  /** Failed logins per (identifier, client) in a login window. */
  loginMaxFailures: 10,
  loginWindowSeconds: 15 * 60,
  /** Longest progressive delay an account under attack imposes on a login. */
  loginMaxDelaySeconds: 30,
  /** Availability checks (username and mobile together) per client per window. */
  availabilityMax: 60,
  availabilityWindowSeconds: 60,
  /** Lifetime of an SMS code, the wait before another one to the same mobile, wrong codes allowed. */
  smsCodeTtlSeconds: 300,
  smsResendSeconds: 60,
  smsMaxAttempts: 5,
} as const;

/** zxcvbn scores below this are refused (0 too guessable ... 4 very unguessable). */
export const MIN_PASSWORD_SCORE = 3;
