// `pnpm cli deactivate <username>` and `pnpm cli activate <username>`. An inactive account cannot
// log in (the same LOGINERR as a wrong password) and its sessions end.
import type { AdminService } from './admin.service.ts';
import { sessionsLine } from './changepassword.command.ts';
import type { CommandIo } from './createsuperuser.command.ts';

export async function deactivateCommand(
  username: string,
  deps: Pick<CommandIo, 'print'> & { admin: AdminService; sessionsReachable: boolean },
): Promise<void> {
  const { user, changed, sessionsEnded } = await deps.admin.deactivate(username);
  const state = changed ? 'deactivated' : 'was already inactive';
  deps.print(`User "${user.username}" ${state}; ${sessionsLine(sessionsEnded, deps.sessionsReachable)}`);
}

export async function activateCommand(username: string, deps: Pick<CommandIo, 'print'> & { admin: AdminService }) {
  const { user, changed } = await deps.admin.activate(username);
  deps.print(`User "${user.username}" ${changed ? 'activated' : 'was already active'}.`);
}
