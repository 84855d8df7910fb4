// A success envelope in the visitor's language (request.messages): its errmsg is a Text, the
// errno's own "Success" unless the route says more.
import { Code, type Envelope, ok, type Text, text } from '@register/contracts';
import type { FastifyRequest } from 'fastify';

export function success<T>(request: FastifyRequest, data: T, said: Text = text.codes[Code.OK]): Envelope<T> {
  return ok(data, said(request.messages));
}
