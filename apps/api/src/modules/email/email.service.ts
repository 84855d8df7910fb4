// The account's email address: setting it (unverified) mails a link to the SPA's /verify-email
// page, whose token then verifies it. The token is the only proof, so it is random (256 bits),
// kept in the store only as its SHA-256, used once (taken in one step), bound to the user and
// the address it was sent to, and voided by any newer link for the same user.
import { createHash, randomBytes } from 'node:crypto';
import { type Catalog, Code, type EmailState, type Locale, text } from '@register/contracts';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../../config.ts';
import { AppError, fieldError } from '../../errors.ts';
import type { Clock } from '../../lib/clock.ts';
import { type Deadline, noDeadline } from '../../lib/deadline.ts';
import type { Digest } from '../../lib/digest.ts';
import { DAY_MS, HOUR_MS, retrySeconds, type Window, windowAt, windowTtl } from '../../lib/windows.ts';
import type { KvStore } from '../../store/kv-store.ts';
import { type MailGateway, MailNotSentError, MailRejectedError, maskEmail } from '../mail/mail.gateway.ts';
import { noNotices, type SecurityNotices } from '../notifications/notices.ts';
import type { SecurityEvents } from '../security-events/events.service.ts';
import type { UserRecord } from '../users/users.repository.ts';
import { type EmailRepository, EmailTakenError } from './email.repository.ts';

/** What a stored token says: whose it is, the address it was sent to, when it stops (our clock). */
interface TokenRecord {
  userId: number;
  email: string;
  expiresAt: number;
}

// One hash tag for every key of a send: store.spend touches the budgets and the claim in one
// script, which Redis Cluster allows only within one slot.
export const EMAIL_KEYS = {
  /** The token's record, under the token's SHA-256: the raw token is never stored. */
  token: (hash: string) => `{email}:token:${hash}`,
  /** The hash of the user's latest token: an older one (another address, or a resend) is void. */
  current: (userId: number) => `{email}:current:${userId}`,
  userHour: (userId: number) => `{email}:user:${userId}`,
  /**
   * Per address (as its HMAC: no address in a key name) and account, by hour and by day; and the
   * ceiling per address, all accounts together. The window's index follows.
   */
  addressHour: (addressDigest: string, userId: number) => `{email}:address:${addressDigest}:${userId}`,
  addressDay: (addressDigest: string, userId: number) => `{email}:address-day:${addressDigest}:${userId}`,
  addressCeiling: (addressDigest: string) => `{email}:address-ceiling:${addressDigest}`,
  /** One send's own claim, so that its spend can be refunded exactly (store.unspend). */
  send: (token: string) => `{email}:send:${token}`,
};

/** How long a send's claim lets its spend be refunded: longer than any send may take. */
const SEND_CLAIM_TTL_MS = 15 * 60_000;

export const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');

/** A link's lifetime in whole hours, as the email and the answer say it (at least 1). */
export const linkHours = (tokenTtlSeconds: number) => Math.max(1, Math.round(tokenTtlSeconds / 3600));

/** Who asks, and in which language the mail and the notices are written. */
export interface EmailRequester {
  client: string;
  catalog: Catalog;
  locale: Locale;
  deadline?: Deadline;
}

