// The operators' queries on tb_user (pnpm cli): the account's whole row as an operator sees it,
// listing with filters, superusers, passwords and activity. Database failures become DBERR
// (dbCall); a unique violation names the field it concerns, as registration's insert does.
import { type Database, dbCall } from '../../db/database.ts';
import { createUsersRepository, usernameKey } from '../users/users.repository.ts';

export interface AccountRecord {
  id: number;
  username: string;
  mobile: string;
  email: string;
  isStaff: boolean;
  isSuperuser: boolean;
  isActive: boolean;
  dateJoined: Date;
  lastLogin: Date | null;
}

export interface AccountFilter {
  staff?: boolean;
  superuser?: boolean;
  active?: boolean;
  joinedSince?: Date;
}

const SELECT = {
  id: true,
  username: true,
  mobile: true,
  email: true,
  isStaff: true,
  isSuperuser: true,
  isActive: true,
  dateJoined: true,
  lastLogin: true,
} as const;

export function createAdminRepository(db: Pick<Database, 'prisma' | 'read'>) {
  const { prisma } = db;
  const users = createUsersRepository(db);
  return {
    findByUsername: (username: string) =>
      dbCall(() => prisma.user.findUnique({ where: { usernameKey: usernameKey(username) }, select: SELECT })),
    findByMobile: (mobile: string) => dbCall(() => prisma.user.findUnique({ where: { mobile }, select: SELECT })),

    /** Newest first. */
    list: (filter: AccountFilter, limit: number) =>
      dbCall(() =>
        prisma.user.findMany({
          where: {
            ...(filter.staff === undefined ? {} : { isStaff: filter.staff }),
            ...(filter.superuser === undefined ? {} : { isSuperuser: filter.superuser }),
            ...(filter.active === undefined ? {} : { isActive: filter.active }),
            ...(filter.joinedSince ? { dateJoined: { gte: filter.joinedSince } } : {}),
          },
          orderBy: { id: 'desc' },
          take: limit,
          select: SELECT,
        }),
      ),

    /** Registration's insert (the same unique-violation answer), as staff and superuser. */
    createSuperuser: (user: { username: string; mobile: string; email: string; passwordHash: string }) =>
      users.create({ ...user, isStaff: true, isSuperuser: true }),

    setPassword: (id: number, passwordHash: string) =>
      dbCall(() => prisma.user.update({ where: { id }, data: { password: passwordHash }, select: SELECT })),
    setActive: (id: number, isActive: boolean) =>
      dbCall(() => prisma.user.update({ where: { id }, data: { isActive }, select: SELECT })),
  };
}
export type AdminRepository = ReturnType<typeof createAdminRepository>;
