// Password reset by SMS code (POST /password/reset/): a code of purpose reset, sent to the
// account's mobile (modules/sms), sets a new password, ends every session of the account and
// logs nobody in.
//
// Every way of not holding a right code for an active account (a wrong, expired or used code, a
// code of another purpose, an unknown number, an inactive account, a lost race) answers the same
// errno and sentence, so this route tells nothing of which numbers have accounts.
//
// Unlike registration, nothing in the database refuses a second use of one code (the new hash
// is just written again), so the code is used up first, atomically, and put back should the new
// hash not be written: of two parallel resets with one code exactly one goes on, and a database
// failing at the write leaves the code for the retry.
import { Code, en, type Locale, type PasswordResetBody, text } from '@register/contracts';
import { passwordStrength, strengthProblem } from '@register/contracts/password-strength';
import type { FastifyBaseLogger } from 'fastify';
import { AppError, fieldError } from '../../errors.ts';
import type { Clock } from '../../lib/clock.ts';
import { type Deadline, noDeadline, within } from '../../lib/deadline.ts';
import type { KvStore } from '../../store/kv-store.ts';
import { createUserSessions, sessionsValidAfterKey } from '../auth/user-sessions.ts';
import { noNotices, type SecurityNotices } from '../notifications/notices.ts';
import type { SecurityEvents } from '../security-events/events.service.ts';
import type { Requester, SmsService, TakenCode } from '../sms/sms.service.ts';
import type { PasswordHasher } from '../users/passwords.ts';
import type { UsersRepository } from '../users/users.repository.ts';

/**
 * Ending the sessions failed after the new hash committed (the store failing just then): it is
 * tried again in the background, soon at first, then every 5 s, for as long as a stalled store
 * may hold a command (as the SMS undo does, sms.service.ts).
 */
const END_RETRIES_MS = [250, 1000, 4000];
const END_RETRY_EVERY_MS = 5000;
const END_HORIZON_MS = 15 * 60_000;

export interface ResetOutcome {
  /** False when ending the sessions is still being retried (see reset). */
  sessionsEnded: boolean;
}