export function createEmailService(deps: {
  users: EmailRepository;
  store: KvStore;
  digest: Digest;
  mail: MailGateway;
  events: SecurityEvents;
  notices?: SecurityNotices;
  clock: Clock;
  log: FastifyBaseLogger;
  config: Config['email'];
}) {
  const { users, store, digest, mail, events, clock, log, config } = deps;
  const notices = deps.notices ?? noNotices;
  const ttlMs = config.tokenTtlSeconds * 1000;

  /** Best effort: a failure is logged (what it leaves behind expires on its own). */
  const tidy = (what: string, work: () => Promise<unknown>) =>
    work().catch((err: unknown) => log.warn({ err }, `email: could not ${what}`));

  return {
    /**
     * Sets the user's address, unverified, and mails it a verification link; the same address
     * again (unverified) resends the link, voiding the earlier one. Both are budgeted per user
     * and per address. An address another account has verified is refused (DATAEXIST). When the
     * mail certainly did not go out, its budget is refunded; whatever the failure, the new token
     * is dropped and the answer is MAILERR.
     */
    async setEmail(user: UserRecord, email: string, requester: EmailRequester): Promise<EmailState> {
      const { client, catalog, locale, deadline = noDeadline } = requester;
      // Already this user's verified address: nothing to send, nothing to spend.
      if (user.emailActive && user.email === email) return { email, emailActive: true };

      // Spent before the address is looked up: asking whether addresses are taken costs a send.
      // Per address, the budgets are counted per (address, account), as SMS budgets are per
      // (mobile, client), under a higher daily ceiling for the address from all accounts: one
      // account (or a few) spending an address's sends does not keep its owner from being sent
      // a link, short of the ceiling that keeps the address from being flooded.
      const now = clock();
      const hour = windowAt(now, HOUR_MS);
      const day = windowAt(now, DAY_MS);
      const budget = (key: string, limit: number, window: Window) => ({
        window,
        budget: { key: `${key}:${window.index}`, limit, ttlMs: windowTtl(window) },
      });
      const address = digest('email-address', email);
      const perUser = budget(EMAIL_KEYS.userHour(user.id), config.perUserPerHour, hour);
      const perAddress = [
        budget(EMAIL_KEYS.addressHour(address, user.id), config.perAddressPerHour, hour),
        budget(EMAIL_KEYS.addressDay(address, user.id), config.perAddressPerDay, day),
        budget(EMAIL_KEYS.addressCeiling(address), config.addressCeilingPerDay, day),
      ];
      const spending = [perUser, ...perAddress];
      const claimToken = randomBytes(12).toString('base64url');
      const claim = { key: EMAIL_KEYS.send(claimToken), token: claimToken, ttlMs: SEND_CLAIM_TTL_MS };
      /** Gives back what this request spent (`keys`: all of it, or only the address's). */
      const refund = (keys = spending.map((s) => s.budget.key)) =>
        tidy('refund an email budget', () => store.unspend(keys, claim));
      let spent: Awaited<ReturnType<KvStore['spend']>>;
      try {
        spent = await store.spend(
          now,
          spending.map((s) => s.budget),
          claim,
        );
      } catch (error) {
        // The spend may have run with its reply lost: the undo reverts it, or stops it from running late.
        void refund();
        throw error;
      }
      if (!spent.ok) {
        const message = text.account.emailLimit;
        const window = spending[spent.refused]?.window ?? hour;
        throw new AppError(Code.THROTTLED, { message, fields: { email: message }, retryAfter: retrySeconds(window.remainingMs) });
      }

      try {
        if (await users.verifiedElsewhere(email, user.id)) {
          // The user's budget stays spent (probing addresses is not free); the address's is
          // given back, so that probes never keep its owner from being sent links.
          await refund(perAddress.map((s) => s.budget.key));
          throw fieldError(Code.DATAEXIST, 'email', text.account.emailTaken);
        }
        deadline.check();
        if (!(await users.setUnverified(user.id, email))) throw new AppError(Code.SESSIONERR);
      } catch (error) {
        if (!(error instanceof AppError && error.code === Code.DATAEXIST)) await refund();
        throw error;
      }

      if (user.email !== email) {
        events.record('email_changed', {
          client,
          userId: user.id,
          mobile: user.mobile,
          detail: { first: user.email === '', wasVerified: user.emailActive },
        });
        // The old verified address learns of it: the one sign an account taken over would give.
        if (user.emailActive && user.email) notices.send(user, 'email_changed', { newEmail: email, locale });
      }

      const token = randomBytes(32).toString('base64url');
      const hash = tokenHash(token);
      const record: TokenRecord = { userId: user.id, email, expiresAt: clock() + ttlMs };
      try {
        // The current hash first: from then on every older link of this user is void.
        await store.set(EMAIL_KEYS.current(user.id), hash, ttlMs);
        await store.set(EMAIL_KEYS.token(hash), JSON.stringify(record), ttlMs);
      } catch (error) {
        await refund();
        throw error;
      }

      const link = `${config.appUrl}/verify-email#token=${token}`;
      const hours = linkHours(config.tokenTtlSeconds);
      try {
        // Past the deadline the visitor was told it failed: no mail may leave now. Otherwise the
        // send commits the request, which then answers what the server did, in MAIL_TIMEOUT_MS.
        deadline.commit();
        await mail.send({
          to: email,
          subject: catalog.mail.verifySubject,
          text: catalog.mail.verifyText(user.username, link, hours),
          link,
          token,
        });
      } catch (error) {
        // Whatever happened, this link verifies nothing: should the mail arrive after all, its
        // link says it is invalid, and a resend gives a working one.
        await tidy('drop an unsent verification token', () => store.delete(EMAIL_KEYS.token(hash)));
        const rejected = error instanceof MailRejectedError;
        // Certainly not sent (refused, unreachable, our own store failing): the budget is given
        // back. A timeout is different: the mail may well have gone out, so its budget stands.
        const notSent = error instanceof MailNotSentError || error instanceof AppError;
        if (notSent) await refund();
        if (error instanceof AppError) throw error; // the store itself failed (the outbox)
        const reason = rejected ? 'rejected' : notSent ? 'unreachable' : 'unconfirmed';
        events.record('mail_failed', {
          client,
          userId: user.id,
          detail: { purpose: 'verify', transport: mail.name, reason, ...(rejected ? { responseCode: error.responseCode } : {}) },
        });
        log.warn({ to: maskEmail(email), transport: mail.name, reason, err: error }, 'verification email not sent');
        throw new AppError(Code.MAILERR, { message: text.account.mailFailed, cause: error });
      }
      return { email, emailActive: false };
    },

    /**
     * Verifies the address a token was sent to: once, before it expires, while it is the user's
     * latest token and the user's address is still that one. Every other token answers the same
     * PARAMERR (field token). An address another account verified first is DATAEXIST.
     */
    async verify(token: string, requester: Pick<EmailRequester, 'client' | 'deadline'>): Promise<EmailState> {
      const { client, deadline = noDeadline } = requester;
      const invalid = () => fieldError(Code.PARAMERR, 'token', text.account.tokenInvalid);
      const key = EMAIL_KEYS.token(tokenHash(token));
      // Taken in one step (GETDEL): of two racing requests with one link, one gets it.
      const raw = await store.take(key);
      if (!raw) throw invalid();
      let record: TokenRecord;
      try {
        record = JSON.parse(raw) as TokenRecord;
      } catch {
        throw invalid();
      }
      const left = record.expiresAt - clock();
      if (left <= 0) throw invalid();

      let verified: boolean;
      try {
        if ((await store.get(EMAIL_KEYS.current(record.userId))) !== tokenHash(token)) throw invalid();
        // The link is used up and the write verifies the address: the request commits, and answers
        // what the database did (bounded by its query timeout) rather than a deadline's "try
        // again" that the used-up link could never honour. Past the deadline already, nothing is
        // written and the link is put back (below).
        deadline.commit();
        verified = await users.verify(record.userId, record.email);
      } catch (error) {
        if (error instanceof EmailTakenError) throw new AppError(Code.DATAEXIST, { message: text.account.emailTaken });
        if (error instanceof AppError && error.code === Code.PARAMERR) throw error; // replaced by a newer link
        // Nothing was verified (the store or the database failing, or the deadline past): the
        // link works again (its expiry unchanged), for a retry.
        await tidy('restore a verification token', () => store.set(key, raw, left));
        throw error;
      }
      if (!verified) throw invalid(); // the address changed since this link was sent
      events.record('email_verified', { client, userId: record.userId });
      return { email: record.email, emailActive: true };
    },
  };
}
export type EmailService = ReturnType<typeof createEmailService>;
