// The real SecurityNotices: a short email to the account's verified address (for an email
// change, the old one), and, when SECURITY_SMS_NOTICES is on, a text to its mobile (before the
// change: for a mobile change, the old number). Sent in the background: the request that made
// the change never waits for a mail server, and a notice that fails is logged and recorded
// (mail_failed, sms_failed), never thrown.
import type { Catalog, Locale } from '@register/contracts';
import type { FastifyBaseLogger } from 'fastify';
import { CATALOGS } from '../../lib/catalogs.ts';
import { maskMobile } from '../../lib/mobile.ts';
import { type MailGateway, MailNotSentError, MailRejectedError, maskEmail } from '../mail/mail.gateway.ts';
import type { SecurityEvents } from '../security-events/events.service.ts';
import { type SmsGateway, SmsNotSentError, SmsRejectedError } from '../sms/sms.gateway.ts';
import type { NoticeDetail, NoticeKind, SecurityNotices } from './notices.ts';

/** The sentence that says what changed, in the notice's language. */
function whatChanged(catalog: Catalog, kind: NoticeKind, user: { mobile: string }, detail: NoticeDetail): string {
  switch (kind) {
    case 'password_reset':
      return catalog.mail.passwordReset;
    case 'password_changed':
      return catalog.mail.passwordChanged;
    case 'mobile_changed':
      return catalog.mail.mobileChanged(maskMobile(detail.mobile ?? user.mobile));
    case 'email_changed':
      // Masked: the old address's reader learns that it changed, not someone else's address.
      return catalog.mail.emailChanged(maskEmail(detail.newEmail ?? ''));
    case 'passkey_added':
      return catalog.mail.passkeyAdded;
  }
}

export interface BackgroundNotices extends SecurityNotices {
  /** Resolves when every notice sent so far has been handed over or has failed (tests, shutdown). */
  idle(): Promise<void>;
}

export function createSecurityNotices(deps: {
  mail: MailGateway;
  /** The SMS gateway; notices are texted only when `smsNotices` is on. */
  sms: SmsGateway;
  smsNotices: boolean;
  events: SecurityEvents;
  log: FastifyBaseLogger;
  defaultLocale: Locale;
}): BackgroundNotices {
  const { mail, sms, smsNotices, events, log, defaultLocale } = deps;
  const pending = new Set<Promise<void>>();
  const background = (work: () => Promise<void>) => {
    // Started on the next turn, so nothing of it runs inside the request that changed the account.
    const job: Promise<void> = Promise.resolve()
      .then(work)
      .catch((err: unknown) => log.error({ err }, 'security notice failed unexpectedly'))
      .finally(() => pending.delete(job));
    pending.add(job);
  };

  return {
    send(user, kind, detail = {}) {
      try {
        const catalog = CATALOGS[detail.locale ?? defaultLocale];
        const what = whatChanged(catalog, kind, user, detail);
        if (user.emailActive && user.email) {
          const to = user.email;
          background(async () => {
            try {
              await mail.send({ to, subject: catalog.mail.noticeSubject, text: catalog.mail.noticeText(user.username, what) });
              events.record('notice_sent', { userId: user.id, detail: { kind, channel: 'email' } });
            } catch (err) {
              const rejected = err instanceof MailRejectedError;
              const reason = rejected ? 'rejected' : err instanceof MailNotSentError ? 'unreachable' : 'unconfirmed';
              log.warn({ err, to: maskEmail(to), kind, transport: mail.name, reason }, 'security notice email not sent');
              events.record('mail_failed', {
                userId: user.id,
                detail: {
                  purpose: 'notice',
                  kind,
                  transport: mail.name,
                  reason,
                  ...(rejected ? { responseCode: err.responseCode } : {}),
                },
              });
            }
          });
        }
        if (smsNotices) {
          const mobile = user.mobile;
          background(async () => {
            try {
              await sms.send({ mobile, purpose: 'notice', code: '', ttlMinutes: 0, text: catalog.mail.smsNotice(what) });
              events.record('notice_sent', { userId: user.id, mobile, detail: { kind, channel: 'sms' } });
            } catch (err) {
              const rejected = err instanceof SmsRejectedError;
              const reason = rejected ? 'rejected' : err instanceof SmsNotSentError ? 'unreachable' : 'unconfirmed';
              log.warn({ err, mobile: maskMobile(mobile), kind, gateway: sms.name, reason }, 'security notice SMS not sent');
              events.record('sms_failed', {
                userId: user.id,
                mobile,
                detail: { purpose: 'notice', kind, gateway: sms.name, reason },
              });
            }
          });
        }
      } catch (err) {
        // Never a reason to fail the change that already committed.
        log.error({ err, kind }, 'could not queue a security notice');
      }
    },
    async idle() {
      while (pending.size) await Promise.allSettled([...pending]);
    },
  };
}
