// Security notices: a password reset or change, a mobile or email change tell the account's
// verified address (for an email change, the old one), in the background; a failing notice never
// fails the change. The service with fake gateways first, then the routes through the dev outboxes.
import { randomBytes } from 'node:crypto';
import { en, type MailMessage, type OutboxMessage } from '@register/contracts';
import { zhCN } from '@register/contracts/i18n/zh-CN';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { MailGateway, MailMessage as OutgoingMail } from '../src/modules/mail/mail.gateway.ts';
import { MailNotSentError, MailRejectedError } from '../src/modules/mail/mail.gateway.ts';
import { createSecurityNotices } from '../src/modules/notifications/notices.service.ts';
import type { SmsGateway, SmsMessage } from '../src/modules/sms/sms.gateway.ts';
import { SmsNotSentError } from '../src/modules/sms/sms.gateway.ts';
import type { Seams } from '../src/services.ts';
import type { KvStore } from '../src/store/kv-store.ts';
import {
  buildTestApp,
  CAPTCHA,
  eventsSpy,
  manualClock,
  PASSWORD,
  randomMobile,
  randomUsername,
  readOutbox,
  Visitor,
} from './helper.ts';

const log = pino({ level: 'silent' });
const verified = { id: 7, username: 'Alice_1', mobile: '13800138000', email: 'alice@example.com', emailActive: true };

function fakeMail(behaviour: (message: OutgoingMail) => Promise<void> = async () => {}) {
  const sent: OutgoingMail[] = [];
  const gateway: MailGateway = {
    name: 'smtp',
    send: async (message) => {
      sent.push(message);
      await behaviour(message);
    },
  };
  return { gateway, sent };
}
function fakeSms(behaviour: () => Promise<void> = async () => {}) {
  const sent: SmsMessage[] = [];
  const gateway: SmsGateway = {
    name: 'ccp',
    send: async (message) => {
      sent.push(message);
      await behaviour();
    },
  };
  return { gateway, sent };
}
function notices(options: { mail?: MailGateway; sms?: SmsGateway; smsNotices?: boolean } = {}) {
  const events = eventsSpy();
  const service = createSecurityNotices({
    mail: options.mail ?? fakeMail().gateway,
    sms: options.sms ?? fakeSms().gateway,
    smsNotices: options.smsNotices ?? false,
    events,
    log,
    defaultLocale: 'en',
  });
  return { service, events };
}

