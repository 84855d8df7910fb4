import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Code, routes, text } from '@register/contracts';
import { AppError } from '../../errors.ts';
import { success } from '../../lib/answer.ts';
import { within } from '../../lib/deadline.ts';
import { fromContract } from '../../lib/route.ts';
import { forgetSession, markSmsSent, saveSession } from '../../plugins/session.ts';
import type { AuthService } from '../auth/auth.service.ts';
import { sessionAccount } from '../auth/require-user.ts';
import type { Outbox } from './outbox.gateway.ts';
import type { SmsService } from './sms.service.ts';

/**
 * POST /sms_code/: needs the session scope (the captcha lives there, and the code is bound to it,
 * whichever door it came through); limited per client (SMS_LIMIT_MAX). A change_mobile code
 * needs a logged-in session, resolved before the captcha is spent.
 */
export const smsRoutes: FastifyPluginAsyncTypebox<{
  sms: SmsService;
  auth: Pick<AuthService, 'currentAccount'>;
  cookieName: string;
}> = async (app, { sms, auth, cookieName }) => {
  app.route({
    ...fromContract(routes.sendSmsCode),
    config: { rateLimit: false },
    onRequest: app.limits.sms,
    handler: async (request, reply) => {
      const { mobile, captcha, altcha, purpose = 'register' } = request.body;
      let userId: number | undefined;
      if (purpose === 'change_mobile') {
        const user = await sessionAccount(request, reply, auth, cookieName);
        if (!user) throw new AppError(Code.SESSIONERR, { message: text.sms.loginFirst });
        userId = user.id;
      }
      const sent = await sms.sendCode({
        sessionId: request.session.sessionId,
        mobile,
        captcha,
        altcha,
        purpose,
        userId,
        client: request.client,
        deadline: request.deadline,
      });
      // The text went out: that is the answer, whatever the session does now. The code is bound
      // to this session's id, which the visitor's cookie (set with the captcha) already names,
      // so a failed save costs only the session's renewed lifetime.
      markSmsSent(request, app.clock());
      try {
        await within(app.config.storeStepMs, saveSession(request));
      } catch (err) {
        request.log.warn({ err }, 'SMS sent, but the session could not be saved');
        forgetSession(request);
      }
      // A reset says the same for every number, whether it has an account or not.
      return success(request, sent, purpose === 'reset' ? text.sms.sentIfRegistered : text.sms.sent);
    },
  });
};

/** GET /__dev/sms/:mobile/: registered only with the outbox gateway, which config refuses in production. */
export const devOutboxRoutes: FastifyPluginAsyncTypebox<{ outbox: Outbox }> = async (app, { outbox }) => {
  app.route({
    ...fromContract(routes.devSms),
    handler: async (request) => {
      const { mobile } = request.params;
      const message = await outbox.last(mobile);
      if (!message) throw new AppError(Code.NODATA, { message: text.request.noOutboxMessage });
      return success(request, message);
    },
  });
};
