// `pnpm cli users`: the accounts, newest first, with filters (staff, superuser, active or not,
// joined since).
import { parseSince, UsageError } from '../security-events/events.command.ts';
import type { AccountFilter } from './admin.repository.ts';
import type { AdminService } from './admin.service.ts';
import type { CommandIo } from './createsuperuser.command.ts';

export interface UsersOptions {
  staff?: boolean;
  superuser?: boolean;
  active?: boolean;
  inactive?: boolean;
  since?: string;
  limit?: string;
}

const cell = (value: unknown, width: number) => String(value ?? '-').padEnd(width);
const yes = (flag: boolean) => (flag ? 'yes' : 'no');

export async function usersCommand(
  options: UsersOptions,
  deps: Pick<CommandIo, 'print'> & { admin: AdminService; now: number },
): Promise<void> {
  if (options.active && options.inactive) throw new UsageError('--active and --inactive exclude each other');
  const limit = Number(options.limit ?? 100);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new UsageError('--limit: a whole number from 1 to 10000');
  const filter: AccountFilter = {
    ...(options.staff ? { staff: true } : {}),
    ...(options.superuser ? { superuser: true } : {}),
    ...(options.active ? { active: true } : options.inactive ? { active: false } : {}),
    ...(options.since ? { joinedSince: parseSince(options.since, deps.now) } : {}),
  };
  const users = await deps.admin.list(filter, limit);
  deps.print(`${users.length} user(s), newest first (at most ${limit}):`);
  deps.print(
    `${cell('id', 8)}${cell('username', 22)}${cell('mobile', 13)}${cell('email', 28)}` +
      `${cell('staff', 7)}${cell('super', 7)}${cell('active', 8)}${cell('joined', 22)}last login`,
  );
  for (const user of users) {
    deps.print(
      cell(user.id, 8) +
        cell(user.username, 22) +
        cell(user.mobile, 13) +
        cell(user.email || '-', 28) +
        cell(yes(user.isStaff), 7) +
        cell(yes(user.isSuperuser), 7) +
        cell(yes(user.isActive), 8) +
        cell(user.dateJoined.toISOString().slice(0, 19).replace('T', ' '), 22) +
        (user.lastLogin?.toISOString().slice(0, 19).replace('T', ' ') ?? '-'),
    );
  }
}
