// Every query on the passkey table. A database failure becomes a fast 503 DBERR (dbCall); the
// unique credential id says "already registered" whatever races past the checks.
import { type Database, dbCall, uniqueViolation } from '../../db/database.ts';

export interface PasskeyRecord {
  id: number;
  userId: number;
  credentialId: string;
  publicKey: Uint8Array<ArrayBuffer>;
  /** The authenticator's last signature count (0: it does not count). */
  counter: number;
  transports: string[];
  backedUp: boolean;
  deviceType: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export type NewPasskey = Omit<PasskeyRecord, 'id' | 'createdAt' | 'lastUsedAt'>;

/** The credential id is stored already (this account's or another's). */
export class DuplicatePasskeyError extends Error {
  override name = 'DuplicatePasskeyError';
}
/** The account has PASSKEYS_PER_USER_MAX passkeys already, or (`userGone`) no longer exists. */
export class PasskeyLimitError extends Error {
  override name = 'PasskeyLimitError';
  readonly userGone: boolean;
  constructor(message: string, userGone = false) {
    super(message);
    this.userGone = userGone;
  }
}

type Row = Omit<PasskeyRecord, 'counter' | 'publicKey'> & { counter: bigint; publicKey: Uint8Array };
const toRecord = (row: Row): PasskeyRecord => ({
  ...row,
  // A signature count is a 32-bit unsigned integer: exact as a number.
  counter: Number(row.counter),
  publicKey: new Uint8Array(row.publicKey),
});

export function createPasskeysRepository(db: Pick<Database, 'prisma'>) {
  const { prisma } = db;
  const ORDER = [{ createdAt: 'asc' as const }, { id: 'asc' as const }];
  return {
    /** The user's passkeys, oldest first. */
    listByUser: (userId: number) =>
      dbCall(async () => (await prisma.passkey.findMany({ where: { userId }, orderBy: ORDER })).map(toRecord)),

    findByCredentialId: (credentialId: string) =>
      dbCall(async () => {
        const row = await prisma.passkey.findUnique({ where: { credentialId } });
        return row && toRecord(row);
      }),

    /**
     * Stores a new passkey, unless the user has `max` already: counted and inserted in one
     * transaction that holds the user's row (FOR UPDATE), so two enrolments racing from two
     * sessions cannot both pass the count, and a user deleted meanwhile gets nothing.
     */
    async create(passkey: NewPasskey, max: number): Promise<PasskeyRecord> {
      try {
        return await dbCall(
          () =>
            prisma.$transaction(async (tx) => {
              const held = await tx.$queryRaw<{ id: number }[]>`SELECT id FROM tb_user WHERE id = ${passkey.userId} FOR UPDATE`;
              if (held.length === 0) throw new PasskeyLimitError('the user is gone', true);
              if ((await tx.passkey.count({ where: { userId: passkey.userId } })) >= max) {
                throw new PasskeyLimitError(`the user has ${max} passkeys`);
              }
              return toRecord(await tx.passkey.create({ data: { ...passkey, counter: BigInt(passkey.counter) } }));
            }),
          (error) => error instanceof PasskeyLimitError || uniqueViolation(error) !== null,
        );
      } catch (error) {
        if (uniqueViolation(error)) throw new DuplicatePasskeyError('credential id already stored', { cause: error });
        throw error;
      }
    },

    /**
     * Records a login with the passkey: its new signature count, backup state and time. For an
     * authenticator that counts, only over a lower stored count (compare-and-set), so of two
     * racing logins the count never goes backwards; false when it did not apply (or the passkey
     * is gone).
     */
    recordUse: (id: number, use: { counter: number; backedUp: boolean; at: Date }) =>
      dbCall(async () => {
        const { count } = await prisma.passkey.updateMany({
          where: { id, ...(use.counter > 0 ? { counter: { lt: BigInt(use.counter) } } : {}) },
          data: { counter: BigInt(use.counter), backedUp: use.backedUp, lastUsedAt: use.at },
        });
        return count === 1;
      }),

    /** Renames the user's passkey; null when the user has no such passkey. */
    rename: (userId: number, id: number, name: string) =>
      dbCall(async () => {
        const { count } = await prisma.passkey.updateMany({ where: { id, userId }, data: { name } });
        if (count !== 1) return null;
        const row = await prisma.passkey.findFirst({ where: { id, userId } });
        return row && toRecord(row);
      }),

    /** Deletes the user's passkey; false when the user has no such passkey. */
    remove: (userId: number, id: number) =>
      dbCall(async () => (await prisma.passkey.deleteMany({ where: { id, userId } })).count === 1),
  };
}
export type PasskeysRepository = ReturnType<typeof createPasskeysRepository>;
