import { Code, isReservedUsername, type RegisterForm, USER_MESSAGES, type UserView } from '@register/contracts';
import { passwordStrength } from '@register/contracts/password-strength';
import type { FastifyBaseLogger } from 'fastify';
import { AppError, fieldError } from '../../errors.ts';
import type { SecurityEvents } from '../security-events/events.service.ts';
import type { SmsService } from '../sms/sms.service.ts';
import { commonPasswordProblem, type PasswordHasher } from './passwords.ts';
import { DuplicateUserError, type UserRecord, type UsersRepository } from './users.repository.ts';

export const toUserView = (user: UserRecord): UserView => ({ id: user.id, username: user.username, mobile: user.mobile });

function taken(fields: { username?: boolean; mobile?: boolean }): AppError {
  const messages: Record<string, string> = {};
  if (fields.username) messages.username = USER_MESSAGES.usernameTaken;
  if (fields.mobile) messages.mobile = USER_MESSAGES.mobileTaken;
  return new AppError(Code.DATAEXIST, { message: Object.values(messages).join(' '), fields: messages });
}

export function createUsersService(deps: {
  users: UsersRepository;
  sms: Pick<SmsService, 'checkCode' | 'useCode'>;
  passwords: PasswordHasher;
  events: SecurityEvents;
  log: FastifyBaseLogger;
}) {
  const { users, sms, passwords, events, log } = deps;
  return {
    /** Reserved names count as taken: nobody can register them through the public API. */
    countUsername: async (username: string) => (isReservedUsername(username) ? 1 : users.countByUsername(username)),
    countMobile: (mobile: string) => users.countByMobile(mobile),

    /** The form has passed the shared field rules (validateRequest, reserved names included) already. */
    async register(form: RegisterForm, client: string): Promise<UserView> {
      const common = commonPasswordProblem(form.password);
      if (common) throw fieldError(Code.PARAMERR, 'password', common);
      const [usernameCount, mobileCount] = await Promise.all([
        users.countByUsername(form.username),
        users.countByMobile(form.mobile),
      ]);
      if (usernameCount || mobileCount) throw taken({ username: usernameCount > 0, mobile: mobileCount > 0 });

      // The code is checked (one attempt spent) before the strength estimate, which costs up to
      // ~0.1 s of CPU: only a visitor who holds a valid code can make us run it. It stays valid
      // until the user row exists, so a weak password or a lost username race costs no code.
      const checked = await sms.checkCode(form.mobile, form.sms_code, client);
      const strength = passwordStrength(form.password, { username: form.username, mobile: form.mobile });
      if (strength.problem) throw fieldError(Code.PARAMERR, 'password', strength.problem);

      const passwordHash = await passwords.hash(form.password);
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
      await sms.useCode(checked).catch((err: unknown) => log.warn({ err }, 'could not delete a used SMS code'));
      events.record('register_ok', { client, userId: user.id, mobile: user.mobile });
      return toUserView(user);
    },
  };
}
export type UsersService = ReturnType<typeof createUsersService>;
