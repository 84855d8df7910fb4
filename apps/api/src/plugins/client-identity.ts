// request.client: who a limit counts. An IPv4 address, or an IPv6 address cut to its /64 (one
// subscriber's whole network: counting single IPv6 addresses would give every client 2^64 of
// them). The same normalisation @fastify/rate-limit applies, so every budget agrees on a client.
import { isIP } from 'node:net';
import { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyRequest {
    /** The client key of this request's address (see plugins/client-identity.ts). */
    readonly client: string;
  }
}

/**
 * A trusted proxy may write "1.2.3.4:5678" or "[2001:db8::1]:443" into X-Forwarded-For: the port
 * is dropped, or every connection would be a new client. Anything that is still not an address
 * shares one bucket, so garbage can never mint fresh budgets.
 */
export function clientKey(ip: string, ipv6Prefix: number): string {
  const raw = ip.trim();
  const address = /^\[([^\]]+)\](?::\d+)?$/.exec(raw)?.[1] ?? /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(raw)?.[1] ?? raw;
  return isIP(address) ? normalizeIP(address, ipv6Prefix) : 'unknown';
}

export default fp(
  async function clientIdentity(app: FastifyInstance) {
    const prefix = app.config.limits.ipv6Prefix;
    app.decorateRequest('client', {
      getter(this: { ip: string }) {
        return clientKey(this.ip, prefix);
      },
    });
  },
  { name: 'client-identity', dependencies: ['config'] },
);