describe('createSecurityNotices', () => {
  it.each([
    ['password_reset', en.mail.passwordReset],
    ['password_changed', en.mail.passwordChanged],
    ['mobile_changed', en.mail.mobileChanged('139****0000')],
    ['email_changed', en.mail.emailChanged('n***@example.com')],
    ['passkey_added', en.mail.passkeyAdded],
  ] as const)('%s: a short notice to the verified address, and notice_sent', async (kind, what) => {
    const mail = fakeMail();
    const { service, events } = notices({ mail: mail.gateway });
    service.send(verified, kind, { mobile: '13900000000', newEmail: 'new.address@example.com' });
    await service.idle();
    expect(mail.sent).toEqual([
      { to: 'alice@example.com', subject: en.mail.noticeSubject, text: en.mail.noticeText('Alice_1', what) },
    ]);
    expect(events.recorded).toEqual([{ kind: 'notice_sent', input: { userId: 7, detail: { kind, channel: 'email' } } }]);
  });

  it('sends nothing to an unverified address, or to none', async () => {
    const mail = fakeMail();
    const { service, events } = notices({ mail: mail.gateway });
    service.send({ ...verified, emailActive: false }, 'password_changed');
    service.send({ ...verified, email: '', emailActive: false }, 'password_reset');
    await service.idle();
    expect(mail.sent).toEqual([]);
    expect(events.recorded).toEqual([]);
  });

  it('is written in the language of the request that made the change', async () => {
    const mail = fakeMail();
    const { service } = notices({ mail: mail.gateway });
    service.send(verified, 'password_changed', { locale: 'zh-CN' });
    await service.idle();
    expect(mail.sent[0]).toMatchObject({
      subject: zhCN.mail.noticeSubject,
      text: zhCN.mail.noticeText('Alice_1', zhCN.mail.passwordChanged),
    });
  });

  it('returns at once, never waiting for the mail server', async () => {
    let release = () => {};
    const stalled = fakeMail(() => new Promise<void>((resolve) => (release = resolve)));
    const { service, events } = notices({ mail: stalled.gateway });
    const started = performance.now();
    service.send(verified, 'password_changed');
    expect(performance.now() - started).toBeLessThan(50);
    expect(events.recorded).toEqual([]);
    await vi.waitFor(() => expect(stalled.sent).toHaveLength(1));
    release();
    await service.idle();
    expect(events.recorded.map((e) => e.kind)).toEqual(['notice_sent']);
  });

  it('never throws: a failed notice is recorded as mail_failed, with why', async () => {
    const failing = [
      new MailRejectedError(550, 'refused'),
      new MailNotSentError('unreachable'),
      new Error('no answer to the end of the data'),
    ];
    const mail = fakeMail(async () => {
      throw failing.shift();
    });
    const { service, events } = notices({ mail: mail.gateway });
    for (let i = 0; i < 3; i++) expect(() => service.send(verified, 'password_reset')).not.toThrow();
    await service.idle();
    expect(events.recorded).toEqual([
      {
        kind: 'mail_failed',
        input: {
          userId: 7,
          detail: { purpose: 'notice', kind: 'password_reset', transport: 'smtp', reason: 'rejected', responseCode: 550 },
        },
      },
      {
        kind: 'mail_failed',
        input: { userId: 7, detail: { purpose: 'notice', kind: 'password_reset', transport: 'smtp', reason: 'unreachable' } },
      },
      {
        kind: 'mail_failed',
        input: { userId: 7, detail: { purpose: 'notice', kind: 'password_reset', transport: 'smtp', reason: 'unconfirmed' } },
      },
    ]);
    // Even a gateway that throws synchronously cannot reach the caller.
    const broken: MailGateway = {
      name: 'smtp',
      send: () => {
        throw new Error('boom');
      },
    };
    const { service: other } = notices({ mail: broken });
    expect(() => other.send(verified, 'password_changed')).not.toThrow();
    await other.idle();
  });

  it('texts the mobile only when SECURITY_SMS_NOTICES is on: the number before the change', async () => {
    const off = fakeSms();
    const { service: quiet } = notices({ sms: off.gateway });
    quiet.send(verified, 'mobile_changed', { mobile: '13900000000' });
    await quiet.idle();
    expect(off.sent).toEqual([]);

    const on = fakeSms();
    const { service, events } = notices({ sms: on.gateway, smsNotices: true });
    service.send({ ...verified, emailActive: false }, 'mobile_changed', { mobile: '13900000000' });
    await service.idle();
    expect(on.sent).toEqual([
      {
        mobile: '13800138000',
        purpose: 'notice',
        code: '',
        ttlMinutes: 0,
        text: en.mail.smsNotice(en.mail.mobileChanged('139****0000')),
      },
    ]);
    expect(events.recorded).toEqual([
      {
        kind: 'notice_sent',
        input: { userId: 7, mobile: '13800138000', detail: { kind: 'mobile_changed', channel: 'sms' } },
      },
    ]);

    const failing = fakeSms(async () => {
      throw new SmsNotSentError('unreachable');
    });
    const { service: failed, events: failures } = notices({ sms: failing.gateway, smsNotices: true });
    expect(() => failed.send({ ...verified, emailActive: false }, 'password_reset')).not.toThrow();
    await failed.idle();
    expect(failures.recorded.map((e) => [e.kind, e.input.detail])).toEqual([
      ['sms_failed', { purpose: 'notice', kind: 'password_reset', gateway: 'ccp', reason: 'unreachable' }],
    ]);
  });
});

