// Whole seconds left until a deadline, re-rendering once a second. The number shown is computed
// from Date.now() at each tick rather than by counting ticks, so a throttled background tab
// (whose timers fire late) still shows the right number when it wakes up.
import { useCallback, useEffect, useState } from 'react';

export interface Countdown {
  /** Seconds left, rounded up; 0 when not running. */
  remaining: number;
  start(seconds: number): void;
}

const TICK_MS = 1000;

export function useCountdown(): Countdown {
  const [deadline, setDeadline] = useState<number | null>(null);
  const [now, setNow] = useState(() => Date.now());

  useEffect(() => {
    if (deadline === null) return;
    // One interval for the whole countdown, started with it: its ticks land on whole seconds left.
    const id = window.setInterval(() => {
      const time = Date.now();
      setNow(time);
      if (time >= deadline) setDeadline(null);
    }, TICK_MS);
    return () => window.clearInterval(id);
  }, [deadline]);

  const start = useCallback((seconds: number) => {
    const startedAt = Date.now();
    setNow(startedAt);
    setDeadline(seconds > 0 ? startedAt + seconds * 1000 : null);
  }, []);

  const remaining = deadline === null ? 0 : Math.max(0, Math.ceil((deadline - now) / 1000));
  return { remaining, start };
}
