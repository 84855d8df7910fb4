// `pnpm cli sessions end <username>`: logs an account out everywhere (support staff, a lost phone).
import { AdminError, type AdminService } from './admin.service.ts';
import type { CommandIo } from './createsuperuser.command.ts';

/** With the in-process store, sessions and budgets live in the API process, out of this one's reach. */
export const IN_PROCESS_STORE =
  'No Redis is configured: sessions and budgets live in the API process itself, out of reach of this command (they end when the API restarts).';

export async function endSessionsCommand(
  username: string,
  deps: Pick<CommandIo, 'print'> & { admin: AdminService; sessionsReachable: boolean },
): Promise<void> {
  if (!deps.sessionsReachable) throw new AdminError(IN_PROCESS_STORE);
  const { user, ended } = await deps.admin.endSessions(username);
  deps.print(`Ended ${ended} session(s) of "${user.username}".`);
}
