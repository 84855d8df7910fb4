// Every request is answered within REQUEST_DEADLINE_MS (lib/deadline.ts), whatever the backends
// do. Our own timer rather than Fastify's handlerTimeout: Fastify clears that timer when the
// request stream closes, which Node does as soon as a POST body has been read, so over real HTTP
// no POST had a deadline at all.
import type { FastifyInstance, RouteHandlerMethod } from 'fastify';
import fp from 'fastify-plugin';
import { type RequestDeadline, slowError, startDeadline } from '../lib/deadline.ts';

declare module 'fastify' {
  interface FastifyRequest {
    deadline: RequestDeadline;
  }
}

const WRAPPED = Symbol('deadline-aware handler');

export default fp(
  async function deadline(app: FastifyInstance) {
    app.decorateRequest('deadline', null as unknown as RequestDeadline);
    // Callback hooks, not async ones: they run on every request, and a promise each is not free.
    app.addHook('onRequest', (request, reply, done) => {
      request.deadline = startDeadline(app.config.deadlineMs, () => {
        // An answer already under way (onSend cancels the timer) or a client gone: nothing to do.
        if (reply.sent || reply.raw.headersSent) return;
        app.metrics.deadlineExpired();
        reply.send(slowError());
      });
      // A client that left needs no answer: the timer goes with it.
      reply.raw.once('close', () => request.deadline.cancel());
      done();
    });
    // The answer is being sent: the deadline has done its job. (Routes do their store writes,
    // session saves included, in the handler, so nothing slow runs from here on.)
    app.addHook('onSend', (request, _reply, payload, done) => {
      request.deadline?.cancel();
      done(null, payload);
    });

    // A handler still running when the deadline answered finishes quietly: its late result (or
    // error) must not be sent a second time. It wrote nothing irrevocable after the deadline:
    // services check it before each write, and a committed request has no deadline.
    app.addHook('onRoute', (route) => {
      const handler = route.handler as RouteHandlerMethod & { [WRAPPED]?: true };
      if (handler[WRAPPED]) return;
      const wrapped = async function (this: FastifyInstance, ...args: Parameters<RouteHandlerMethod>) {
        const [request, reply] = args;
        try {
          const result = await handler.apply(this, args);
          return reply.sent && request.deadline?.expired ? undefined : result;
        } catch (error) {
          if (!(reply.sent && request.deadline?.expired)) throw error;
          request.log.warn({ err: error }, 'failed after its deadline had answered');
          return undefined;
        }
      } as RouteHandlerMethod & { [WRAPPED]?: true };
      wrapped[WRAPPED] = true;
      route.handler = wrapped;
    });
  },
  { name: 'deadline', dependencies: ['config', 'metrics'] },
);
