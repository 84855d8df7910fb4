// A request id on every request's log lines (Fastify's `reqId`) and in a response header on
// every answer (REQUEST_ID_HEADER, `x-request-id`), so a user's report ("it failed at 14:02,
// id 9f1c...") leads to the very log lines. The hook runs first, before any hook that may refuse.
//
// An incoming id is used only behind a trusted proxy (TRUST_PROXY), which sets it (nginx:
// `proxy_set_header X-Request-Id $request_id`) so the proxy's log and ours share it; and only
// when it is short and of a safe charset. Anywhere else a client could choose its own id, to
// collide with someone else's or to write what it likes into our logs: a fresh one is made.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config.ts';

const SAFE_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** Fastify's genReqId: the trusted proxy's id when it is a safe one, else a random UUID. */
export function requestIdGenerator({ header, trustIncoming }: Config['requestId']): (request: IncomingMessage) => string {
  if (!trustIncoming) return () => randomUUID();
  return (request) => {
    const incoming = request.headers[header];
    return typeof incoming === 'string' && SAFE_ID.test(incoming) ? incoming : randomUUID();
  };
}

export default fp(
  async function requestId(app: FastifyInstance) {
    const { header } = app.config.requestId;
    app.addHook('onRequest', (request, reply, done) => {
      reply.header(header, request.id);
      done();
    });
  },
  { name: 'request-id', dependencies: ['config'] },
);
