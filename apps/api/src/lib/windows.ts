// Fixed time windows computed from the injected clock. A counter's key carries its window's
// index, so moving the clock moves every limit to a new window, on Redis as in memory.

export interface Window {
  /** floor(now / length): part of the counter's key. */
  index: number;
  /** Milliseconds until this window ends (at least 1). */
  remainingMs: number;
}

export function windowAt(now: number, lengthMs: number): Window {
  const index = Math.floor(now / lengthMs);
  return { index, remainingMs: Math.max(1, (index + 1) * lengthMs - now) };
}

/** TTL for a window's counter: its remaining time plus a margin, so Redis forgets it soon after. */
export const windowTtl = (window: Window) => window.remainingMs + 1000;

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** Whole seconds for Retry-After (never 0: "retry now" would be a lie while still refused). */
export const retrySeconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));
