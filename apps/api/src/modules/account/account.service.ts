// The account page's changes, for the logged-in user (modules/auth/require-user.ts resolves it):
// the password, the mobile, and the sessions. A password typed here is a password guess like a
// login's: it spends the same login budgets (modules/auth/login-throttle.ts), so a stolen
// session is no way around them, and a right one is refunded as a login's is.
import {
  type ChangeMobileBody,
  type ChangePasswordBody,
  Code,
  en,
  type Locale,
  type SessionView,
  type SmsPurpose,
  text,
  type UserView,
} from '@register/contracts';
import { passwordStrength, strengthProblem } from '@register/contracts/password-strength';
import type { FastifyBaseLogger } from 'fastify';
import { AppError, fieldError } from '../../errors.ts';
import type { Clock } from '../../lib/clock.ts';
import { type Deadline, noDeadline, within } from '../../lib/deadline.ts';
import { type Digest, sameAsAny } from '../../lib/digest.ts';
import { accountOf, identifiersOf } from '../auth/auth.service.ts';
import { type LoginThrottle, LoginThrottledError } from '../auth/login-throttle.ts';
import { UNKNOWN_BROWSER } from '../auth/session-meta.ts';
import type { SessionLogin, StoredSession, UserSessions } from '../auth/user-sessions.ts';
import { noNotices, type SecurityNotices } from '../notifications/notices.ts';
import type { SecurityEvents } from '../security-events/events.service.ts';
import type { CheckedCode, Requester } from '../sms/sms.service.ts';
import type { PasswordHasher } from '../users/passwords.ts';
import { DuplicateUserError, type UserRecord, type UsersRepository } from '../users/users.repository.ts';
import { toUserView } from '../users/users.service.ts';

/** What the mobile change needs of the SMS service: codes bound to a purpose (modules/sms). */
export interface PurposedCodes {
  checkCode(mobile: string, code: string, requester: Requester, purpose: SmsPurpose): Promise<CheckedCode>;
  useCode(checked: CheckedCode): Promise<boolean>;
}

/** Who asks: the client (budgets, the log) and their session id (an SMS code is bound to it). */
export interface AccountRequester extends Requester {
  deadline?: Deadline;
  /** The request's language: the security notice is written in it. */
  locale?: Locale;
}

/** A new session for the browser that made the change: logged in after the epoch, with the current credential. */
export interface Relogin {
  session: Required<Pick<SessionLogin, 'loginAt' | 'credential'>>;
}

