import { randomBytes, randomInt } from 'node:crypto';
import { isIP } from 'node:net';
import { normalizeIP } from '@fastify/rate-limit';
import { Code, SMS_CODE_LENGTH, type SmsPurpose, type SmsSent, type Text, text } from '@register/contracts';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../../config.ts';
import { AppError, fieldError } from '../../errors.ts';
import type { Clock } from '../../lib/clock.ts';
import { type Deadline, noDeadline } from '../../lib/deadline.ts';
import type { Digest } from '../../lib/digest.ts';
import { noSmsMetrics, type SmsMetrics } from '../../lib/metrics.ts';
import { maskMobile, numberBlock } from '../../lib/mobile.ts';
import { DAY_MS, HOUR_MS, retrySeconds, type Window, windowAt, windowTtl } from '../../lib/windows.ts';
import type { Budget, KvStore } from '../../store/kv-store.ts';
import type { AltchaService } from '../altcha/altcha.service.ts';
import type { CaptchaService } from '../captcha/captcha.service.ts';
import type { EventDetail, SecurityEvents } from '../security-events/events.service.ts';
import { SMS_TEXTS, type SmsGateway, type SmsMessage, SmsNotSentError, SmsRejectedError } from './sms.gateway.ts';

/** A code that was checked and found right, not yet used up (see useCode). */
export interface CheckedCode {
  key: string;
  digest: string;
}

/** A code used up by takeCode, which can be put back when what it was for did not happen. */
export interface TakenCode {
  /** Stores the code again, with its remaining lifetime and the full attempt budget (see takeCode). */
  restore(): Promise<void>;
}

/** The account of a mobile as a reset needs it: whether to text the code, and whose it is in the log. */
export interface MobileAccount {
  id: number;
  isActive: boolean;
}

/** Who asks: the client (for the budgets and the log) and the session the code is bound to. */
export interface Requester {
  client: string;
  sessionId: string;
}

export interface SmsService {
  /**
   * `deadline`: the request's (lib/deadline.ts). Past it nothing is claimed or sent; handing the
   * text to the gateway commits the request, which then answers what the gateway did. A reset
   * code is the exception: the answer never waits for the gateway (see sendAfterAnswer).
   */
  sendCode(input: Requester & { mobile: string; deadline?: Deadline } & Proof & Purposed): Promise<SmsSent>;
  /**
   * Checks a code for a mobile (a wrong one spends an attempt, the right one nothing) and leaves
   * it in place: the caller uses it up with useCode() once nothing else can refuse, so a request
   * that failed later may be repeated with the same code. Throws PARAMERR (field sms_code) otherwise.
   * Only the session that asked for the code can try it, so nobody else can spend its attempts,
   * and only for the purpose it was sent for (default register): a code of another purpose is
   * not there at all (its key and its HMAC both name the purpose).
   */
  checkCode(mobile: string, code: string, requester: Requester, purpose?: SmsPurpose): Promise<CheckedCode>;
  /** Uses up a checked code; true for exactly one of any number of racing callers. */
  useCode(checked: CheckedCode): Promise<boolean>;
  /**
   * Uses up a checked code as useCode does (null for every racer but one), keeping what it takes
   * to restore it: for a flow whose write cannot refuse a second use by itself (a password
   * reset), so the code goes first and comes back if the write then fails.
   */
  takeCode(checked: CheckedCode): Promise<TakenCode | null>;
  /** Resolves once every text sent after its answer (a reset's) has been handed over or has failed. */
  settled(): Promise<void>;
}

/**
 * `purpose` (default register): which flow the code serves. register and change_mobile need a
 * number no account has (409 DATAEXIST); change_mobile also a logged-in user (`userId`, which
 * the route resolves first). reset answers the same for every number (see sendCode).
 */
export interface Purposed {
  purpose?: SmsPurpose;
  userId?: number | undefined;
}

/** What lets a visitor ask for a code: the session's image code answered, or a solved proof of work. Exactly one. */
export interface Proof {
  captcha?: string | undefined;
  altcha?: string | undefined;
}

/** The door a send came through, recorded with every send, refusal and failure (`detail.door`). */
export type SmsDoor = 'image' | 'altcha';

