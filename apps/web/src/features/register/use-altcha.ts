// The image code's alternative, for people who cannot read it: a proof of work (ALTCHA) that the
// browser solves. Turned on, it fetches a challenge and solves it in Web Workers (the solver is a
// lazily loaded chunk); each solution pays for one SMS request, so after each request a new one
// is solved as soon as "Get code" can be pressed again. A 404 for the challenge means the API has
// the alternative off (ALTCHA_ENABLED=false): the control goes away and the image stays.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Solved } from '../../lib/altcha/solver';
import { ApiError, api } from '../../lib/api';

const loadSolver = () => import('../../lib/altcha/solver');

/** Starts fetching the solver when the visitor shows intent (focus, pointer on the control). */
export function preloadAltchaSolver(): void {
  void loadSolver().catch(() => {});
}

/** A solution this close to its expiry is solved again before it is sent: no race against a clock. */
const EXPIRY_MARGIN_MS = 15_000;

export type AltchaStatus =
  | { state: 'idle' }
  | { state: 'verifying' }
  | { state: 'verified'; solved: Solved }
  /** Sent with a request: a new one is solved when the next request is possible. */
  | { state: 'spent' }
  /** `message`: the API's words (a budget, offline); null: the solve itself failed. */
  | { state: 'failed'; message: string | null };

export interface Altcha {
  /** The control is offered (the API has not answered 404 for a challenge). */
  available: boolean;
  /** The alternative is used in place of the image code. */
  active: boolean;
  status: AltchaStatus;
  /** The API's message about the `altcha` field (refused, expired), shown at the control. */
  error: string | null;
  /** The API turned the alternative off while it was chosen: the image field says so. */
  turnedOff: boolean;
  turnOn(): void;
  turnOff(): void;
  retry(): void;
  /** The solution to send now (solved again first when about to expire); null when there is none. */
  take(): Promise<string | null>;
  /** The solution went with a request (right or wrong): it cannot be used again. */
  markSpent(): void;
  showError(message: string): void;
}

export function useAltcha({ canRequestAgain, onImageBack }: { canRequestAgain: boolean; onImageBack(): void }): Altcha {
  const [available, setAvailable] = useState(true);
  const [active, setActive] = useState(false);
  const [status, setStatusState] = useState<AltchaStatus>({ state: 'idle' });
  const [error, setError] = useState<string | null>(null);
  const [turnedOff, setTurnedOff] = useState(false);
  const statusRef = useRef(status);
  const imageBack = useRef(onImageBack);
  imageBack.current = onImageBack;
  const run = useRef<{ id: number; controller: AbortController | null }>({ id: 0, controller: null });

  const setStatus = useCallback((next: AltchaStatus) => {
    statusRef.current = next;
    setStatusState(next);
  }, []);

  /** Cancels the solve in progress (its workers stop); its result, if any, is ignored. */
  const cancel = useCallback(() => {
    run.current.controller?.abort();
    run.current = { id: run.current.id + 1, controller: null };
  }, []);

  const verify = useCallback(async (): Promise<Solved | null> => {
    cancel();
    const controller = new AbortController();
    const id = run.current.id;
    run.current.controller = controller;
    const current = () => run.current.id === id;
    setStatus({ state: 'verifying' });
    try {
      const [challenge, solver] = await Promise.all([api.altchaChallenge({ signal: controller.signal }), loadSolver()]);
      const solved = await solver.solveAltcha(challenge, { signal: controller.signal });
      if (!current()) return null;
      setError(null);
      setStatus({ state: 'verified', solved });
      return solved;
    } catch (caught) {
      if (!current()) return null;
      if (caught instanceof ApiError && caught.status === 404) {
        // Turned off by the operator: the image is the way, and the control does not come back.
        setAvailable(false);
        setActive(false);
        setTurnedOff(true);
        setStatus({ state: 'idle' });
        imageBack.current();
        return null;
      }
      if (!(caught instanceof ApiError)) console.error(caught);
      setStatus({ state: 'failed', message: caught instanceof ApiError ? caught.message : null });
      return null;
    }
  }, [cancel, setStatus]);

  // A spent solution is replaced once another request is possible (the countdown is over), so
  // the new one is fresh when "Get code" comes back and no solve runs for a request nobody can make.
  useEffect(() => {
    if (active && status.state === 'spent' && canRequestAgain) void verify();
  }, [active, status.state, canRequestAgain, verify]);

  useEffect(() => cancel, [cancel]);

  return {
    available,
    active,
    status,
    error,
    turnedOff,
    turnOn() {
      setActive(true);
      setTurnedOff(false);
      setError(null);
      void verify();
    },
    turnOff() {
      cancel();
      setActive(false);
      setError(null);
      setStatus({ state: 'idle' });
      imageBack.current();
    },
    retry() {
      void verify();
    },
    async take() {
      const current = statusRef.current;
      if (current.state !== 'verified') return null;
      const { expiresAt, payload } = current.solved;
      if (expiresAt !== null && expiresAt - Date.now() < EXPIRY_MARGIN_MS) return (await verify())?.payload ?? null;
      return payload;
    },
    markSpent() {
      if (statusRef.current.state === 'verified') setStatus({ state: 'spent' });
    },
    showError: setError,
  };
}
