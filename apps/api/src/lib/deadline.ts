// The request's deadline (REQUEST_DEADLINE_MS) is Fastify's handlerTimeout: at the deadline the
// client gets a 503 envelope. Fastify cannot stop a handler, so a service checks the deadline
// before each step that writes or sends: nothing is written, and no SMS leaves, for a request
// whose client has already been told it failed.
//
// request.signal is no deadline: Fastify also aborts it when the request stream closes, which
// Node does as soon as a POST body has been read. So routes pass deadlineSignal(reply), a signal
// of their own that fires when the deadline, counted from the request's start, has passed.
import { Code, SERVICE_MESSAGES } from '@register/contracts';
import type { FastifyReply } from 'fastify';
import { AppError } from '../errors.ts';

export function deadlineSignal(reply: FastifyReply): AbortSignal {
  return AbortSignal.timeout(Math.max(0, Math.floor(reply.server.config.deadlineMs - reply.elapsedTime)));
}

export function checkDeadline(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AppError(Code.SERVERERR, { status: 503, message: SERVICE_MESSAGES.slow });
}
