// SECURITY_SMS_NOTICES=true: each security notice is also texted to the account's mobile (the
// number before the change), through the SMS gateway (here the dev outbox), with purpose notice.
import { en, type OutboxMessage } from '@register/contracts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildTestApp, CAPTCHA, PASSWORD, randomMobile, randomUsername, readOutbox, Visitor } from './helper.ts';

let app: FastifyInstance;
beforeAll(async () => {
  app = await buildTestApp({ SECURITY_SMS_NOTICES: 'true' });
});
afterAll(() => app.close());

const NEW_PASSWORD = 'a brand new horse battery';
const mask = (mobile: string) => `${mobile.slice(0, 3)}****${mobile.slice(-4)}`;

async function lastSms(mobile: string): Promise<OutboxMessage | null> {
  const res = await app.inject({ method: 'GET', url: `/api/__dev/sms/${mobile}/` });
  return res.statusCode === 200 ? (res.json() as { data: OutboxMessage }).data : null;
}
/** The notice texted to a mobile (sent in the background). */
const noticeTo = (mobile: string) =>
  vi.waitFor(
    async () => {
      const sms = await lastSms(mobile);
      if (sms?.purpose !== 'notice') throw new Error('not yet');
      return sms;
    },
    { timeout: 5000, interval: 20 },
  );

async function newUser() {
  const visitor = new Visitor(app);
  const mobile = randomMobile();
  const res = await visitor.register(randomUsername('Sms'), mobile);
  if (res.status !== 200 || !res.body.data) throw new Error(`register failed: ${JSON.stringify(res.body)}`);
  return { visitor, id: res.body.data.id, mobile };
}

describe('SMS security notices (SECURITY_SMS_NOTICES=true)', () => {
  it('a password change texts the mobile, even with no verified email', async () => {
    const user = await newUser();
    const res = await user.visitor.post('/api/user/password/', {
      old_password: PASSWORD,
      password: NEW_PASSWORD,
      password_repeat: NEW_PASSWORD,
    });
    expect(res.body).toMatchObject({ errno: '0' });
    expect(await noticeTo(user.mobile)).toMatchObject({
      mobile: user.mobile,
      purpose: 'notice',
      code: '',
      text: en.mail.smsNotice(en.mail.passwordChanged),
    });
    await app.events.flush();
    const sent = await app.db.prisma.securityEvent.findMany({ where: { userId: user.id, kind: 'notice_sent' } });
    expect(sent.map((e) => e.detail)).toEqual([{ kind: 'password_changed', channel: 'sms' }]);
  });

  it('a mobile change texts the old number: the one a SIM swap would take', async () => {
    const user = await newUser();
    const mobile = randomMobile();
    await user.visitor.get('/api/image_code/');
    expect((await user.visitor.post('/api/sms_code/', { mobile, captcha: CAPTCHA, purpose: 'change_mobile' })).status).toBe(200);
    const code = await readOutbox(app, mobile);
    const changed = await user.visitor.post('/api/user/mobile/', { mobile, sms_code: code, password: PASSWORD });
    expect(changed.status).toBe(200);
    expect((await noticeTo(user.mobile)).text).toBe(en.mail.smsNotice(en.mail.mobileChanged(mask(mobile))));
    expect((await lastSms(mobile))?.purpose).toBe('change_mobile');
  });
});
