import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { routes } from '@register/contracts';
import { success } from '../../lib/answer.ts';
import { fromContract } from '../../lib/route.ts';
import type { AltchaService } from './altcha.service.ts';

/**
 * GET /captcha/altcha/: a signed proof-of-work challenge. No session: the challenge carries its
 * own signature and expiry, and is spent by its signature. Limited per client (ALTCHA_LIMIT_MAX);
 * registered only with ALTCHA_ENABLED, so that turned off it is an unknown path.
 */
export const altchaRoutes: FastifyPluginAsyncTypebox<{ altcha: AltchaService }> = async (app, { altcha }) => {
  app.route({
    ...fromContract(routes.altchaChallenge),
    config: { rateLimit: false },
    onRequest: app.limits.altcha,
    handler: async (request) => success(request, await altcha.issue()),
  });
};
