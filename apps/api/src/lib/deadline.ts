// The request's deadline (REQUEST_DEADLINE_MS) is Fastify's handlerTimeout: at the deadline the
// client gets a 503 envelope, and request.signal is aborted. Fastify cannot stop a handler, so
// a service checks the signal before each step that writes or sends: nothing is written, and no
// SMS leaves, for a request whose client has already been told it failed.
import { Code, SERVICE_MESSAGES } from '@register/contracts';
import { AppError } from '../errors.ts';

export function checkDeadline(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AppError(Code.SERVERERR, { status: 503, message: SERVICE_MESSAGES.slow });
}
