import { routes } from '@register/contracts';
import type { FastifyPluginAsync } from 'fastify';
import { fromContract } from '../../lib/route.ts';
import type { CaptchaService } from './captcha.service.ts';

/** GET /image_code/?rand=: needs the session scope. */
export const captchaRoutes: FastifyPluginAsync<{ captcha: CaptchaService }> = async (app, { captcha }) => {
  app.route({
    ...fromContract(routes.imageCode),
    handler: async (request, reply) => {
      // Marks the session modified, so it is saved and its cookie sent with the image.
      request.session.captchaAt = Date.now();
      const { image, contentType } = await captcha.issue(request.session.sessionId);
      return reply.type(contentType).send(image);
    },
  });
};
