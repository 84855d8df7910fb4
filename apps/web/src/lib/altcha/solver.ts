// The proof of work, solved in the visitor's browser: altcha-lib's solver in Web Workers (one
// per core, up to four, each trying every n-th counter), the answer encoded the way the API
// reads it. This module and its worker are chunks of their own, loaded when a visitor chooses
// the image code's alternative, never with the page.
import type { AltchaChallenge } from '@register/contracts';
import { type Challenge, type ChallengeParameters, solveChallenge, solveChallengeWorkers } from 'altcha-lib';
import { deriveKey, SUPPORTED_ALGORITHMS } from './derive-key';

const MAX_WORKERS = 4;
/** Far beyond the few seconds a slow phone needs: a solve that takes this long is stuck. */
const SOLVE_TIMEOUT_MS = 60_000;
/** The Performance API entry each solve leaves (the end-to-end measurement reads it). */
export const SOLVE_MEASURE = 'altcha-solve';

export interface Solved {
  /** What POST /api/sms_code/ takes as `altcha`: base64 of JSON `{ challenge, solution }`. */
  payload: string;
  /** When the API stops accepting it (ms since the epoch), if the challenge says. */
  expiresAt: number | null;
  /** How long the solve took (ms). */
  ms: number;
}

export class UnsolvableChallengeError extends Error {
  override name = 'UnsolvableChallengeError';
}

/** The parameters altcha-lib's solver reads, with an algorithm this browser can derive keys with. */
function isSolvable(p: Record<string, unknown>): p is Record<string, unknown> & ChallengeParameters {
  return (
    typeof p.algorithm === 'string' &&
    SUPPORTED_ALGORITHMS.includes(p.algorithm) &&
    typeof p.nonce === 'string' &&
    typeof p.salt === 'string' &&
    typeof p.keyPrefix === 'string' &&
    typeof p.cost === 'number' &&
    (p.keyLength === undefined || typeof p.keyLength === 'number') &&
    (p.expiresAt === undefined || typeof p.expiresAt === 'number')
  );
}

/** The challenge as the solver takes it; anything else came from no API of ours. */
function solvable({ parameters, signature }: AltchaChallenge): Challenge {
  if (!isSolvable(parameters))
    throw new UnsolvableChallengeError(
      `cannot solve a ${String((parameters as { algorithm?: unknown }).algorithm)} challenge here`,
    );
  return { parameters, signature };
}

function startWorker(): Worker {
  // Written out in full so that Vite sees it and builds the worker as a chunk of its own.
  return new Worker(new URL('./solver.worker.ts', import.meta.url), { type: 'module', name: 'altcha-solver' });
}

export async function solveAltcha(challenge: AltchaChallenge, { signal }: { signal?: AbortSignal } = {}): Promise<Solved> {
  signal?.throwIfAborted();
  const parsed = solvable(challenge);
  const controller = new AbortController();
  const abort = () => controller.abort();
  signal?.addEventListener('abort', abort, { once: true });
  const start = performance.now();
  try {
    // Without workers (an old browser, a test DOM) the same solver runs here; it yields to the
    // page every 200 ms, so the page stays usable, only slower.
    const workers = typeof Worker === 'function' ? Math.min(MAX_WORKERS, navigator.hardwareConcurrency || 1) : 0;
    const solution =
      workers > 0
        ? await solveChallengeWorkers({
            challenge: parsed,
            concurrency: workers,
            createWorker: startWorker,
            controller,
            timeout: SOLVE_TIMEOUT_MS,
          })
        : await solveChallenge({ challenge: parsed, deriveKey, controller, timeout: SOLVE_TIMEOUT_MS });
    signal?.throwIfAborted();
    if (!solution) throw new UnsolvableChallengeError('no solution found in time');
    // The counter found says how many keys were derived (workers try every n-th one each).
    const measure = performance.measure(SOLVE_MEASURE, { start, detail: { counter: solution.counter, workers } });
    const expiresAt = parsed.parameters.expiresAt;
    return {
      payload: btoa(JSON.stringify({ challenge, solution })),
      expiresAt: typeof expiresAt === 'number' ? expiresAt * 1000 : null,
      ms: measure?.duration ?? performance.now() - start,
    };
  } finally {
    signal?.removeEventListener('abort', abort);
  }
}