export function createAccountService(deps: {
  users: UsersRepository;
  passwords: PasswordHasher;
  throttle: LoginThrottle;
  sms: PurposedCodes;
  sessions: UserSessions;
  /** The sessions' credential fingerprints (auth.service.ts). */
  credentials: {
    credentialOf(userId: number, passwordHash: string): string;
    credentialMatches(user: Pick<UserRecord, 'id' | 'password'>, credential: string | undefined): boolean;
  };
  events: SecurityEvents;
  notices?: SecurityNotices;
  digest: Digest;
  clock: Clock;
  log: FastifyBaseLogger;
  /** The longest one store step may take once a change has committed (REDIS_COMMAND_TIMEOUT_MS). */
  storeStepMs: number;
}) {
  const { users, passwords, throttle, sms, sessions, credentials, events, digest, clock, log, storeStepMs } = deps;
  const notices = deps.notices ?? noNotices;

  /**
   * The session's id in the list: an HMAC, so neither the list nor a log of DELETE requests
   * holds anything that could be replayed as a cookie, and it names a session of this user only.
   */
  const refOf = (userId: number, sessionId: string) => digest('session-ref', String(userId), sessionId);
  const isRefOf = (ref: string, userId: number, sessionId: string) =>
    sameAsAny(ref, digest.all('session-ref', String(userId), sessionId));

  /**
   * The current password, checked as a login checks it: counted before the check (in the pair
   * budget of the account's username and this client, and in the account's and the client's
   * delays), refunded when right. Wrong: 401 PWDERR on `field`.
   */
  async function confirmPassword(user: UserRecord, password: string, client: string, field: string, flow: string) {
    const [identifier] = identifiersOf(user) as [string];
    const subject = { client, userId: user.id, mobile: user.mobile };
    let attempt: Awaited<ReturnType<LoginThrottle['begin']>>;
    try {
      attempt = await throttle.begin({ identifier, client, account: accountOf(user) });
    } catch (error) {
      if (error instanceof LoginThrottledError)
        events.record('login_throttled', { ...subject, detail: { budget: error.budget, flow } });
      throw error;
    }
    const check = await passwords.verify(user.password, password);
    if (!check.ok) {
      events.record('login_failed', { ...subject, detail: { reason: 'password', flow } });
      throw fieldError(Code.PWDERR, field, text.account.oldPasswordWrong);
    }
    await attempt
      .succeeded(identifiersOf(user))
      .catch((err: unknown) => log.error({ err }, 'could not refund a right password attempt'));
  }

  /** The epoch ended them all; only deleting some of them failed (they are refused at their next request). */
  const cleanupFailed = (userId: number) => (err: unknown) =>
    log.warn({ err, userId }, 'sessions ended by the epoch, but some could not be deleted yet: they expire on their own');

  function viewOf(id: string, session: StoredSession, userId: number, currentId: string): SessionView {
    const createdAt = session.createdAt ?? session.loginAt ?? clock();
    return {
      id: refOf(userId, id),
      createdAt: new Date(createdAt).toISOString(),
      lastSeenAt: new Date(Math.max(session.lastSeenAt ?? createdAt, createdAt)).toISOString(),
      device: session.device ?? UNKNOWN_BROWSER,
      client: session.client ?? 'unknown',
      current: id === currentId,
    };
  }

  /** The user's sessions that still stand: by time, epoch and credential (what currentUser checks). */
  async function standing(user: UserRecord) {
    const listed = await sessions.list(user.id);
    return listed.filter(({ session }) => credentials.credentialMatches(user, session.credential));
  }

  return {
    /**
     * A new password over the one the session's user typed. The hash is written only over the
     * hash that was checked: a password changed meanwhile (a reset, another tab) wins, and this
     * session, whose credential it voided, is told to log in again. Then every session of the
     * user ends, on every instance (the epoch and the new credential refuse them wherever they
     * are), but the caller's: the route gives it a new id that logged in after the epoch.
     */
    async changePassword(
      user: UserRecord,
      form: ChangePasswordBody,
      requester: AccountRequester,
    ): Promise<Relogin & { user: UserView }> {
      const { client, sessionId, deadline = noDeadline, locale } = requester;
      await confirmPassword(user, form.old_password, client, 'old_password', 'change_password');
      const weak = strengthProblem(passwordStrength(form.password, { username: user.username, mobile: user.mobile }, en));
      if (weak) throw fieldError(Code.PARAMERR, 'password', weak);
      const hash = await passwords.hash(form.password);
      // The new hash is the irrevocable step: from here the request runs to its true answer.
      deadline.commit();
      if (!(await users.setPassword(user.id, hash, user.password))) throw new AppError(Code.SESSIONERR);
      let ended: number | null = null;
      try {
        ended = await sessions.endAll(user.id, { except: sessionId, onCleanupFailure: cleanupFailed(user.id) });
      } catch (err) {
        // The new credential still refuses every session that logged in with the old password.
        log.error({ err, userId: user.id }, 'password changed, but its sessions could not all be ended');
      }
      events.record('password_changed', { client, userId: user.id, mobile: user.mobile, detail: { sessionsEnded: ended } });
      notices.send(user, 'password_changed', locale ? { locale } : {});
      return {
        user: toUserView({ ...user, password: hash }),
        session: { loginAt: clock(), credential: credentials.credentialOf(user.id, hash) },
      };
    },

    /**
     * A new mobile, proven by a code of purpose change_mobile sent to it from this session, with
     * the current password. The code is used up only once the row has changed: a wrong password
     * or a taken number costs an attempt at most, not the code.
     */
    async changeMobile(user: UserRecord, form: ChangeMobileBody, requester: AccountRequester): Promise<UserView> {
      const { client, sessionId, deadline = noDeadline, locale } = requester;
      const checked = await sms.checkCode(form.mobile, form.sms_code, { client, sessionId }, 'change_mobile');
      await confirmPassword(user, form.password, client, 'password', 'change_mobile');
      const taken = () => fieldError(Code.DATAEXIST, 'mobile', text.user.mobileTaken);
      if (form.mobile === user.mobile) {
        // A live change_mobile code for the number the account already has: no code is ever sent
        // to a registered number (sms.service.ts), so this change committed after the code was
        // sent, and its answer was lost (the database's reply, or the connection): the retry
        // answers what happened instead of "taken", as registration's repeat does. What the lost
        // request did not get to do (use the code, record, notify) is done now. (The account
        // before the change is gone: an SMS notice, when on, goes to the number it has now.)
        if (!(await within(storeStepMs, sms.useCode(checked)))) throw fieldError(Code.PARAMERR, 'sms_code', text.sms.expired);
        events.record('mobile_changed', { client, userId: user.id, mobile: user.mobile, detail: { repeated: true } });
        notices.send(user, 'mobile_changed', { mobile: user.mobile, ...(locale ? { locale } : {}) });
        return toUserView(user);
      }
      deadline.commit();
      let updated: UserRecord;
      try {
        updated = await users.setMobile(user.id, form.mobile);
      } catch (error) {
        // The unique index decides between two accounts racing for a number.
        if (error instanceof DuplicateUserError) throw taken();
        throw error;
      }
      await within(storeStepMs, sms.useCode(checked)).catch((err: unknown) =>
        log.warn({ err }, 'could not delete a used SMS code'),
      );
      events.record('mobile_changed', { client, userId: user.id, mobile: updated.mobile });
      notices.send(user, 'mobile_changed', { mobile: updated.mobile, ...(locale ? { locale } : {}) });
      return toUserView(updated);
    },

    /** The live sessions of the user, this one first, then the most recently seen. */
    async listSessions(user: UserRecord, currentId: string): Promise<SessionView[]> {
      const views = (await standing(user)).map(({ id, session }) => viewOf(id, session, user.id, currentId));
      return views.sort((a, b) => Number(b.current) - Number(a.current) || b.lastSeenAt.localeCompare(a.lastSeenAt));
    },

    /**
     * Ends the session the list named `ref`: 'current' when it is the caller's own (the route
     * logs this browser out), 'other' once it is deleted. 404 NODATA for anything else: an
     * unknown, ended or forged ref, or another user's session (never found in this user's index).
     */
    async endSession(user: UserRecord, ref: string, requester: AccountRequester): Promise<'current' | 'other'> {
      const { client, sessionId, deadline = noDeadline } = requester;
      const match = (await sessions.list(user.id)).find(({ id }) => isRefOf(ref, user.id, id));
      if (!match) throw new AppError(Code.NODATA, { message: text.account.noSuchSession });
      const current = match.id === sessionId;
      if (!current) {
        // Taking the session ends it for good: the request commits, and answers what happened
        // (within one store command) instead of a deadline's "try again" that finds it gone.
        deadline.commit();
        await sessions.end(user.id, match.id);
      }
      events.record('sessions_ended', { client, userId: user.id, detail: { which: 'one', current } });
      return current ? 'current' : 'other';
    },

    /**
     * Ends every session of the user but the caller's: by the epoch, so a session the index
     * misses or one on another instance ends too; the route then gives the caller's browser a
     * new session that logged in after it. `ended`: the live ones the index knew.
     */
    async endOtherSessions(user: UserRecord, requester: AccountRequester): Promise<Relogin & { ended: number }> {
      const { client, sessionId, deadline = noDeadline } = requester;
      // The epoch is the irrevocable step: from here the request answers what it did.
      deadline.commit();
      const ended = await sessions.endAll(user.id, { except: sessionId, onCleanupFailure: cleanupFailed(user.id) });
      events.record('sessions_ended', { client, userId: user.id, detail: { which: 'others', count: ended } });
      return { ended, session: { loginAt: clock(), credential: credentials.credentialOf(user.id, user.password) } };
    },
  };
}
export type AccountService = ReturnType<typeof createAccountService>;
