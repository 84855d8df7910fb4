// Passwords are kept only as argon2id PHC strings (OWASP parameters or stronger, from config).
import type { CommonPasswordCheck } from '@register/contracts';
import { dictionary } from '@zxcvbn-ts/language-common';
import argon2, { type HashOptions } from 'argon2';
import type { Config } from '../../config.ts';

// Django's CommonPasswordValidator compares case-insensitively against ~20k leaked passwords;
// this list has 49k. Shorter entries are already refused by the length rule.
const COMMON = new Set(dictionary['passwords-common'].filter((p) => p.length >= 8).map((p) => p.toLowerCase()));

/** The policy's common-password rule (contracts' password-policy.ts), with the server's list. */
export const isCommonPassword: CommonPasswordCheck = (password) => COMMON.has(password.toLowerCase());

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** { ok, rehash }: rehash is true when the stored hash uses weaker parameters than configured. */
  verify(hash: string, password: string): Promise<{ ok: boolean; rehash: boolean }>;
  /** Spends the same time as a real verification, for accounts that do not exist. */
  verifyNothing(password: string): Promise<void>;
}

export function createPasswordHasher(config: Config['argon2']): PasswordHasher {
  const options: HashOptions = { type: argon2.argon2id, ...config };
  let dummyHash: Promise<string> | undefined;
  return {
    hash: (password) => argon2.hash(password, options),
    async verify(hash, password) {
      const ok = await argon2.verify(hash, password).catch(() => false);
      return { ok, rehash: ok && argon2.needsRehash(hash, options) };
    },
    async verifyNothing(password) {
      dummyHash ??= argon2.hash('not-a-real-password', options);
      await argon2.verify(await dummyHash, password).catch(() => false);
    },
  };
}
