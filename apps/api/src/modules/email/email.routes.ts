import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Code, negotiateLocale, routes, text } from '@register/contracts';
import { AppError } from '../../errors.ts';
import { success } from '../../lib/answer.ts';
import { fromContract } from '../../lib/route.ts';
import type { AuthService } from '../auth/auth.service.ts';
import { requireUser } from '../auth/require-user.ts';
import type { MailOutbox } from '../mail/outbox.gateway.ts';
import { type EmailService, linkHours } from './email.service.ts';

/** POST /user/email/: the logged-in user's address (needs the session scope). */
export const emailRoutes: FastifyPluginAsyncTypebox<{
  email: EmailService;
  auth: Pick<AuthService, 'currentAccount'>;
  cookieName: string;
}> = async (app, { email, auth, cookieName }) => {
  app.route({
    ...fromContract(routes.setEmail),
    handler: async (request, reply) => {
      const user = await requireUser(request, reply, auth, cookieName);
      const state = await email.setEmail(user, request.body.email, {
        client: request.client,
        catalog: request.messages,
        locale: negotiateLocale(request.headers['accept-language'], app.config.defaultLocale),
        deadline: request.deadline,
      });
      const hours = linkHours(app.config.email.tokenTtlSeconds);
      return success(request, state, state.emailActive ? text.account.emailVerified : text.account.emailSent(state.email, hours));
    },
  });
};

/**
 * POST /user/email/verify/: no session needed (the link may be opened in another browser): the
 * token is the proof.
 */
export const verifyEmailRoutes: FastifyPluginAsyncTypebox<{ email: EmailService }> = async (app, { email }) => {
  app.route({
    ...fromContract(routes.verifyEmail),
    handler: async (request) => {
      const state = await email.verify(request.body.token, { client: request.client, deadline: request.deadline });
      return success(request, state, text.account.emailVerified);
    },
  });
};

/** GET /__dev/mail/:email/: registered only with the mail outbox, which config refuses in production. */
export const devMailRoutes: FastifyPluginAsyncTypebox<{ outbox: MailOutbox }> = async (app, { outbox }) => {
  app.route({
    ...fromContract(routes.devMail),
    handler: async (request) => {
      const message = await outbox.last(request.params.email);
      if (!message) throw new AppError(Code.NODATA, { message: text.request.noMailMessage });
      return success(request, message);
    },
  });
};
