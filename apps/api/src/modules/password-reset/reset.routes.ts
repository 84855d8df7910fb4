import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { negotiateLocale, routes, text } from '@register/contracts';
import { success } from '../../lib/answer.ts';
import { fromContract } from '../../lib/route.ts';
import type { PasswordResetService } from './reset.service.ts';

/**
 * POST /password/reset/: needs the session scope (the code is bound to the session that asked
 * for it). Logs nobody in: the session is left as it was, so the answer sets no cookie, and the
 * SPA sends the visitor to the login page.
 */
export const passwordResetRoutes: FastifyPluginAsyncTypebox<{ reset: PasswordResetService }> = async (app, { reset }) => {
  app.route({
    ...fromContract(routes.passwordReset),
    handler: async (request) => {
      const { sessionsEnded } = await reset.reset(
        request.body,
        {
          client: request.client,
          sessionId: request.session.sessionId,
          locale: negotiateLocale(request.headers['accept-language'], app.config.defaultLocale),
        },
        request.deadline,
      );
      return success(request, null, sessionsEnded ? text.reset.done : text.reset.donePending);
    },
  });
};