export function createPasswordResetService(deps: {
  users: Pick<UsersRepository, 'findByMobile' | 'setPassword'>;
  sms: Pick<SmsService, 'checkCode' | 'useCode' | 'takeCode'>;
  passwords: Pick<PasswordHasher, 'hash'>;
  /** Where the sessions live (modules/auth/user-sessions.ts), and how long one may. */
  store: KvStore;
  sessionTtlMs: number;
  events: SecurityEvents;
  notices?: SecurityNotices;
  clock: Clock;
  log: FastifyBaseLogger;
  /** The longest one store step may take once the new hash is written (REDIS_COMMAND_TIMEOUT_MS). */
  storeStepMs: number;
}) {
  const { users, sms, passwords, store, sessionTtlMs, events, clock, log, storeStepMs } = deps;
  const notices = deps.notices ?? noNotices;
  /** Every session of the user ends as of `at`, the moment the new hash committed. */
  const endAllAsOf = (userId: number, at: number) =>
    createUserSessions(store, { clock: () => at, ttlMs: sessionTtlMs }).endAll(userId);

  /**
   * The retry writes only the epoch, as of the reset (what refuses every older session wherever
   * it is: user-sessions.ts), not endAll, which also deletes every session in the user's index,
   * a login with the new password since the reset included. The older sessions left in the index
   * are refused at their next request and expire on their own.
   */
  function endSessionsLater(userId: number, at: number, attempt = 0, since = Date.now()): void {
    const wait = END_RETRIES_MS[attempt] ?? END_RETRY_EVERY_MS;
    setTimeout(async () => {
      try {
        // A later epoch (another reset, a password change, `sessions end`) already ended more:
        // writing this one over it would bring sessions back.
        const key = sessionsValidAfterKey(userId);
        const epoch = await within(storeStepMs, store.get(key));
        if (epoch === null || Number(epoch) < at) await within(storeStepMs, store.set(key, String(at), sessionTtlMs));
        log.info({ userId, attempts: attempt + 1 }, 'the sessions of a reset account were ended after the store came back');
      } catch (err) {
        // Real time, not the app's clock: this waits for a network.
        if (Date.now() - since >= END_HORIZON_MS) {
          log.error({ err, userId }, 'could not end the sessions of a reset account: sessions without a fingerprint may stand');
          return;
        }
        endSessionsLater(userId, at, attempt + 1, since);
      }
    }, wait).unref();
  }

  return {
    /**
     * The code first (a wrong one spends an attempt, and every kind of wrong answers the same),
     * then the account and the password's strength with its username and mobile (a weak password
     * keeps the code, as registration does), then the code is used up and the new hash written
     * over the one just read. `deadline`: the write commits the request (lib/deadline.ts).
     */
    async reset(
      form: PasswordResetBody,
      requester: Requester & { locale?: Locale },
      deadline: Deadline = noDeadline,
    ): Promise<ResetOutcome> {
      const { mobile } = form;
      const { client } = requester;
      const invalid = (reason: string, userId?: number) => {
        events.record('reset_failed', { client, mobile, ...(userId === undefined ? {} : { userId }), detail: { reason } });
        return fieldError(Code.PARAMERR, 'sms_code', text.reset.codeInvalid);
      };

      let checked: Awaited<ReturnType<typeof sms.checkCode>>;
      try {
        checked = await sms.checkCode(mobile, form.sms_code, requester, 'reset');
      } catch (error) {
        // Wrong, expired, exhausted, or of another purpose (then it is not there at all): one answer.
        if (error instanceof AppError && error.code === Code.PARAMERR) throw invalid('code');
        throw error;
      }
      const user = await users.findByMobile(mobile);
      if (!user?.isActive) {
        // A right code for a number without an active account was guessed (none was texted):
        // it is used up all the same.
        await sms.useCode(checked);
        throw invalid(user ? 'inactive' : 'unknown', user?.id);
      }
      const weak = strengthProblem(passwordStrength(form.password, { username: user.username, mobile: user.mobile }, en));
      if (weak) throw fieldError(Code.PARAMERR, 'password', weak);

      // Used up before anything is written: of any number of racing resets with this code,
      // exactly one gets past this line.
      const taken = await sms.takeCode(checked);
      if (!taken) throw invalid('used', user.id);
      let changed: boolean;
      try {
        const hash = await passwords.hash(form.password);
        // Past the deadline the visitor was told it failed: nothing is written, the code is back.
        deadline.commit();
        changed = await users.setPassword(user.id, hash, user.password);
      } catch (error) {
        // The database refused or failed at the write (or its answer was lost: then the retry
        // with the same code writes the same password again, and ends the sessions).
        await restore(taken);
        throw error;
      }
      if (!changed) {
        // The password changed since it was read (a change or another reset): nothing was written.
        await restore(taken);
        throw new AppError(Code.SERVERERR, { status: 503, message: text.service.busy });
      }

      const changedAt = clock();
      events.record('password_reset', { client, userId: user.id, mobile: user.mobile });
      // The new password is in: the answer is a success whatever happens next, and it must say
      // truly what did. Ending the sessions failing (the store failing just now) cannot bring
      // back a session that logged in with the old password: each holds a fingerprint of the
      // hash it logged in with, which no longer matches (auth.service.ts currentAccount), and
      // while the store is down no session can be read at all. But a session saved without a
      // fingerprint (one started before sessions recorded it) is refused only by the epoch
      // endAll sets: so the ending is retried in the background as of now, and the answer says
      // it is still under way rather than claim every session has ended.
      let sessionsEnded = true;
      try {
        await within(storeStepMs, endAllAsOf(user.id, changedAt));
      } catch (err) {
        sessionsEnded = false;
        log.error({ err, userId: user.id }, 'password reset, but its sessions could not be ended yet: retrying');
        endSessionsLater(user.id, changedAt);
      }
      // In the language of the request (the only one known: the account records none).
      notices.send(user, 'password_reset', requester.locale ? { locale: requester.locale } : {});
      return { sessionsEnded };
    },
  };

  /** Puts a used-up code back, bounded by one store step; a failure only costs the visitor a new code. */
  async function restore(taken: TakenCode): Promise<void> {
    try {
      await within(storeStepMs, taken.restore());
    } catch (err) {
      log.error({ err }, 'could not restore a reset code after its reset failed: the visitor needs a new code');
    }
  }
}
export type PasswordResetService = ReturnType<typeof createPasswordResetService>;
