// The API configured with the CCP provider, pointed at a local fake of its REST API.
import { SMS_MESSAGES } from '@register/contracts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CCP_ACCOUNT, startFakeCcp } from './fake-ccp.ts';
import { buildTestApp, PASSWORD, randomMobile, randomUsername, Visitor } from './helper.ts';

let app: FastifyInstance;
let fake: Awaited<ReturnType<typeof startFakeCcp>>;
beforeAll(async () => {
  fake = await startFakeCcp();
  app = await buildTestApp({
    SMS_GATEWAY: 'ccp',
    CCP_BASE_URL: fake.baseUrl,
    CCP_ACCOUNT_SID: CCP_ACCOUNT.sid,
    CCP_AUTH_TOKEN: CCP_ACCOUNT.token,
    CCP_APP_ID: CCP_ACCOUNT.appId,
    CCP_TIMEOUT_MS: '300',
  });
});
afterAll(async () => {
  await app.close();
  await fake.close();
});

describe('SMS through the CCP provider', () => {
  it('sends the code in the template data, and has no dev outbox', async () => {
    const mobile = randomMobile();
    fake.setMode('ok');
    const res = await new Visitor(app).requestSmsCode(mobile);
    expect(res.status).toBe(200);
    expect(fake.problems).toEqual([]);
    expect(fake.accepted.at(-1)).toMatchObject({ to: mobile, templateId: '1', datas: [expect.stringMatching(/^\d{6}$/), '5'] });
    expect((await new Visitor(app).get(`/api/__dev/sms/${mobile}/`)).status).toBe(404);
  });

  it('answers SMSFAIL when the provider refuses, and the visitor may retry at once', async () => {
    const mobile = randomMobile();
    fake.setMode('refuse');
    const refused = await new Visitor(app).requestSmsCode(mobile);
    expect(refused.status).toBe(502);
    expect(refused.body).toEqual({ errno: '4007', errmsg: 'Failed to send SMS Verification Code', data: null });
    fake.setMode('ok');
    expect((await new Visitor(app).requestSmsCode(mobile)).status).toBe(200);
  });

  it('answers SMSERROR with retryAfter when the provider does not answer, and the code it may have sent works', async () => {
    const mobile = randomMobile();
    fake.setMode('hang');
    const visitor = new Visitor(app);
    const hung = await visitor.requestSmsCode(mobile);
    expect(hung.status).toBe(502);
    expect(hung.body).toEqual({ errno: '4006', errmsg: SMS_MESSAGES.unconfirmed(60), data: { retryAfter: 60 } });
    expect(hung.headers['retry-after']).toBe('60');
    fake.setMode('ok');
    expect((await new Visitor(app).requestSmsCode(mobile)).status).toBe(429);
    const code = fake.received.at(-1)?.datas[0] ?? '';
    const registered = await visitor.post('/api/user/register/', {
      username: randomUsername(),
      password: PASSWORD,
      password_repeat: PASSWORD,
      mobile,
      sms_code: code,
    });
    expect(registered.status).toBe(200);
  });
});
