import { Code, en, type RegisterBody, type Text, text, type UserView, usernameProblem } from '@register/contracts';
import { passwordStrength, strengthProblem } from '@register/contracts/password-strength';
import type { FastifyBaseLogger } from 'fastify';
import { AppError, fieldError } from '../../errors.ts';
import { type Deadline, noDeadline, within } from '../../lib/deadline.ts';
import type { SecurityEvents } from '../security-events/events.service.ts';
import type { Requester, SmsService } from '../sms/sms.service.ts';
import type { PasswordHasher } from './passwords.ts';
import { DuplicateUserError, type UserRecord, type UsersRepository, usernameKey } from './users.repository.ts';

export const toUserView = (user: UserRecord): UserView => ({
  id: user.id,
  username: user.username,
  mobile: user.mobile,
  email: user.email,
  emailActive: user.emailActive,
});

function taken(fields: { username?: boolean; mobile?: boolean }): AppError {
  const messages: Record<string, Text> = {};
  if (fields.username) messages.username = text.user.usernameTaken;
  if (fields.mobile) messages.mobile = text.user.mobileTaken;
  const message: Text = (catalog) =>
    Object.values(messages)
      .map((said) => said(catalog))
      .join(catalog.sentenceGap);
  return new AppError(Code.DATAEXIST, { message, fields: messages });
}

export function createUsersService(deps: {
  users: UsersRepository;
  sms: Pick<SmsService, 'checkCode' | 'useCode'>;
  passwords: PasswordHasher;
  events: SecurityEvents;
  log: FastifyBaseLogger;
  /** The longest one store step may take once the user row exists (REDIS_COMMAND_TIMEOUT_MS). */
  storeStepMs: number;
  /** The new session's credential fingerprint (auth.service.ts sessionCredential). */
  credentialOf?: (userId: number, passwordHash: string) => string;
}) {
  const { users, sms, passwords, events, log, storeStepMs, credentialOf } = deps;
  /**
   * The user as answered, and the credential fingerprint its new session records, so that a
   * password change refuses the registration's session even where no store can say so.
   */
  const registered = (user: UserRecord): UserView & { credential?: string } => ({
    ...toUserView(user),
    ...(credentialOf ? { credential: credentialOf(user.id, user.password) } : {}),
  });
  // After the insert the deadline no longer answers for the request: using the code up is
  // bounded on its own (a retried script, EVALSHA then EVAL, would otherwise take two timeouts).
  const useCodeAfterInsert = (checked: Parameters<typeof sms.useCode>[0]) =>
    within(storeStepMs, sms.useCode(checked)).catch((err: unknown) => log.warn({ err }, 'could not delete a used SMS code'));

  /**
   * The user this very registration already created, when it is being sent again: an insert
   * can commit and its answer still be lost (the database or the path failing just then), and
   * the visitor, told 503, tries again. Same mobile (proven again by a valid code), same
   * username and a password that verifies: it is theirs, and the repeat answers success, as
   * the first attempt should have. Anyone else gets the usual 409.
   */
  async function sameRegistration(form: RegisterBody): Promise<UserRecord | null> {
    const existing = await users.findByMobile(form.mobile);
    if (!existing || usernameKey(existing.username) !== usernameKey(form.username)) return null;
    return (await passwords.verify(existing.password, form.password)).ok ? existing : null;
  }
  return {
    /** Names the registration refuses (reserved, mobile-shaped) count as taken: nobody can register them. */
    countUsername: async (username: string) => (usernameProblem(username) ? 1 : users.countByUsername(username)),
    countMobile: (mobile: string) => users.countByMobile(mobile),

    /**
     * The form has passed the shared field rules (reserved names included) already. The insert
     * is the irrevocable step: it commits the request (lib/deadline.ts) if the deadline has not
     * passed, and registration then waits for it (bounded by the query timeout) and answers the
     * truth, so a user that exists is never reported as a failure.
     */
    async register(
      form: RegisterBody,
      requester: Requester,
      deadline: Deadline = noDeadline,
    ): Promise<UserView & { credential?: string }> {
      // The code comes first (one attempt spent, the code itself kept): what follows, whether the
      // names are taken and the strength estimate (up to ~0.1 s of CPU), is only for a visitor
      // who holds a valid code for this mobile in this session, so this route is no cheaper way
      // to enumerate accounts than the rate-limited availability checks, nor a way to burn CPU.
      // The code stays valid until the user row exists: a weak password or a lost race costs
      // an attempt, not the code.
      const checked = await sms.checkCode(form.mobile, form.sms_code, requester);
      const [usernameCount, mobileCount] = await Promise.all([
        users.countByUsername(form.username),
        users.countByMobile(form.mobile),
      ]);
      if (mobileCount) {
        const repeated = await sameRegistration(form);
        if (repeated) {
          await useCodeAfterInsert(checked);
          events.record('register_ok', {
            client: requester.client,
            userId: repeated.id,
            mobile: repeated.mobile,
            detail: { repeated: true },
          });
          return registered(repeated);
        }
      }
      if (usernameCount || mobileCount) throw taken({ username: usernameCount > 0, mobile: mobileCount > 0 });
      const strength = passwordStrength(form.password, { username: form.username, mobile: form.mobile }, en);
      const weak = strengthProblem(strength);
      if (weak) throw fieldError(Code.PARAMERR, 'password', weak);

      const passwordHash = await passwords.hash(form.password);
      deadline.commit();
      let user: UserRecord;
      try {
        user = await users.create({ username: form.username, mobile: form.mobile, passwordHash });
      } catch (error) {
        // Two registrations raced past the availability check: the unique index let one through.
        if (error instanceof DuplicateUserError) throw taken({ [error.field]: true });
        throw error;
      }
      // The row is committed, so the code is done with. Using it up is tidiness, not safety: the
      // mobile's unique index already stops a second registration with it.
      await useCodeAfterInsert(checked);
      events.record('register_ok', { client: requester.client, userId: user.id, mobile: user.mobile });
      return registered(user);
    },
  };
}
export type UsersService = ReturnType<typeof createUsersService>;