/** The budgets a send spends, in the order a refusal names them (the altcha ones only through that door). */
export type SmsBudget =
  | 'mobile_hour'
  | 'mobile_day'
  | 'mobile_ceiling'
  | 'block_hour'
  | 'global_hour'
  | 'global_day'
  | 'altcha_client_hour'
  | 'altcha_network_hour'
  | 'altcha_global_hour';

// Every key one atomic SMS step touches carries the hash tag {sms}: on Redis Cluster a script
// may only touch keys of one slot. (SMS volume is bounded by these very budgets, so one slot
// carries it easily.)
export const SMS_KEYS = {
  cooldown: (mobile: string) => `{sms}:cooldown:${mobile}`,
  /** Counters (the window's index follows): per (mobile, client) by hour and day, and the ceiling per mobile. */
  hour: (mobile: string, client: string) => `{sms}:hour:${mobile}:${client}`,
  day: (mobile: string, client?: string) => (client === undefined ? `{sms}:day:${mobile}` : `{sms}:day:${mobile}:${client}`),
  /** Sends through the proof of work per client per hour (the window's index follows). */
  altchaClientHour: (client: string) => `{sms}:altcha:client:${client}`,
  /** The same per IPv6 network (SMS_ALTCHA_NETWORK_IPV6_PREFIX, the window's index follows). */
  altchaNetworkHour: (network: string) => `{sms}:altcha:net:${network}`,
};

/**
 * The IPv6 network a client is in, cut at `prefix` bits; null for IPv4 (an address is scarce
 * enough that the per-client budget holds it).
 */
export function altchaNetworkOf(client: string, prefix: number): string | null {
  return isIP(client) === 6 ? normalizeIP(client, prefix) : null;
}

const REFUSAL_MESSAGES: Record<SmsBudget, Text> = {
  mobile_hour: text.sms.hourlyLimit,
  mobile_day: text.sms.dailyLimit,
  mobile_ceiling: text.sms.dailyLimit,
  // Block and global budgets say nothing about this visitor's number: the same calm sentence.
  block_hour: text.sms.busy,
  global_hour: text.sms.busy,
  global_day: text.sms.busy,
  // The proof of work's own budgets say what the per-client and global ones say.
  altcha_client_hour: text.sms.ipLimit,
  altcha_network_hour: text.sms.ipLimit,
  altcha_global_hour: text.sms.busy,
};

/**
 * The undo of an unsent SMS failed (the store itself is failing, which is often why the send
 * failed): it is tried again in the background, soon at first, then every 5 s, until it gets
 * through. Until it does, a spend held in a stalled path may still run when the path heals (the
 * kernel goes on retransmitting what was written before the connection was closed, for about
 * 15 minutes on Linux), so the undo keeps trying for as long: whichever reaches Redis first, the
 * spend is reverted or finds the undo's tombstone. Undo is compare-and-delete, so a late or
 * repeated one is safe.
 */
const UNDO_RETRIES_MS = [250, 1000, 4000];
const UNDO_RETRY_EVERY_MS = 5000;
export const UNDO_HORIZON_MS = 15 * 60_000;

