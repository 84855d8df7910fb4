import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Code, routes, text } from '@register/contracts';
import { AppError } from '../../errors.ts';
import { success } from '../../lib/answer.ts';
import { fromContract } from '../../lib/route.ts';
import { beginUserSession, deviceCookiesOf, setDeviceCookie } from '../../plugins/session.ts';
import type { AuthService } from './auth.service.ts';

/** Login, logout and the current user: needs the session scope. */
export const authRoutes: FastifyPluginAsyncTypebox<{ auth: AuthService; cookieName: string }> = async (
  app,
  { auth, cookieName },
) => {
  app.route({
    ...fromContract(routes.login),
    handler: async (request, reply) => {
      const { account, password } = request.body;
      const { user, deviceToken } = await auth.login(account, password, {
        client: request.client,
        deviceTokens: deviceCookiesOf(request),
      });
      await beginUserSession(request, user.id);
      setDeviceCookie(request, reply, deviceToken);
      return success(request, user, text.auth.loggedIn);
    },
  });

  app.route({
    ...fromContract(routes.logout),
    handler: async (request, reply) => {
      if (request.cookies[cookieName]) await request.session.destroy();
      reply.clearCookie(cookieName, { path: '/' });
      return success(request, null, text.auth.loggedOut);
    },
  });

  // The SPA's "who is here?" on every page load: a visitor is an answer, not an error.
  app.route({
    ...fromContract(routes.session),
    handler: async (request) => {
      const userId = request.session.userId;
      return success(request, userId === undefined ? null : await auth.currentUser(userId));
    },
  });

  app.route({
    ...fromContract(routes.me),
    handler: async (request) => {
      const userId = request.session.userId;
      const user = userId === undefined ? null : await auth.currentUser(userId);
      if (!user) throw new AppError(Code.SESSIONERR);
      return success(request, user);
    },
  });
};
