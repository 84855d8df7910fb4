// Plain per-client request limits, by @fastify/rate-limit counting in app.store (the one shared
// Redis client, or the in-process store with the embedded defaults): a default budget on every route (404s
// included, through the not-found handler), and named budgets that routes opt into. They fail
// open (skipOnError): a Redis outage must not take down routes that do not need Redis. The
// money-guarding SMS budgets and the login policy are our own code (they fail closed).
import fastifyRateLimit from '@fastify/rate-limit';
import { Code, type Text, text } from '@register/contracts';
import type { FastifyInstance, FastifyRequest, onRequestHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import type { RequestLimit } from '../config.ts';
import { AppError } from '../errors.ts';
import { retrySeconds } from '../lib/windows.ts';
import { rateLimitStore } from './rate-limit-store.ts';

export type LimitName = 'global' | 'availability' | 'captcha' | 'altcha' | 'sms';

declare module 'fastify' {
  interface FastifyInstance {
    /** onRequest hooks enforcing the named per-client budgets; a route using one sets `config.rateLimit: false`. */
    limits: Record<Exclude<LimitName, 'global'>, onRequestHookHandler>;
  }
}

const MESSAGES: Record<LimitName, Text> = {
  global: text.rateLimit.global,
  availability: text.rateLimit.availability,
  captcha: text.captcha.ipLimit,
  altcha: text.captcha.altchaIpLimit,
  sms: text.sms.ipLimit,
};

export default fp(
  async function rateLimit(app: FastifyInstance) {
    const { limits } = app.config;
    const refuse = (name: LimitName) => (request: FastifyRequest, context: { ttl: number }) => {
      app.metrics.rateLimited(name);
      app.events.record('rate_limited', {
        client: request.client,
        detail: { budget: name, route: request.routeOptions.url ?? null },
      });
      return new AppError(Code.THROTTLED, { message: MESSAGES[name], retryAfter: retrySeconds(context.ttl) });
    };
    const budget = (name: LimitName, limit: RequestLimit) => ({
      max: limit.max,
      timeWindow: limit.windowMs,
      // The named budgets count per client across their routes; the key says which budget it is.
      keyGenerator: (request: FastifyRequest) => `${name}:${request.client}`,
      errorResponseBuilder: refuse(name),
    });

    await app.register(fastifyRateLimit, {
      global: true,
      ...budget('global', limits.global),
      // Counted in app.store (the one Redis client, or in-process), under REDIS_KEY_PREFIX.
      store: rateLimitStore(app.store, 'rl:'),
      skipOnError: true,
    });
    app.decorate('limits', {
      availability: app.rateLimit(budget('availability', limits.availability)),
      captcha: app.rateLimit(budget('captcha', limits.captcha)),
      altcha: app.rateLimit(budget('altcha', limits.altcha)),
      sms: app.rateLimit(budget('sms', limits.sms)),
    });
  },
  { name: 'rate-limit', dependencies: ['config', 'store', 'security-events', 'client-identity', 'metrics'] },
);
