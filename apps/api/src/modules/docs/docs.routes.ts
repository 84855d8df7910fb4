import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type RouteName, routes } from '@register/contracts';
import { success } from '../../lib/answer.ts';
import { fromContract } from '../../lib/route.ts';

/** GET /api/ (`mountedAt`: the API prefix; `prefix` would be Fastify's own option): the API's base URL answers, with its route table (the dev outbox only when it runs). */
export const docsRoutes: FastifyPluginAsyncTypebox<{
  mountedAt: string;
  withOutbox: boolean;
  /** The dev mail outbox (MAIL_TRANSPORT=outbox) runs: /__dev/mail/:email/ is listed. */
  withMailOutbox: boolean;
  withAltcha: boolean;
}> = async (app, { mountedAt, withOutbox, withMailOutbox, withAltcha }) => {
  const listed = (Object.keys(routes) as RouteName[])
    .filter(
      (name) =>
        (withOutbox || name !== 'devSms') && (withMailOutbox || name !== 'devMail') && (withAltcha || name !== 'altchaChallenge'),
    )
    .map((name) => ({ method: routes[name].method, path: `${mountedAt}${routes[name].path}`, summary: routes[name].summary }));
  app.route({
    ...fromContract(routes.index),
    handler: async (request) => success(request, { routes: listed }),
  });
};
