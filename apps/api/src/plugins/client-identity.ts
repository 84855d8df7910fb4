// request.client: who a limit counts. An IPv4 address, or an IPv6 address cut to its /64 (one
// subscriber's whole network: counting single IPv6 addresses would give every client 2^64 of
// them). The same normalisation @fastify/rate-limit applies, so every budget agrees on a client.
import { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyRequest {
    /** The client key of this request's address (see plugins/client-identity.ts). */
    readonly client: string;
  }
}

export const clientKey = (ip: string, ipv6Prefix: number) => normalizeIP(ip, ipv6Prefix);

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
