// What the operators' commands do to accounts, knowing nothing of prompts or arguments: each
// function takes checked values and throws AdminError (a one-line problem) when it cannot.
import type { UserSessions } from '../auth/user-sessions.ts';
import type { PasswordHasher } from '../users/passwords.ts';
import { DuplicateUserError } from '../users/users.repository.ts';
import { type AccountField, checkField } from './account-checks.ts';
import type { AccountFilter, AccountRecord, AdminRepository } from './admin.repository.ts';

/** A problem the operator can fix (a taken name, an unknown user): exit code 1. */
export class AdminError extends Error {
  override name = 'AdminError';
}

export const TAKEN = {
  username: 'That username is already taken.',
  mobile: 'That mobile number is already registered.',
} as const;

export function createAdminService(deps: { accounts: AdminRepository; passwords: PasswordHasher; sessions: UserSessions }) {
  const { accounts, passwords, sessions } = deps;

  async function account(username: string): Promise<AccountRecord> {
    const found = await accounts.findByUsername(username.trim());
    if (!found) throw new AdminError(`There is no user named "${username.trim()}".`);
    return found;
  }

  return {
    account,

    /** A field's normalised value, checked as registration checks it and, for names, not taken. */
    async checkNew(name: Exclude<AccountField, 'password'>, raw: string): Promise<string> {
      const checked = checkField(name, raw);
      if (!checked.ok) throw new AdminError(checked.problem);
      if (name === 'username' && (await accounts.findByUsername(checked.value))) throw new AdminError(TAKEN.username);
      if (name === 'mobile' && (await accounts.findByMobile(checked.value))) throw new AdminError(TAKEN.mobile);
      return checked.value;
    },

    /** Fields already checked by checkNew, the password by the policy (or knowingly bypassed). */
    async createSuperuser(user: { username: string; mobile: string; email: string; password: string }) {
      const passwordHash = await passwords.hash(user.password);
      try {
        return await accounts.createSuperuser({ ...user, passwordHash });
      } catch (error) {
        // Taken between the check and the insert: the unique indexes decide.
        if (error instanceof DuplicateUserError) throw new AdminError(TAKEN[error.field]);
        throw error;
      }
    },

    /** A new password, and every session of the account ended (whoever held them must log in again). */
    async changePassword(user: AccountRecord, password: string) {
      await accounts.setPassword(user.id, await passwords.hash(password));
      return { sessionsEnded: await sessions.endAll(user.id) };
    },

    /**
     * Deactivated: login refuses it as a wrong password, and its sessions end. (The API also
     * refuses the session of an inactive user at its next request, should one have escaped.)
     */
    async deactivate(username: string) {
      const user = await account(username);
      const updated = user.isActive ? await accounts.setActive(user.id, false) : user;
      return { user: updated, changed: user.isActive, sessionsEnded: await sessions.endAll(user.id) };
    },

    async activate(username: string) {
      const user = await account(username);
      const updated = user.isActive ? user : await accounts.setActive(user.id, true);
      return { user: updated, changed: !user.isActive };
    },

    async endSessions(username: string) {
      const user = await account(username);
      return { user, ended: await sessions.endAll(user.id) };
    },

    list: (filter: AccountFilter, limit: number) => accounts.list(filter, limit),
  };
}
export type AdminService = ReturnType<typeof createAdminService>;
