// The image code's alternative, for people who cannot read it: an ALTCHA v2 proof of work
// (altcha-lib). The server signs a random challenge (one HMAC: random mode derives nothing at
// issue), the browser searches for a counter whose derived key starts with the challenge's
// prefix, and the server checks the answer with one key derivation. Each challenge passes once.
import { type AltchaChallenge, Code, text as say } from '@register/contracts';
import { type ChallengeParameters, createChallenge, type DeriveKeyFunction, type Solution, verifySolution } from 'altcha-lib';
import { deriveKey as pbkdf2 } from 'altcha-lib/algorithms/pbkdf2';
import type { Config } from '../../config.ts';
import { fieldError } from '../../errors.ts';
import type { Clock } from '../../lib/clock.ts';
import type { KvStore } from '../../store/kv-store.ts';
import type { SecurityEvents } from '../security-events/events.service.ts';

export interface AltchaService {
  /** A new signed challenge, valid ALTCHA_TTL_SECONDS. */
  issue(): Promise<AltchaChallenge>;
  /**
   * Checks a solved challenge (the widget's base64 payload) and spends it: throws PARAMERR
   * (field altcha) when it is malformed, not ours, expired, wrong or used already, or when the
   * alternative is turned off.
   */
  consume(payload: string, client: string): Promise<void>;
}

/** Why a payload was refused, as the event log records it (captcha_failed, door altcha). */
export type AltchaProblem = 'malformed' | 'parameters' | 'expired' | 'forged' | 'wrong' | 'replayed';

/** Bytes of a derived key (altcha-lib's default). */
const KEY_LENGTH = 32;
/**
 * The derived key must start with one zero byte: 256 attempts on average (geometric: the median
 * is 177, one solve in ten takes more than 590). The cost of each attempt is ALTCHA_COST.
 */
const KEY_PREFIX = '00';
/** What createChallenge signs in random mode, and nothing else. */
const PARAMETER_KEYS = ['algorithm', 'cost', 'expiresAt', 'keyLength', 'keyPrefix', 'nonce', 'salt'].join();
const HEX_16 = /^[0-9a-f]{32}$/;
const SIGNATURE = /^[0-9a-f]{64}$/;

/**
 * How much longer than its challenge a spent signature is remembered: instances whose clocks lag
 * a little would otherwise accept a replay once the record is gone.
 */
const USED_MARGIN_MS = 60_000;

/** The key of a spent challenge: its signature (an HMAC over its random nonce and salt). */
export const altchaUsedKey = (signature: string) => `altcha:used:${signature}`;

