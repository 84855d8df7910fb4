// "Is this username/mobile free?" while the visitor types (debounced) and when the field loses
// focus (at once). Only the newest question may answer: a new value aborts the request in
// flight, and a sequence number drops any answer that still arrives for an older value.
import { Code } from '@register/contracts';
import { useCallback, useEffect, useRef, useState } from 'react';
import { language } from '../../i18n/locale';
import { ApiError, isAbortError } from '../../lib/api';

export type Availability =
  | { state: 'idle' }
  | { state: 'checking'; value: string }
  | { state: 'available'; value: string }
  | { state: 'taken'; value: string }
  | { state: 'failed'; value: string; message: string };

/** How many accounts use the value (0 or 1), as the API's availability routes answer. */
export type CountLookup = (value: string, signal: AbortSignal) => Promise<{ count: number }>;

export const AVAILABILITY_DEBOUNCE_MS = 400;
const IDLE: Availability = { state: 'idle' };

export interface AvailabilityCheck {
  status: Availability;
  /** While typing: forget the old answer, ask about `value` after a pause. null: nothing to ask. */
  schedule(value: string | null): void;
  /** On blur: ask now, unless the answer for `value` is known or on its way. */
  checkNow(value: string | null): void;
  /** The server refused the value as taken (e.g. a race at registration). */
  markTaken(value: string): void;
}

export function useAvailability(lookup: CountLookup, debounceMs: number = AVAILABILITY_DEBOUNCE_MS): AvailabilityCheck {
  const [status, setStatus] = useState<Availability>(IDLE);
  const statusRef = useRef<Availability>(IDLE);
  const timer = useRef<number | undefined>(undefined);
  const inFlight = useRef<AbortController | null>(null);
  const sequence = useRef(0);
  const lookupRef = useRef(lookup);
  lookupRef.current = lookup;

  const update = useCallback((next: Availability) => {
    statusRef.current = next;
    setStatus(next);
  }, []);

  /** Drops the pending timer and the request in flight; their answers can no longer land. */
  const cancel = useCallback(() => {
    window.clearTimeout(timer.current);
    inFlight.current?.abort();
    inFlight.current = null;
    sequence.current++;
  }, []);

  const knownOrPending = useCallback((value: string) => {
    const current = statusRef.current;
    return current.state !== 'idle' && current.state !== 'failed' && current.value === value;
  }, []);

  const ask = useCallback(
    function ask(value: string) {
      cancel();
      const id = sequence.current;
      const controller = new AbortController();
      inFlight.current = controller;
      update({ state: 'checking', value });
      lookupRef.current(value, controller.signal).then(
        ({ count }) => {
          if (id === sequence.current) update({ state: count > 0 ? 'taken' : 'available', value });
        },
        (error: unknown) => {
          if (id !== sequence.current || isAbortError(error)) return;
          if (error instanceof ApiError && error.errno === Code.THROTTLED) {
            // The API's enumeration budget is spent: its calm message, and one more try when it
            // says so (a new value typed meanwhile cancels it, like any pending check).
            update({ state: 'failed', value, message: error.message });
            if (error.retryAfter) timer.current = window.setTimeout(() => ask(value), error.retryAfter * 1000);
            return;
          }
          const { ui } = language();
          const reason = error instanceof ApiError ? error.message : ui.register.tryAgain;
          update({ state: 'failed', value, message: ui.register.availabilityFailed(reason) });
        },
      );
    },
    [cancel, update],
  );

  const schedule = useCallback(
    (value: string | null) => {
      if (value !== null && knownOrPending(value)) return;
      cancel();
      update(IDLE);
      if (value !== null) timer.current = window.setTimeout(() => ask(value), debounceMs);
    },
    [ask, cancel, update, knownOrPending, debounceMs],
  );

  const checkNow = useCallback(
    (value: string | null) => {
      if (value === null) {
        cancel();
        update(IDLE);
      } else if (!knownOrPending(value)) {
        ask(value);
      }
    },
    [ask, cancel, update, knownOrPending],
  );

  const markTaken = useCallback(
    (value: string) => {
      cancel();
      update({ state: 'taken', value });
    },
    [cancel, update],
  );

  useEffect(() => cancel, [cancel]);

  return { status, schedule, checkNow, markTaken };
}
