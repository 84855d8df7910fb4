import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Code, routes, text } from '@register/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../errors.ts';
import { success } from '../../lib/answer.ts';
import { fromContract } from '../../lib/route.ts';
import { beginUserSession, deviceCookiesOf, setDeviceCookie } from '../../plugins/session.ts';
import { toUserView } from '../users/users.service.ts';
import type { AuthService } from './auth.service.ts';
import { sessionAccount } from './require-user.ts';

/** Login, logout and the current user: needs the session scope. */
export const authRoutes: FastifyPluginAsyncTypebox<{ auth: AuthService; cookieName: string }> = async (
  app,
  { auth, cookieName },
) => {
  app.route({
    ...fromContract(routes.login),
    handler: async (request, reply) => {
      const { account, password } = request.body;
      const { user, deviceToken, session } = await auth.login(account, password, {
        client: request.client,
        deviceTokens: deviceCookiesOf(request),
      });
      await beginUserSession(request, user.id, session);
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

  const sessionUser = async (request: FastifyRequest, reply: FastifyReply) => {
    const user = await sessionAccount(request, reply, auth, cookieName);
    return user && toUserView(user);
  };

  // The SPA's "who is here?" on every page load: a visitor is an answer, not an error.
  app.route({
    ...fromContract(routes.session),
    handler: async (request, reply) => success(request, await sessionUser(request, reply)),
  });

  app.route({
    ...fromContract(routes.me),
    handler: async (request, reply) => {
      const user = await sessionUser(request, reply);
      if (!user) throw new AppError(Code.SESSIONERR);
      return success(request, user);
    },
  });
};