export function createSmsService(deps: {
  store: KvStore;
  digest: Digest;
  captcha: CaptchaService;
  /** The image code's alternative; without it an `altcha` is refused as turned off. */
  altcha?: AltchaService;
  gateway: SmsGateway;
  isMobileRegistered: (mobile: string) => Promise<boolean>;
  /** The account a reset code is for (the one lookup a reset makes); without it no reset code is ever texted. */
  findAccount?: (mobile: string) => Promise<MobileAccount | null>;
  events: SecurityEvents;
  clock: Clock;
  config: Config['sms'];
  log: FastifyBaseLogger;
  /** Sends and refusals per budget, for /api/metrics (a no-op when not given). */
  metrics?: SmsMetrics;
}): SmsService {
  const { store, digest, captcha, altcha, gateway, isMobileRegistered, events, clock, config, log } = deps;
  const metrics = deps.metrics ?? noSmsMetrics;
  const findAccount = deps.findAccount ?? (async () => null);
  /** Texts on their way after their answer (a reset's), for settled() and shutdown. */
  const inFlight = new Set<Promise<void>>();
  /**
   * Runs an undo; while the store fails it is retried in the background. Undo is idempotent and
   * compare-and-delete (and plants a tombstone when the spend has not run yet), so a late or
   * repeated one is safe. Never rejects.
   */
  function undoSpend(undo: () => Promise<unknown>, attempt = 0, since = Date.now()): Promise<void> {
    return undo().then(
      () => {
        if (attempt > 0) log.info({ attempts: attempt + 1 }, 'an unsent SMS was undone after the store came back');
      },
      () => {
        // Real time, not the app's clock: this waits for a network, not for a budget window.
        const elapsed = Date.now() - since;
        if (elapsed >= UNDO_HORIZON_MS) {
          log.error('could not undo an unsent SMS: its cooldown and budgets stand until they expire');
          return;
        }
        if (attempt === UNDO_RETRIES_MS.length) log.warn('could not undo an unsent SMS yet: retrying until the store answers');
        const wait = UNDO_RETRIES_MS[attempt] ?? UNDO_RETRY_EVERY_MS;
        setTimeout(() => void undoSpend(undo, attempt + 1, since), wait).unref();
      },
    );
  }
  // The purpose is in the HMAC and in the key: a code of one purpose is neither found nor right
  // for another, so a registration code never resets a password and a reset code never registers.
  const codeDigest = (mobile: string, code: string, purpose: SmsPurpose) => digest('sms', purpose, mobile, code);
  // One code per (mobile, purpose, session): another visitor's request for the same number
  // neither replaces it nor can try it. The session id itself is not written into the key.
  const codeKey = (mobile: string, sessionId: string, purpose: SmsPurpose) =>
    `{sms}:code:${mobile}:${purpose}:${digest('sms-session', sessionId)}`;
  /**
   * Where a code sent before a CODE_SECRET rotation may be, with its digest under the same old
   * secret: current first. Sending a code clears the older slots first (below), so at most one
   * of them exists and a wrong code spends exactly one attempt.
   */
  const codeSlots = (mobile: string, sessionId: string, code: string, purpose: SmsPurpose) => {
    const sessions = digest.all('sms-session', sessionId);
    const codes = digest.all('sms', purpose, mobile, code);
    return sessions.map((session, i) => ({ key: `{sms}:code:${mobile}:${purpose}:${session}`, digest: codes[i] as string }));
  };
  /** What the log adds about a purpose: nothing for register (the default, as before purposes). */
  const purposeDetail = (purpose: SmsPurpose): EventDetail => (purpose === 'register' ? {} : { purpose });

  /** Whether a failed send certainly did not go out (refused, unreachable, our own store failing). */
  const certainlyNotSent = (error: unknown) =>
    error instanceof SmsRejectedError || error instanceof SmsNotSentError || error instanceof AppError;
  /** Logs, counts and records a send that failed. */
  function recordFailure(error: unknown, mobile: string, client: string, detail: EventDetail): void {
    const rejected = error instanceof SmsRejectedError;
    const reason = rejected ? 'rejected' : certainlyNotSent(error) ? 'unreachable' : 'unconfirmed';
    metrics.send(reason);
    if ((error as Error | undefined)?.name === 'TimeoutError') metrics.gatewayTimeout();
    events.record('sms_failed', {
      client,
      mobile,
      detail: { gateway: gateway.name, ...detail, reason, ...(rejected ? { providerCode: error.providerCode } : {}) },
    });
    log.warn({ mobile: maskMobile(mobile), gateway: gateway.name, err: error }, 'SMS not sent');
  }

  /**
   * Sends a text without the request waiting for it (a reset's: its answer must take as long for
   * a number that gets no text). The outcome is logged and recorded, never shown, and never
   * undone: the budgets stay spent, as for a number that gets no text, so a later 429 tells
   * nothing either. Bounded by the gateway's own timeout (CCP_TIMEOUT_MS, a store command).
   */
  function sendAfterAnswer(message: SmsMessage, client: string, detail: EventDetail): void {
    // Handed over on the event loop's next turn, not in this request's own steps: even the
    // provider call's setting up stays off the answer's path.
    const task: Promise<void> = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => gateway.send(message))
      .then(
        () => {
          events.record('sms_sent', { client, mobile: message.mobile, detail: { gateway: gateway.name, ...detail } });
          metrics.send('sent');
        },
        (error: unknown) => recordFailure(error, message.mobile, client, detail),
      )
      .finally(() => inFlight.delete(task));
    inFlight.add(task);
  }

  /**
   * Every budget one send spends. Per mobile, per hour and per day, both counted per (mobile,
   * client), under a higher daily ceiling for the number: an attacker who spends a number's
   * budget from his own clients does not deny it to its owner, short of the ceiling that
   * protects the bill. Per number block (SMS pumping walks consecutive numbers), and for the
   * whole service.
   */
  function budgets(mobile: string, client: string, door: SmsDoor): { name: SmsBudget; budget: Budget; window: Window }[] {
    const now = clock();
    const hour = windowAt(now, HOUR_MS);
    const day = windowAt(now, DAY_MS);
    const entry = (name: SmsBudget, key: string, limit: number, window: Window) => ({
      name,
      window,
      budget: { key: `${key}:${window.index}`, limit, ttlMs: windowTtl(window) },
    });
    const every = [
      entry('mobile_hour', SMS_KEYS.hour(mobile, client), config.perMobilePerHour, hour),
      entry('mobile_day', SMS_KEYS.day(mobile, client), config.perMobilePerDay, day),
      entry('mobile_ceiling', SMS_KEYS.day(mobile), config.mobileCeilingPerDay, day),
      entry('block_hour', `{sms}:block:${numberBlock(mobile)}`, config.perBlockPerHour, hour),
      entry('global_hour', '{sms}:global:hour', config.globalPerHour, hour),
      entry('global_day', '{sms}:global:day', config.globalPerDay, day),
    ];
    if (door === 'image') return every;
    // A proof of work costs a bot less than an image costs a person: sends through it also
    // spend tighter budgets of their own, per client (over every number), per IPv6 network
    // (one holder of a /48 has 65,536 /64 clients: without it one could spend the service's
    // share alone) and for the service, in the same atomic step, so the alternative can never
    // carry more than its share.
    const network = altchaNetworkOf(client, config.altchaNetworkIpv6Prefix);
    return [
      ...every,
      entry('altcha_client_hour', SMS_KEYS.altchaClientHour(client), config.altchaPerClientPerHour, hour),
      ...(network
        ? [entry('altcha_network_hour', SMS_KEYS.altchaNetworkHour(network), config.altchaPerNetworkPerHour, hour)]
        : []),
      entry('altcha_global_hour', '{sms}:altcha:global:hour', config.altchaGlobalPerHour, hour),
    ];
  }

  /**
   * While CODE_SECRET rotates, a code sent under an older secret lives under another key: the
   * new code replaces it, or it would stay usable (with attempts of its own) beside the new one.
   * After the spend (a refused resend keeps the pending code); a failure only leaves it to expire.
   */
  async function dropOlderCodes(mobile: string, sessionId: string, purpose: SmsPurpose): Promise<void> {
    const older = codeSlots(mobile, sessionId, '', purpose).slice(1);
    if (older.length === 0) return;
    try {
      await store.delete(...older.map((slot) => slot.key));
    } catch (error) {
      log.warn({ err: error }, 'could not drop a code sent under an older CODE_SECRET');
    }
  }

  /**
   * Checks and spends the proof the visitor brought, before anything else is checked or spent
   * (a wrong one sends nothing and spends no budget), and says which door it came through.
   */
  async function passDoor({ sessionId, client, captcha: answer, altcha: payload }: Requester & Proof): Promise<SmsDoor> {
    if (answer !== undefined && payload === undefined) {
      await captcha.consume(sessionId, answer, client);
      return 'image';
    }
    if (payload !== undefined && answer === undefined) {
      if (!altcha) throw fieldError(Code.PARAMERR, 'altcha', text.captcha.altchaOff);
      await altcha.consume(payload, client);
      return 'altcha';
    }
    // The route's rules (contracts smsCodeRules) say which; this only keeps the service honest.
    throw new AppError(Code.PARAMERR, { message: text.captcha.oneOfTwo });
  }

  return {
    async sendCode({ sessionId, mobile, client, purpose = 'register', userId, deadline = noDeadline, ...proof }) {
      // The route resolves the logged-in user before anything is spent; this keeps the service honest.
      if (purpose === 'change_mobile' && userId === undefined) {
        throw new AppError(Code.SESSIONERR, { message: text.sms.loginFirst });
      }
      const door = await passDoor({ sessionId, client, ...proof });
      // A reset makes the one lookup of the number's account whether or not there is one, and
      // says nothing of what it found: everything after it is the same for every number (the
      // budgets, the cooldown, a stored code, the answer and its time). The availability check
      // stays the one budgeted place that tells whether a number is registered. The other
      // purposes need a number no account has.
      const account = purpose === 'reset' ? await findAccount(mobile) : null;
      if (purpose !== 'reset' && (await isMobileRegistered(mobile))) {
        throw fieldError(Code.DATAEXIST, 'mobile', text.sms.registered);
      }
      deadline.check();

      // One atomic step claims the cooldown, spends every budget and stores the code, or writes
      // nothing at all: of any number of concurrent requests for one mobile exactly one gets
      // through (the seed's get-then-setex let them all), and a refusal leaves no cooldown or
      // count behind. The claim holds this request's own token, so only it can release it.
      const code = String(randomInt(0, 10 ** SMS_CODE_LENGTH)).padStart(SMS_CODE_LENGTH, '0');
      const stored = { key: codeKey(mobile, sessionId, purpose), digest: codeDigest(mobile, code, purpose) };
      const tagged = purposeDetail(purpose);

      const spending = budgets(mobile, client, door);
      const claim = {
        key: SMS_KEYS.cooldown(mobile),
        token: randomBytes(12).toString('base64url'),
        ttlMs: config.resendSeconds * 1000,
      };
      const undo = () =>
        store.unspend(
          spending.map((s) => s.budget.key),
          claim,
          stored,
        );
      let spent: Awaited<ReturnType<KvStore['spend']>>;
      try {
        spent = await store.spend(
          clock(),
          spending.map((s) => s.budget),
          claim,
          { ...stored, attempts: config.maxAttempts, ttlMs: config.ttlSeconds * 1000 },
        );
      } catch (error) {
        // The outcome is unknown: the script may have run with its reply lost, or may still run
        // (a stalled server holds it in its buffer). The undo reverts it if it ran, and otherwise
        // leaves a tombstone that stops it from ever running. Not awaited: the store is failing.
        void undoSpend(undo);
        throw error;
      }
      if (!spent.ok) {
        const refusal = spent.refused === -1 ? null : spending[spent.refused];
        events.record('sms_refused', { client, mobile, detail: { budget: refusal?.name ?? 'cooldown', door, ...tagged } });
        metrics.refused(refusal?.name ?? 'cooldown');
        if (!refusal) {
          const retryAfter = retrySeconds(spent.claimTtlMs);
          const message = text.sms.cooldown(retryAfter);
          throw new AppError(Code.THROTTLED, { message, fields: { mobile: message }, retryAfter });
        }
        if (refusal.name.startsWith('global')) log.warn({ budget: refusal.name }, 'global SMS budget spent: no codes are sent');
        if (refusal.name === 'altcha_global_hour') {
          log.warn({ budget: refusal.name }, 'proof-of-work SMS budget spent: only the image code sends codes this hour');
        }
        throw new AppError(Code.THROTTLED, {
          message: REFUSAL_MESSAGES[refusal.name],
          retryAfter: retrySeconds(refusal.window.remainingMs),
        });
      }
      await dropOlderCodes(mobile, sessionId, purpose);

      const ttlMinutes = Math.ceil(config.ttlSeconds / 60);
      const message: SmsMessage = { mobile, code, ttlMinutes, purpose, text: SMS_TEXTS[purpose](code, ttlMinutes) };
      const sent = { expiresIn: config.ttlSeconds, resendIn: config.resendSeconds, codeLength: SMS_CODE_LENGTH };
      if (purpose === 'reset') {
        // Past the deadline the visitor was told it failed: the spend is undone, for every number
        // alike. Otherwise the answer is given now, and the text (to an active account only:
        // nobody can know the code stored for any other number) goes out after it.
        try {
          deadline.commit();
        } catch (error) {
          await undoSpend(undo);
          throw error;
        }
        const found = account === null ? 'none' : account.isActive ? 'active' : 'inactive';
        events.record('reset_requested', {
          client,
          mobile,
          ...(account ? { userId: account.id } : {}),
          detail: { door, account: found },
        });
        if (account?.isActive) sendAfterAnswer(message, client, { door, ...tagged });
        return sent;
      }
      try {
        // Past the deadline the visitor was told it failed: no text may leave now (the catch
        // below undoes the spend, as for any text that certainly did not go out). Otherwise the
        // send commits the request: it answers what the gateway did, in CCP_TIMEOUT_MS at most.
        deadline.commit();
        await gateway.send(message);
      } catch (error) {
        // Certainly not sent (refused, unreachable, our own store failing): undo the whole spend in
        // one atomic step, so the visitor may retry at once and budgets count only texts that went
        // out. A timeout is different: the text may well have gone out (and cost money), so the
        // cooldown, the budgets and the code all stand; otherwise timeouts would pump texts.
        const notSent = certainlyNotSent(error);
        if (notSent) await undoSpend(undo);
        if (error instanceof AppError) throw error; // the store itself failed (503)
        recordFailure(error, mobile, client, { door, ...tagged });
        if (!notSent) {
          throw new AppError(Code.SMSERROR, {
            message: text.sms.unconfirmed(config.resendSeconds),
            retryAfter: config.resendSeconds,
            cause: error,
          });
        }
        throw new AppError(error instanceof SmsRejectedError ? Code.SMSFAIL : Code.SMSERROR, { cause: error });
      }
      events.record('sms_sent', {
        client,
        mobile,
        ...(userId === undefined ? {} : { userId }),
        detail: { gateway: gateway.name, door, ...tagged },
      });
      metrics.send('sent');
      return sent;
    },

    async checkCode(mobile, code, { client, sessionId }, purpose = 'register') {
      let tried: Awaited<ReturnType<typeof store.tryCode>> = { right: false, attemptsLeft: null };
      let slot = { key: codeKey(mobile, sessionId, purpose), digest: codeDigest(mobile, code, purpose) };
      for (const candidate of codeSlots(mobile, sessionId, code, purpose)) {
        slot = candidate;
        tried = await store.tryCode(candidate.key, candidate.digest);
        if (tried.right || tried.attemptsLeft !== null) break; // the code lives here
      }
      if (tried.right) return slot;
      if (tried.attemptsLeft === null) throw fieldError(Code.PARAMERR, 'sms_code', text.sms.expired);
      if (tried.attemptsLeft === 0) {
        events.record('code_exhausted', { client, mobile, ...(purpose === 'register' ? {} : { detail: { purpose } }) });
        throw fieldError(Code.PARAMERR, 'sms_code', text.sms.exhausted);
      }
      events.record('code_failed', { client, mobile, detail: { attemptsLeft: tried.attemptsLeft, ...purposeDetail(purpose) } });
      throw fieldError(Code.PARAMERR, 'sms_code', text.sms.wrong(tried.attemptsLeft));
    },

    // Compare-and-delete: when the right code races itself, exactly one request wins.
    useCode: ({ key, digest }) => store.consumeCode(key, digest),

    async takeCode(checked) {
      // The remaining lifetime first (the code is gone after): a restored code expires when it
      // would have. Then compare-and-delete, as useCode.
      const ttlMs = await store.ttl(checked.key);
      if (ttlMs === null || !(await store.consumeCode(checked.key, checked.digest))) return null;
      const expiresAt = clock() + ttlMs;
      return {
        // A spend of no budget and no claim stores the code entry alone. With the full attempt
        // budget: only a request that held the right code can restore it, so the attempts it
        // gives back are the code holder's, never a guesser's. It replaces whatever is at the key
        // by then: at worst a newer code this same session asked for meanwhile, and the session
        // then holds the older, still valid one.
        async restore() {
          const left = expiresAt - clock();
          if (left <= 0) return;
          await store.spend(clock(), [], undefined, { ...checked, attempts: config.maxAttempts, ttlMs: left });
        },
      };
    },

    async settled() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}
