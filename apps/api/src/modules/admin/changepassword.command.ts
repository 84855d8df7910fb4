// `pnpm cli changepassword <username>`: a new password, typed twice, held to registration's
// rules (as Django's changepassword, three tries, no bypass). Every session of the account ends.
import { passwordProblems } from './account-checks.ts';
import { AdminError, type AdminService } from './admin.service.ts';
import type { CommandIo } from './createsuperuser.command.ts';
import type { Prompter } from './prompter.ts';

const TRIES = 3;

export async function changePasswordCommand(
  username: string,
  deps: CommandIo & { admin: AdminService; prompter: () => Prompter; sessionsReachable: boolean },
): Promise<void> {
  const user = await deps.admin.account(username);
  const prompter = deps.prompter();
  let password: string | undefined;
  try {
    deps.print(`Changing password for user "${user.username}"`);
    for (let tries = 0; tries < TRIES && password === undefined; tries++) {
      const first = await prompter.secret('Password');
      const again = await prompter.secret('Password (again)');
      const problems = first === again ? passwordProblems(first, user) : ['The two passwords do not match.'];
      if (problems.length === 0) password = first;
      else for (const problem of problems) deps.warn(problem);
    }
  } finally {
    prompter.close();
  }
  if (password === undefined) throw new AdminError(`Password unchanged for "${user.username}" after ${TRIES} tries.`);
  const { sessionsEnded } = await deps.admin.changePassword(user, password);
  deps.print(`Password changed for "${user.username}"; ${sessionsLine(sessionsEnded, deps.sessionsReachable)}`);
}

/** "2 session(s) ended.", or why none could be (the in-process store lives in the API process). */
export function sessionsLine(ended: number, reachable: boolean): string {
  return reachable
    ? `${ended} session(s) ended.`
    : 'its sessions are in the API process (no Redis configured): they end when the API restarts.';
}
