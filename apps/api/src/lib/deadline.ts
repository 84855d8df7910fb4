// A request's deadline (REQUEST_DEADLINE_MS), counted from its arrival: when it passes, the
// client gets a 503 envelope at once (plugins/deadline.ts sends it). JavaScript cannot stop a
// handler, so services check the deadline before each step that writes or sends: nothing is
// written, and no SMS leaves, for a request whose client has already been told it failed.
//
// One exception: an irrevocable step (an SMS handed to the gateway, the user row's insert)
// commits the request first. From then on the deadline no longer answers for it: the request
// runs to its true answer, bounded by the step's own timeout (CCP_TIMEOUT_MS, the database
// query timeout) and one store command after it, so a text that went out or a user that exists
// is never reported as a failure.
import { Code, text } from '@register/contracts';
import { AppError } from '../errors.ts';

/** The deadline as services see it (they never see request or reply). */
export interface Deadline {
  /** Throws the 503 "slow" error once the deadline has passed. */
  check(): void;
  /** Before an irrevocable step: checks, then stops the deadline from answering this request. */
  commit(): void;
}

/** For callers with no request (the CLI, service-level tests). */
export const noDeadline: Deadline = { check() {}, commit() {} };

export const slowError = () => new AppError(Code.SERVERERR, { status: 503, message: text.service.slow });

export interface RequestDeadline extends Deadline {
  readonly expired: boolean;
  /** The answer is on its way (or the client left): the deadline has nothing left to do. */
  cancel(): void;
}

/** Calls onExpire once, `ms` from now, unless cancelled or committed first. */
export function startDeadline(ms: number, onExpire: () => void): RequestDeadline {
  let expired = false;
  let timer: NodeJS.Timeout | undefined = setTimeout(() => {
    expired = true;
    timer = undefined;
    onExpire();
  }, ms);
  const cancel = () => {
    clearTimeout(timer);
    timer = undefined;
  };
  return {
    get expired() {
      return expired;
    },
    check() {
      if (expired) throw slowError();
    },
    commit() {
      if (expired) throw slowError();
      cancel();
    },
    cancel,
  };
}

/** Work after an irrevocable step, bounded on its own: rejects with the "slow" error after `ms`. */
export async function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(slowError()), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
