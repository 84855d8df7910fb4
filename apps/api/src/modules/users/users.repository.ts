// Every query on tb_user. A database failure becomes a fast 503 DBERR (dbCall); a unique
// violation is reported as the field it concerns.
import { type Database, dbCall, uniqueViolation } from '../../db/database.ts';

export interface UserRecord {
  id: number;
  username: string;
  mobile: string;
  password: string;
  isActive: boolean;
  email: string;
  emailActive: boolean;
}

export class DuplicateUserError extends Error {
  override name = 'DuplicateUserError';
  readonly field: 'username' | 'mobile';
  constructor(field: 'username' | 'mobile') {
    super(`${field} already exists`);
    this.field = field;
  }
}

/** Usernames are unique case-insensitively; this is the key they are compared by. */
export const usernameKey = (username: string) => username.toLowerCase();
const SELECT = {
  id: true,
  username: true,
  mobile: true,
  password: true,
  isActive: true,
  email: true,
  emailActive: true,
} as const;

/** The availability checks, in plain SQL on the pool (Database.read): each is one unique-index probe. */
const COUNT_BY_USERNAME = 'SELECT count(*)::int AS n FROM tb_user WHERE username_key = $1';
const COUNT_BY_MOBILE = 'SELECT count(*)::int AS n FROM tb_user WHERE mobile = $1';

export function createUsersRepository(db: Pick<Database, 'prisma' | 'read'>) {
  const { prisma } = db;
  const count = async (sql: string, value: string) => (await db.read<{ n: number }>(sql, [value]))[0]?.n ?? 0;
  return {
    countByUsername: (username: string) => dbCall(() => count(COUNT_BY_USERNAME, usernameKey(username))),
    countByMobile: (mobile: string) => dbCall(() => count(COUNT_BY_MOBILE, mobile)),
    findById: (id: number) => dbCall(() => prisma.user.findUnique({ where: { id }, select: SELECT })),
    findByUsername: (username: string) =>
      dbCall(() => prisma.user.findUnique({ where: { usernameKey: usernameKey(username) }, select: SELECT })),
    findByMobile: (mobile: string) => dbCall(() => prisma.user.findUnique({ where: { mobile }, select: SELECT })),
    /** Registration's insert, and the CLI's (createsuperuser: an email and the staff flags). */
    async create(user: {
      username: string;
      mobile: string;
      passwordHash: string;
      email?: string;
      isStaff?: boolean;
      isSuperuser?: boolean;
    }): Promise<UserRecord> {
      const { passwordHash, ...row } = user;
      try {
        return await dbCall(
          () =>
            prisma.user.create({
              data: { ...row, usernameKey: usernameKey(user.username), password: passwordHash },
              select: SELECT,
            }),
          (error) => uniqueViolation(error) !== null,
        );
      } catch (error) {
        const columns = uniqueViolation(error);
        if (!columns) throw error;
        throw new DuplicateUserError(columns.some((c) => c.includes('mobile')) ? 'mobile' : 'username');
      }
    },
    /**
     * A new password hash (a reset, a change). `from`: only over the hash the caller checked, so
     * of two racing changes the later one cannot silently undo the earlier; false when it had
     * changed meanwhile (or the user is gone).
     */
    setPassword: (id: number, passwordHash: string, from?: string) =>
      dbCall(async () => {
        const { count } = await prisma.user.updateMany({
          where: { id, ...(from === undefined ? {} : { password: from }) },
          data: { password: passwordHash },
        });
        return count === 1;
      }),
    /** A new mobile (already proven); a number another account holds meanwhile is a DuplicateUserError. */
    async setMobile(id: number, mobile: string): Promise<UserRecord> {
      try {
        return await dbCall(
          () => prisma.user.update({ where: { id }, data: { mobile }, select: SELECT }),
          (error) => uniqueViolation(error) !== null,
        );
      } catch (error) {
        if (uniqueViolation(error)) throw new DuplicateUserError('mobile');
        throw error;
      }
    },
    /** `rehash`: the stronger hash of the password this login checked against `from`. */
    recordLogin: (id: number, at: Date, rehash?: { from: string; to: string }) =>
      dbCall(async () => {
        await prisma.user.update({ where: { id }, data: { lastLogin: at } });
        // Only over the hash this login checked: a password changed meanwhile (pnpm cli
        // changepassword, a reset) is never overwritten with the old one.
        if (rehash) await prisma.user.updateMany({ where: { id, password: rehash.from }, data: { password: rehash.to } });
      }),
  };
}
export type UsersRepository = ReturnType<typeof createUsersRepository>;
