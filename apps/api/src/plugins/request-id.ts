// A request id on every request's log lines (Fastify's `reqId`) and in a response header on
// every answer (REQUEST_ID_HEADER, `x-request-id`), so a user's report ("it failed at 14:02,
// id 9f1c...") leads to the very log lines. The hook runs first, before any hook that may refuse.
//
// An incoming id is used only when the connection itself comes from a proxy TRUST_PROXY trusts
// (the peer address, checked by the rule Fastify applies to X-Forwarded-For), which sets it
// (nginx: `proxy_set_header X-Request-Id $request_id`) so the proxy's log and ours share it; and
// only when it is short and of a safe charset. A setting that trusts some proxy says nothing
// about a client connecting directly: from anyone else a client could choose its own id, to
// collide with someone else's or to write what it likes into our logs, so a fresh one is made.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config.ts';

const SAFE_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * Whether the connection's peer is a proxy TRUST_PROXY trusts: any (true), the first of `hops`
 * (the peer is hop 0, as app.ts's hop function counts), or one of the addresses/CIDRs
 * (@fastify/proxy-addr, Fastify's own parser of the list).
 */
export function trustedPeer(trustProxy: Config['trustProxy']): (address: string | undefined) => boolean {
  if (trustProxy === false) return () => false;
  if (trustProxy === true) return (address) => address !== undefined;
  if (typeof trustProxy === 'number') return trustProxy >= 1 ? (address) => address !== undefined : () => false;
  const trust = proxyAddr.compile(trustProxy.split(',').map((item) => item.trim()));
  return (address) => address !== undefined && trust(address, 0);
}

/** Fastify's genReqId: the trusted proxy's id when it is a safe one, else a random UUID. */
export function requestIdGenerator(header: string, trustProxy: Config['trustProxy']): (request: IncomingMessage) => string {
  if (trustProxy === false) return () => randomUUID();
  const trusted = trustedPeer(trustProxy);
  return (request) => {
    const incoming = request.headers[header];
    return typeof incoming === 'string' && SAFE_ID.test(incoming) && trusted(request.socket?.remoteAddress)
      ? incoming
      : randomUUID();
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
