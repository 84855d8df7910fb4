import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { negotiateLocale, routes, type Text, text } from '@register/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { success } from '../../lib/answer.ts';
import { within } from '../../lib/deadline.ts';
import { fromContract } from '../../lib/route.ts';
import { beginUserSession, forgetSession } from '../../plugins/session.ts';
import type { AuthService } from '../auth/auth.service.ts';
import { requireUser } from '../auth/require-user.ts';
import type { AccountService, Relogin } from './account.service.ts';

/** The account page's API (logged in): needs the session scope. */
export const accountRoutes: FastifyPluginAsyncTypebox<{
  account: AccountService;
  auth: Pick<AuthService, 'currentAccount'>;
  cookieName: string;
}> = async (app, { account, auth, cookieName }) => {
  const requesterOf = (request: FastifyRequest) => ({
    client: request.client,
    sessionId: request.session.sessionId,
    deadline: request.deadline,
    locale: negotiateLocale(request.headers['accept-language'], app.config.defaultLocale),
  });

  /**
   * After a change that ended the user's other sessions: this browser gets a new session id
   * (and keeps what the list shows of it). The change has committed, so the save gets one store
   * step of its own; past it, the answer says so and this browser logs in again.
   */
  async function relogin(request: FastifyRequest, reply: FastifyReply, userId: number, { session }: Relogin) {
    const { createdAt, device, client } = request.session;
    try {
      await within(app.config.storeStepMs, beginUserSession(request, userId, session, { createdAt, device, client }));
      return true;
    } catch (err) {
      request.log.warn({ err }, 'changed, but the new session could not be saved');
      forgetSession(request); // nothing half-saved
      reply.clearCookie(cookieName, { path: '/' });
      return false;
    }
  }

  app.route({
    ...fromContract(routes.changePassword),
    handler: async (request, reply) => {
      const user = await requireUser(request, reply, auth, cookieName);
      const changed = await account.changePassword(user, request.body, requesterOf(request));
      const kept = await relogin(request, reply, user.id, changed);
      return success(request, changed.user, kept ? text.account.passwordChanged : text.account.passwordChangedLoggedOut);
    },
  });

  app.route({
    ...fromContract(routes.changeMobile),
    handler: async (request, reply) => {
      const user = await requireUser(request, reply, auth, cookieName);
      return success(request, await account.changeMobile(user, request.body, requesterOf(request)), text.account.mobileChanged);
    },
  });

  app.route({
    ...fromContract(routes.sessions),
    handler: async (request, reply) => {
      const user = await requireUser(request, reply, auth, cookieName);
      return success(request, { sessions: await account.listSessions(user, request.session.sessionId) });
    },
  });

  app.route({
    ...fromContract(routes.endSession),
    handler: async (request, reply) => {
      const user = await requireUser(request, reply, auth, cookieName);
      const ended = await account.endSession(user, request.params.id, requesterOf(request));
      if (ended === 'current') {
        await request.session.destroy();
        reply.clearCookie(cookieName, { path: '/' });
      }
      return success(request, null, text.account.sessionEnded);
    },
  });

  app.route({
    ...fromContract(routes.logoutAll),
    handler: async (request, reply) => {
      const user = await requireUser(request, reply, auth, cookieName);
      const result = await account.endOtherSessions(user, requesterOf(request));
      const kept = await relogin(request, reply, user.id, result);
      const said: Text = kept ? text.account.othersEnded(result.ended) : text.account.allEndedLoggedOut;
      return success(request, { ended: result.ended }, said);
    },
  });
};