// ---- the routes that change an account, through the dev outboxes ----

/** The outbox write of one address fails while it is set (the notice's, never the change's). */
let failingOutboxKey: string | null = null;
const seams: Seams = {
  store: (store): KvStore => ({
    ...store,
    set: async (key, value, ttlMs) => {
      if (key === failingOutboxKey) throw new Error('injected: outbox write failed');
      return store.set(key, value, ttlMs);
    },
  }),
};

const clock = manualClock();
let app: FastifyInstance;
beforeAll(async () => {
  app = await buildTestApp({}, { seams, clock });
});
afterAll(() => app.close());

const NEW_PASSWORD = 'a brand new horse battery';
const randomEmail = (tag = 'notice') => `${tag}.${randomBytes(5).toString('hex')}@example.com`;

async function lastMail(address: string): Promise<MailMessage | null> {
  const res = await app.inject({ method: 'GET', url: `/api/__dev/mail/${encodeURIComponent(address)}/` });
  return res.statusCode === 200 ? (res.json() as { data: MailMessage }).data : null;
}
async function lastSms(mobile: string): Promise<OutboxMessage | null> {
  const res = await app.inject({ method: 'GET', url: `/api/__dev/sms/${mobile}/` });
  return res.statusCode === 200 ? (res.json() as { data: OutboxMessage }).data : null;
}
/** The next mail to an address that is not `before` (notices are sent in the background). */
async function nextMail(address: string, before: MailMessage | null): Promise<MailMessage> {
  return vi.waitFor(
    async () => {
      const mail = await lastMail(address);
      if (!mail || (before && mail.sentAt === before.sentAt && mail.text === before.text)) throw new Error('not yet');
      return mail;
    },
    { timeout: 5000, interval: 20 },
  );
}
async function events(userId: number, kind: string) {
  await app.events.flush();
  return (await app.db.prisma.securityEvent.findMany({ where: { userId, kind } })).map((e) => e.detail);
}

/** A logged-in user; with `verify`, their address verified through the outbox link. */
async function newUser(options: { verify?: boolean } = {}) {
  const visitor = new Visitor(app);
  const username = randomUsername('Notice');
  const mobile = randomMobile();
  const res = await visitor.register(username, mobile);
  if (res.status !== 200 || !res.body.data) throw new Error(`register failed: ${JSON.stringify(res.body)}`);
  const email = randomEmail();
  await visitor.post('/api/user/email/', { email });
  if (options.verify !== false) {
    const token = new URLSearchParams(new URL((await lastMail(email))?.link ?? '').hash.slice(1)).get('token');
    const verified = await new Visitor(app).post('/api/user/email/verify/', { token });
    if (verified.status !== 200) throw new Error(`verify failed: ${JSON.stringify(verified.body)}`);
  }
  return { visitor, id: res.body.data.id, username, mobile, email };
}
const changePassword = (visitor: Visitor) =>
  visitor.post('/api/user/password/', { old_password: PASSWORD, password: NEW_PASSWORD, password_repeat: NEW_PASSWORD });

