// Overload and shutdown, answered with our envelope rather than by dropping work.
// - Under pressure (@fastify/under-pressure): past MAX_EVENT_LOOP_DELAY_MS of event-loop delay,
//   new requests get a 503 with Retry-After at once instead of joining a queue they would time
//   out in. The liveness route still answers: the process is busy, not dead.
// - Draining (app.drain(), which server.ts runs on SIGTERM for SHUTDOWN_DRAIN_MS first): the API
//   still serves, but /readyz says not ready, so a load balancer stops sending new traffic, and
//   every answer carries `Connection: close`, so keep-alive clients reconnect elsewhere. Nobody
//   is refused or reset while the balancer catches up.
// - Shutting down (app.close(), which server.ts runs on SIGTERM/SIGINT): the server stops
//   accepting connections, requests still arriving on open connections get a 503 envelope with
//   `Connection: close`, and requests in flight finish, those whose client has already left
//   included: Fastify's close waits only for open connections, so the pools and the Redis
//   client would otherwise close under a handler still running for a client gone, and its next
//   step fail half-way. The wait is bounded by SHUTDOWN_GRACE_MS (server.ts).
import underPressure from '@fastify/under-pressure';
import { Code, text } from '@register/contracts';
import type { FastifyInstance, FastifyRequest, RouteHandlerMethod } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../errors.ts';
import { retrySeconds } from '../lib/windows.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** Reports not ready and closes connections after each answer, for `ms`, then resolves. */
    drain(ms: number): Promise<void>;
    readonly draining: boolean;
  }
}

const COUNTED = Symbol('handler counted in flight');

export default fp(
  async function lifecycle(app: FastifyInstance) {
    let closing = false;
    let draining = false;
    app.decorate('draining', {
      getter: () => draining,
    });
    app.decorate('drain', async (ms: number) => {
      if (ms <= 0) return;
      draining = true;
      app.log.info({ ms }, 'draining: not ready, closing connections after their answers');
      await new Promise((resolve) => setTimeout(resolve, ms));
    });
    // Requests past onRequest whose work may still run. One leaves the set once its response
    // has ended (finished, or its client gone: 'close') and its handler, if it reached one, has
    // returned: a handler goes on after its client has left, and after the deadline answered.
    const inFlight = new Map<FastifyRequest, { running: boolean; ended: boolean }>();
    let settled: (() => void) | null = null;
    const leave = (request: FastifyRequest) => {
      if (inFlight.delete(request) && inFlight.size === 0) settled?.();
    };
    app.addHook('onRoute', (route) => {
      const handler = route.handler as RouteHandlerMethod & { [COUNTED]?: true };
      if (handler[COUNTED]) return;
      const counted = async function (this: FastifyInstance, ...args: Parameters<RouteHandlerMethod>) {
        const state = inFlight.get(args[0]);
        if (state) state.running = true;
        try {
          return await handler.apply(this, args);
        } finally {
          if (state) {
            state.running = false;
            if (state.ended) leave(args[0]);
          }
        }
      } as RouteHandlerMethod & { [COUNTED]?: true };
      counted[COUNTED] = true;
      route.handler = counted;
    });
    let sweeper: NodeJS.Timeout | undefined;
    app.addHook('preClose', async () => {
      closing = true;
      // New connections are refused from now on (Fastify itself would stop listening only after
      // this hook); those open get a 503 with `Connection: close`.
      app.server.close();
      // Fastify closes the connections idle at this moment; a keep-alive connection that falls
      // idle later (its last request answered) would hold the server open until its timeout.
      sweeper = setInterval(() => app.server.closeIdleConnections(), 100);
      if (inFlight.size === 0) return;
      // Within the time the whole shutdown has (server.ts exits 1 past SHUTDOWN_GRACE_MS), leaving
      // a fifth of it for the pools and Redis to close: a request that never ends cannot hold the
      // process open, and the warning is logged before that exit.
      const bound = Math.floor(app.config.shutdownGraceMs * 0.8);
      let timer: NodeJS.Timeout | undefined;
      const waited = await Promise.race([
        new Promise<boolean>((resolve) => (settled = () => resolve(true))),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), bound).unref())),
      ]);
      clearTimeout(timer);
      if (!waited) app.log.warn({ requests: inFlight.size, ms: bound }, 'closing with requests still running');
    });
    app.addHook('onClose', async () => clearInterval(sweeper));
    app.addHook('onRequest', (request, reply, done) => {
      if (draining) reply.header('connection', 'close');
      if (!closing) {
        const state = { running: false, ended: false };
        inFlight.set(request, state);
        reply.raw.once('close', () => {
          state.ended = true;
          if (!state.running) leave(request);
        });
        return done();
      }
      reply.header('connection', 'close');
      done(new AppError(Code.SERVERERR, { status: 503, message: text.service.shuttingDown, retryAfter: 1 }));
    });
    const { maxEventLoopDelayMs, sampleIntervalMs } = app.config.pressure;
    await app.register(underPressure, {
      maxEventLoopDelay: maxEventLoopDelayMs,
      sampleInterval: sampleIntervalMs,
      // A rejection goes to the error handler (the envelope); undefined lets the request through.
      pressureHandler: (request) => {
        if (request.routeOptions.url?.endsWith('/healthz')) return undefined;
        return Promise.reject(
          new AppError(Code.SERVERERR, {
            status: 503,
            message: text.service.busy,
            retryAfter: retrySeconds(sampleIntervalMs),
          }),
        );
      },
    });
  },
  { name: 'lifecycle', dependencies: ['config'] },
);