interface Decoded {
  challenge: { parameters: Record<string, unknown>; signature: string };
  solution: Solution;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The widget's payload: base64 of the JSON `{ challenge: { parameters, signature }, solution:
 * { counter, derivedKey, time? } }`. Anything else is null (refused like a wrong solution).
 */
function decode(payload: string): Decoded | null {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(payload, 'base64').toString('utf8'));
  } catch {
    return null;
  }
  if (!isRecord(value) || !isRecord(value.challenge) || !isRecord(value.solution)) return null;
  const { parameters, signature } = value.challenge;
  const { counter, derivedKey } = value.solution;
  if (!isRecord(parameters) || typeof signature !== 'string' || !SIGNATURE.test(signature)) return null;
  // As every solver writes them (verifySolution asks the same): a uint32 counter, lowercase hex.
  if (typeof counter !== 'number' || !Number.isInteger(counter) || counter < 0 || counter > 0xffff_ffff) return null;
  if (typeof derivedKey !== 'string' || derivedKey.length !== KEY_LENGTH * 2 || !/^[0-9a-f]+$/.test(derivedKey)) return null;
  return { challenge: { parameters, signature }, solution: { counter, derivedKey } };
}

export function createAltchaService(deps: {
  store: KvStore;
  /** HMAC keys of the challenges, newest first: the first signs, every one verifies (rotation). */
  secrets: readonly string[];
  clock: Clock;
  config: Config['altcha'];
  events: SecurityEvents;
}): AltchaService {
  const { store, secrets, clock, config, events } = deps;
  // PBKDF2 only (config.ts says why): Node's, in the thread pool.
  const derive: DeriveKeyFunction = pbkdf2;
  const signer = secrets[0];
  if (!signer) throw new Error('createAltchaService: no secret');

  /**
   * Only parameters this server would sign now: the configured algorithm, cost and key, so a
   * forged payload (or one signed before the cost changed) can never make us derive a key at
   * another cost. Checked before any HMAC or key derivation.
   */
  const ours = (p: Record<string, unknown>): p is Record<string, unknown> & ChallengeParameters =>
    Object.keys(p).sort().join() === PARAMETER_KEYS &&
    p.algorithm === config.algorithm &&
    p.cost === config.cost &&
    p.keyLength === KEY_LENGTH &&
    p.keyPrefix === KEY_PREFIX &&
    typeof p.nonce === 'string' &&
    HEX_16.test(p.nonce) &&
    typeof p.salt === 'string' &&
    HEX_16.test(p.salt) &&
    typeof p.expiresAt === 'number' &&
    Number.isSafeInteger(p.expiresAt);

  async function check(payload: string): Promise<AltchaProblem | null> {
    const decoded = decode(payload);
    if (!decoded) return 'malformed';
    const { parameters, signature } = decoded.challenge;
    if (!ours(parameters)) return 'parameters';
    const challenge = { parameters, signature };
    // By the app's clock (verifySolution checks the system's too), so tests can move time.
    const expiresAtMs = (parameters.expiresAt ?? 0) * 1000;
    if (expiresAtMs <= clock()) return 'expired';
    let replayed = false;
    /**
     * verifySolution derives the key only once the signature has verified: this derivation
     * first spends the challenge (SET NX of its signature until it expires), so of any number
     * of racing or replayed copies exactly one goes on to cost us a key derivation, and a
     * signed challenge answered wrongly is spent like a wrong image answer.
     */
    const spendThenDerive: DeriveKeyFunction = async (parameters, salt, password) => {
      if (
        !(await store.setIfAbsent(altchaUsedKey(challenge.signature), '1', Math.max(1, expiresAtMs - clock()) + USED_MARGIN_MS))
      ) {
        replayed = true;
        throw new Error('altcha: challenge already used');
      }
      return derive(parameters, salt, password);
    };
    for (const secret of secrets) {
      let result: Awaited<ReturnType<typeof verifySolution>>;
      try {
        result = await verifySolution({
          challenge,
          solution: decoded.solution,
          deriveKey: spendThenDerive,
          hmacSignatureSecret: secret,
        });
      } catch (error) {
        if (replayed) return 'replayed';
        throw error; // the store failed (503)
      }
      if (result.expired) return 'expired';
      if (result.invalidSignature) continue; // perhaps signed under an older CODE_SECRET
      return result.verified ? null : 'wrong';
    }
    return 'forged';
  }

  return {
    async issue() {
      const expiresAt = Math.floor(clock() / 1000) + config.ttlSeconds;
      const challenge = await createChallenge({
        algorithm: config.algorithm,
        cost: config.cost,
        deriveKey: derive,
        keyLength: KEY_LENGTH,
        keyPrefix: KEY_PREFIX,
        expiresAt,
        hmacSignatureSecret: signer,
      });
      return { parameters: { ...challenge.parameters, expiresAt }, signature: challenge.signature ?? '' };
    },
    async consume(payload, client) {
      if (!config.enabled) throw fieldError(Code.PARAMERR, 'altcha', say.captcha.altchaOff);
      const problem = await check(payload);
      if (!problem) return;
      events.record('captcha_failed', { client, detail: { door: 'altcha', reason: problem } });
      throw fieldError(Code.PARAMERR, 'altcha', say.captcha.altchaFailed);
    },
  };
}