describe('notices from the routes', () => {
  it('a password change notifies the verified address', async () => {
    const user = await newUser();
    const before = await lastMail(user.email);
    expect((await changePassword(user.visitor)).status).toBe(200);
    const notice = await nextMail(user.email, before);
    expect(notice).toMatchObject({
      to: user.email,
      subject: en.mail.noticeSubject,
      text: en.mail.noticeText(user.username, en.mail.passwordChanged),
      link: null,
      token: null,
    });
    await vi.waitFor(async () =>
      expect(await events(user.id, 'notice_sent')).toEqual([{ kind: 'password_changed', channel: 'email' }]),
    );
  });

  it('a password reset notifies the verified address', async () => {
    const user = await newUser();
    const before = await lastMail(user.email);
    const visitor = new Visitor(app);
    clock.advance(61_000); // past the resend wait of the registration's code
    await visitor.get('/api/image_code/');
    expect((await visitor.post('/api/sms_code/', { mobile: user.mobile, captcha: CAPTCHA, purpose: 'reset' })).status).toBe(200);
    // The reset text goes out after the answer.
    const code = await vi.waitFor(
      async () => {
        const sms = await lastSms(user.mobile);
        if (sms?.purpose !== 'reset') throw new Error('not yet');
        return sms.code;
      },
      { timeout: 5000, interval: 20 },
    );
    const reset = await visitor.post('/api/password/reset/', {
      mobile: user.mobile,
      sms_code: code,
      password: NEW_PASSWORD,
      password_repeat: NEW_PASSWORD,
    });
    expect(reset.status).toBe(200);
    expect((await nextMail(user.email, before)).text).toBe(en.mail.noticeText(user.username, en.mail.passwordReset));
  });

  it('a mobile change notifies the verified address, naming the new number masked', async () => {
    const user = await newUser();
    const before = await lastMail(user.email);
    const mobile = randomMobile();
    await user.visitor.get('/api/image_code/');
    const sent = await user.visitor.post('/api/sms_code/', { mobile, captcha: CAPTCHA, purpose: 'change_mobile' });
    expect(sent.status).toBe(200);
    const changed = await user.visitor.post('/api/user/mobile/', {
      mobile,
      sms_code: await readOutbox(app, mobile),
      password: PASSWORD,
    });
    expect(changed.status).toBe(200);
    const masked = `${mobile.slice(0, 3)}****${mobile.slice(-4)}`;
    expect((await nextMail(user.email, before)).text).toBe(en.mail.noticeText(user.username, en.mail.mobileChanged(masked)));
  });

  it('an email change notifies the old verified address (the new one gets its link)', async () => {
    const user = await newUser();
    const before = await lastMail(user.email);
    const next = randomEmail('next');
    expect((await user.visitor.post('/api/user/email/', { email: next })).status).toBe(200);
    const notice = await nextMail(user.email, before);
    const masked = `${next[0]}***@example.com`;
    expect(notice).toMatchObject({ to: user.email, text: en.mail.noticeText(user.username, en.mail.emailChanged(masked)) });
    expect(notice.text).not.toContain(next);
    expect((await lastMail(next))?.subject).toBe(en.mail.verifySubject);
  });

  it('an unverified address is sent no notice; no SMS notice either (SECURITY_SMS_NOTICES is off)', async () => {
    const user = await newUser({ verify: false });
    const before = await lastMail(user.email);
    const smsBefore = await lastSms(user.mobile);
    expect((await changePassword(user.visitor)).status).toBe(200);
    // A verified user's notice, sent after this one's change, arrives: this one's would have too.
    const witness = await newUser();
    const witnessBefore = await lastMail(witness.email);
    expect((await changePassword(witness.visitor)).status).toBe(200);
    await nextMail(witness.email, witnessBefore);
    expect(await lastMail(user.email)).toEqual(before);
    expect(await lastSms(user.mobile)).toEqual(smsBefore);
    expect(smsBefore?.purpose).toBe('register');
    expect(await events(user.id, 'notice_sent')).toEqual([]);
  });

  it('a notice that fails never fails the change: it is logged and recorded', async () => {
    const user = await newUser();
    failingOutboxKey = `mail-outbox:${user.email}`;
    try {
      const res = await changePassword(user.visitor);
      expect(res.status).toBe(200);
      await vi.waitFor(
        async () =>
          expect(await events(user.id, 'mail_failed')).toEqual([
            { purpose: 'notice', kind: 'password_changed', transport: 'outbox', reason: 'unconfirmed' },
          ]),
        { timeout: 5000, interval: 50 },
      );
    } finally {
      failingOutboxKey = null;
    }
    // The change stands: the new password logs in.
    const login = await new Visitor(app).post('/api/user/login/', { account: user.mobile, password: NEW_PASSWORD });
    expect(login.status).toBe(200);
  });
});
