import { Code, type RegisterForm, USER_MESSAGES, type UserView } from '@register/contracts';
import { AppError } from '../../errors.ts';
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
  sms: Pick<SmsService, 'verifyCode'>;
  passwords: PasswordHasher;
}) {
  const { users, sms, passwords } = deps;
  return {
    countUsername: (username: string) => users.countByUsername(username),
    countMobile: (mobile: string) => users.countByMobile(mobile),
    isMobileRegistered: async (mobile: string) => (await users.countByMobile(mobile)) > 0,

    /** The form has passed the shared field rules (validateRequest) already. */
    async register(form: RegisterForm): Promise<UserView> {
      const common = commonPasswordProblem(form.password);
      if (common) throw new AppError(Code.PARAMERR, { message: common, fields: { password: common } });
      const [usernameCount, mobileCount] = await Promise.all([
        users.countByUsername(form.username),
        users.countByMobile(form.mobile),
      ]);
      if (usernameCount || mobileCount) throw taken({ username: usernameCount > 0, mobile: mobileCount > 0 });

      // Checked only once everything else is known to be fine, because checking spends the code.
      await sms.verifyCode(form.mobile, form.sms_code);
      const passwordHash = await passwords.hash(form.password);
      try {
        return toUserView(await users.create({ username: form.username, mobile: form.mobile, passwordHash }));
      } catch (error) {
        // Two registrations raced past the availability check: the unique index let one through.
        if (error instanceof DuplicateUserError) throw taken({ [error.field]: true });
        throw error;
      }
    },
  };
}
export type UsersService = ReturnType<typeof createUsersService>;
