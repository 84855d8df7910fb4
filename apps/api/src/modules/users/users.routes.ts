import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { routes, text } from '@register/contracts';
import { success } from '../../lib/answer.ts';
import { within } from '../../lib/deadline.ts';
import { fromContract } from '../../lib/route.ts';
import { beginUserSession, forgetSession, setDeviceCookie } from '../../plugins/session.ts';
import type { UsersService } from './users.service.ts';

/** GET /username/:username/ and /mobile/:mobile/: no session; one enumeration budget per client for both. */
export const availabilityRoutes: FastifyPluginAsyncTypebox<{ users: UsersService }> = async (app, { users }) => {
  const limited = { config: { rateLimit: false }, onRequest: app.limits.availability } as const;
  app.route({
    ...fromContract(routes.checkUsername),
    ...limited,
    handler: async (request) => {
      const { username } = request.params;
      return success(request, { username, count: await users.countUsername(username) });
    },
  });
  app.route({
    ...fromContract(routes.checkMobile),
    ...limited,
    handler: async (request) => {
      const { mobile } = request.params;
      return success(request, { mobile, count: await users.countMobile(mobile) });
    },
  });
};

/** POST /user/register/: creates the user and logs it in with a fresh session id. */
export const registerRoutes: FastifyPluginAsyncTypebox<{
  users: UsersService;
  deviceTokenFor: (userId: number) => string;
}> = async (app, opts) => {
  app.route({
    ...fromContract(routes.register),
    handler: async (request, reply) => {
      const { credential, ...user } = await opts.users.register(
        request.body,
        { client: request.client, sessionId: request.session.sessionId },
        request.deadline,
      );
      // The account exists: whatever happens to the session now, the answer is a success. The
      // deadline no longer holds (the insert committed the request), so the session gets one
      // store command's time of its own; past it the visitor logs in on the next page.
      try {
        await within(app.config.storeStepMs, beginUserSession(request, user.id, { credential }));
      } catch (err) {
        request.log.warn({ err }, 'registered, but the session could not be started');
        forgetSession(request); // nothing half-saved
        return success(request, { ...user, loggedIn: false }, text.user.registeredNotLoggedIn);
      }
      setDeviceCookie(request, reply, opts.deviceTokenFor(user.id));
      return success(request, { ...user, loggedIn: true }, text.user.registered);
    },
  });
};
