import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { negotiateLocale, routes, text } from '@register/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { success } from '../../lib/answer.ts';
import { fromContract } from '../../lib/route.ts';
import { beginUserSession, deviceCookiesOf, saveSession, setDeviceCookie } from '../../plugins/session.ts';
import type { AuthService } from '../auth/auth.service.ts';
import { requireUser } from '../auth/require-user.ts';
import type { PasskeysService } from './passkeys.service.ts';

declare module 'fastify' {
  interface Session {
    /** Set when a passkey login starts, so an anonymous session (and its cookie) carries its challenge. */
    passkeyAt?: number;
  }
}

/** Passkeys: enrolment and the account page's list (logged in), and the login (anyone). Needs the session scope. */
export const passkeysRoutes: FastifyPluginAsyncTypebox<{
  passkeys: PasskeysService;
  auth: Pick<AuthService, 'currentAccount'>;
  cookieName: string;
}> = async (app, { passkeys, auth, cookieName }) => {
  const requesterOf = (request: FastifyRequest) => ({
    client: request.client,
    sessionId: request.session.sessionId,
    deadline: request.deadline,
    locale: negotiateLocale(request.headers['accept-language'], app.config.defaultLocale),
  });
  const user = (request: FastifyRequest, reply: FastifyReply) => requireUser(request, reply, auth, cookieName);

  app.route({
    ...fromContract(routes.passkeyRegisterOptions),
    handler: async (request, reply) =>
      success(request, await passkeys.registrationOptions(await user(request, reply), requesterOf(request))),
  });

  app.route({
    ...fromContract(routes.passkeyRegisterVerify),
    handler: async (request, reply) => {
      const added = await passkeys.register(await user(request, reply), request.body, requesterOf(request));
      return success(request, added, text.passkeys.added);
    },
  });

  app.route({
    ...fromContract(routes.passkeyLoginOptions),
    handler: async (request) => {
      const options = await passkeys.loginOptions(requesterOf(request));
      // A visitor's session is saved only when it holds something: now it holds the ceremony.
      // It lives as an anonymous session does (plugins/session.ts), a logged-in one keeps its own.
      request.session.passkeyAt = app.clock();
      if (request.session.userId === undefined) {
        request.session.cookie.maxAge = app.config.session.anonymousTtlSeconds * 1000;
      }
      await saveSession(request);
      return success(request, options);
    },
  });

  app.route({
    ...fromContract(routes.passkeyLoginVerify),
    handler: async (request, reply) => {
      const {
        user: view,
        deviceToken,
        session,
        loggedIn,
      } = await passkeys.login(request.body, {
        ...requesterOf(request),
        deviceTokens: deviceCookiesOf(request),
      });
      await beginUserSession(request, view.id, session);
      loggedIn();
      // Both login paths' copies (plugins/session.ts): a known device at the next login either way.
      setDeviceCookie(request, reply, deviceToken);
      return success(request, view, text.passkeys.loggedIn);
    },
  });

  app.route({
    ...fromContract(routes.passkeys),
    handler: async (request, reply) => success(request, { passkeys: await passkeys.list(await user(request, reply)) }),
  });

  app.route({
    ...fromContract(routes.renamePasskey),
    handler: async (request, reply) => {
      const renamed = await passkeys.rename(
        await user(request, reply),
        request.params.id,
        request.body.name,
        requesterOf(request),
      );
      return success(request, renamed, text.passkeys.renamed);
    },
  });

  app.route({
    ...fromContract(routes.deletePasskey),
    handler: async (request, reply) => {
      await passkeys.remove(await user(request, reply), request.params.id, requesterOf(request));
      return success(request, null, text.passkeys.deleted);
    },
  });
};
