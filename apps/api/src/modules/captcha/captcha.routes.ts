import { routes } from '@register/contracts';
import type { FastifyPluginAsync } from 'fastify';
import { fromContract } from '../../lib/route.ts';
import type { CaptchaService } from './captcha.service.ts';

/** GET /image_code/?rand=: needs the session scope. */
export const captchaRoutes: FastifyPluginAsync<{ captcha: CaptchaService }> = async (app, { captcha }) => {
  app.route({
    ...fromContract(routes.imageCode),
    handler: async (request, reply) => {
      // Marking the session modified saves it and sends its cookie with the image.
      const { image, contentType } = await captcha.issue(request.session.sessionId, request.ip);
      request.session.captchaAt = app.clock();
      return reply.type(contentType).send(image);
    },
  });
};
