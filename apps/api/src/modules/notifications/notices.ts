// Security notices: what tells a user that their account changed (a password reset or change, a
// new mobile or email, a new passkey). With SMS-only recovery a notice to the verified email is
// the user's one sign of a SIM swap. Sent after the change has committed, in the background:
// a notice that fails is logged and recorded, never a reason to fail or undo the change.
import type { Locale } from '@register/contracts';
import type { UserRecord } from '../users/users.repository.ts';

export type NoticeKind = 'password_reset' | 'password_changed' | 'mobile_changed' | 'email_changed' | 'passkey_added';

/** What a notice names besides its kind: the new number (masked in the text) or the new address. */
export interface NoticeDetail {
  mobile?: string;
  /** For email_changed: the new address (the notice goes to the old, verified one). */
  newEmail?: string;
  /** The language of the request that made the change; DEFAULT_LOCALE otherwise. */
  locale?: Locale;
}

export interface SecurityNotices {
  /**
   * Queues the notice for `user` as the account was before the change (its verified address);
   * never throws, never waits for a mail server.
   */
  send(
    user: Pick<UserRecord, 'id' | 'username' | 'mobile' | 'email' | 'emailActive'>,
    kind: NoticeKind,
    detail?: NoticeDetail,
  ): void;
}

/** For services built without notices (some tests, the CLI). */
export const noNotices: SecurityNotices = { send() {} };
