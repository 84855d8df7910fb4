import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { routes } from '@register/contracts';
import { fromContract } from '../../lib/route.ts';
import { markCaptchaIssued, saveSession } from '../../plugins/session.ts';
import type { CaptchaService } from './captcha.service.ts';

/** GET /image_code/?rand=: needs the session scope; limited per client (CAPTCHA_LIMIT_MAX). */
export const captchaRoutes: FastifyPluginAsyncTypebox<{ captcha: CaptchaService }> = async (app, { captcha }) => {
  app.route({
    ...fromContract(routes.imageCode),
    config: { rateLimit: false },
    onRequest: app.limits.captcha,
    handler: async (request, reply) => {
      const { image, contentType } = await captcha.issue(request.session.sessionId, request.deadline);
      // The session (and its cookie, sent with the image) now holds the captcha.
      markCaptchaIssued(request, app.clock());
      await saveSession(request);
      return reply.type(contentType).send(image);
    },
  });
};
