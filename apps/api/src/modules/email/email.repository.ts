// The queries on tb_user's email and email_active. Two accounts never hold the same verified
// address: the partial unique index tb_user_email_verified_key (WHERE email_active) says so in
// the database, whatever races past the checks here.
import { type Database, dbCall, uniqueViolation } from '../../db/database.ts';

/** Another account verified this address first (the partial unique index refused). */
export class EmailTakenError extends Error {
  override name = 'EmailTakenError';
}

export function createEmailRepository(db: Pick<Database, 'prisma'>) {
  const { prisma } = db;
  return {
    /** Whether an account other than `userId` has verified this address. */
    verifiedElsewhere: (email: string, userId: number) =>
      dbCall(async () => (await prisma.user.count({ where: { email, emailActive: true, NOT: { id: userId } } })) > 0),

    /** A new (or the same) address, unverified; false when the user is gone. */
    setUnverified: (userId: number, email: string) =>
      dbCall(async () => {
        const { count } = await prisma.user.updateMany({ where: { id: userId }, data: { email, emailActive: false } });
        return count === 1;
      }),

    /**
     * Verifies the address, compare-and-set: only while it is still the user's address (a link to
     * an address changed since verifies nothing). False when it no longer is; EmailTakenError
     * when another account verified it first.
     */
    async verify(userId: number, email: string): Promise<boolean> {
      try {
        return await dbCall(
          async () => {
            const { count } = await prisma.user.updateMany({ where: { id: userId, email }, data: { emailActive: true } });
            return count === 1;
          },
          (error) => uniqueViolation(error) !== null,
        );
      } catch (error) {
        if (uniqueViolation(error)) throw new EmailTakenError('email already verified by another account', { cause: error });
        throw error;
      }
    },
  };
}
export type EmailRepository = ReturnType<typeof createEmailRepository>;
