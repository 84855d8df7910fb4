// Passkeys (WebAuthn), with @simplewebauthn/server doing every WebAuthn check (CBOR, the client
// data, the RP ID hash, the signature): enrolling one for the logged-in user, logging in with a
// passkey alone (a discoverable credential: no username), and the account page's list.
//
// A passkey login is a login: it spends the same budgets as a password login (counted before
// anything is verified, refunded on success; modules/auth/login-throttle.ts), records the same
// events (login_ok / login_failed / login_throttled, detail.method 'passkey'), updates
// last_login, and its session carries the fingerprint of the account's current password hash,
// so a password change or reset still ends it (auth.service.ts currentAccount). Every refusal of
// a login is one answer (401 LOGINERR, text.passkeys.failed) whatever failed: an unknown
// credential, a bad signature, a wrong origin or RP ID, another user's handle, an inactive
// account. The one exception needs the authenticator's private key: a signature counter that
// went backwards (a cloned authenticator) is refused with its own sentence and recorded.
import { timingSafeEqual } from 'node:crypto';
import {
  Code,
  type Locale,
  type PasskeyLoginBody,
  type PasskeyRegisterBody,
  type PasskeyView,
  text,
  type UserView,
} from '@register/contracts';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../../config.ts';
import { AppError } from '../../errors.ts';
import type { Clock } from '../../lib/clock.ts';
import { type Deadline, noDeadline } from '../../lib/deadline.ts';
import type { Digest } from '../../lib/digest.ts';
import { beginLoginAttempt, identifiersOf, sessionCredential } from '../auth/auth.service.ts';
import type { DeviceTokens } from '../auth/device-tokens.ts';
import type { LoginThrottle } from '../auth/login-throttle.ts';
import { noNotices, type SecurityNotices } from '../notifications/notices.ts';
import type { EventDetail, SecurityEvents } from '../security-events/events.service.ts';
import type { UserRecord, UsersRepository } from '../users/users.repository.ts';
import { toUserView } from '../users/users.service.ts';
import type { Challenges } from './challenges.ts';
import { DuplicatePasskeyError, PasskeyLimitError, type PasskeyRecord, type PasskeysRepository } from './passkeys.repository.ts';

/** Who asks: the client (budgets, events), their session (the challenge is bound to it). */
export interface PasskeyRequester {
  client: string;
  sessionId: string;
  deadline?: Deadline;
  /** The request's language: the security notice is written in it. */
  locale?: Locale;
}

/** What a passkey login answers the route: as auth.service.ts login does. */
export interface PasskeyLogin {
  user: UserView;
  deviceToken: string;
  session: { loginAt: number; credential: string };
  /** Records login_ok: for the route to call once the session is saved, so a failed save records no login. */
  loggedIn(): void;
}

/**
 * The signature algorithms offered and accepted: EdDSA, ES256, RS256 (what authenticators use).
 * Named, rather than the library's default, so that every instance offers the same list
 * whatever its Node.js supports (the default adds ML-DSA-44 where WebCrypto has it, probing an
 * experimental API that warns at startup).
 */
// COSE algorithm ids: EdDSA, ES256, RS256 (COSEALG in @simplewebauthn/server/helpers).
const ALGORITHMS = [-8, -7, -257];
/**
 * @simplewebauthn/server and its ASN.1 stack (about 28 MB of a process's memory) are loaded at
 * the first passkey ceremony, not with the API: most processes never run one.
 */
let library: Promise<typeof import('@simplewebauthn/server')> | undefined;
const webauthn = () => (library ??= import('@simplewebauthn/server'));
const TRANSPORT = /^[a-z][a-z0-9-]{0,31}$/;
/** An account's passkey ids in its list: the row id, in digits. */
const REF = /^[1-9][0-9]{0,9}$/;
const INT_MAX = 2_147_483_647;

export function createPasskeysService(deps: {
  passkeys: PasskeysRepository;
  users: Pick<UsersRepository, 'findById' | 'recordLogin'>;
  challenges: Challenges;
  throttle: LoginThrottle;
  devices: DeviceTokens;
  events: SecurityEvents;
  notices?: SecurityNotices;
  digest: Digest;
  clock: Clock;
  log: FastifyBaseLogger;
  config: Config['webauthn'];
}) {
  const { passkeys, users, challenges, throttle, devices, events, digest, clock, log, config } = deps;
  const notices = deps.notices ?? noNotices;
  const credentialOf = sessionCredential(digest);
  const timeout = config.challengeTtlSeconds * 1000;
  const expected = { expectedOrigin: config.origins, expectedRPID: config.rpId, requireUserVerification: false };

  /**
   * The account's WebAuthn user handle: 32 bytes of an HMAC of its id, the same at every
   * enrolment (so an authenticator replaces its passkey for the account instead of adding one)
   * and naming nothing about the account (the spec: no personal data in a handle).
   */
  const handleOf = (userId: number) => Buffer.from(digest('passkey-user-handle', String(userId)), 'base64url');
  /** Whether a response's userHandle is this account's (under any CODE_SECRET, for a rotation). */
  const isHandleOf = (userHandle: string, userId: number) => {
    const given = Buffer.from(userHandle, 'base64url');
    let found = false;
    for (const h of digest.all('passkey-user-handle', String(userId))) {
      const mine = Buffer.from(h, 'base64url');
      found = (given.length === mine.length && timingSafeEqual(given, mine)) || found;
    }
    return found;
  };

  const expired = () => new AppError(Code.PARAMERR, { message: text.passkeys.expired });
  const notFound = () => new AppError(Code.NODATA, { message: text.passkeys.notFound });
  const limit = () => new AppError(Code.DATAEXIST, { message: text.passkeys.limit(config.perUserMax) });

  const viewOf = (passkey: PasskeyRecord): PasskeyView => ({
    id: String(passkey.id),
    name: passkey.name,
    createdAt: passkey.createdAt.toISOString(),
    lastUsedAt: passkey.lastUsedAt ? passkey.lastUsedAt.toISOString() : null,
    transports: passkey.transports,
    backedUp: passkey.backedUp,
  });

  /** The list's id as a row id, or null for anything that cannot be one (then: not found). */
  const rowIdOf = (ref: string) => (REF.test(ref) && Number(ref) <= INT_MAX ? Number(ref) : null);

  /** Transports as the authenticator named them: known-looking words, each once. */
  const transportsOf = (given: readonly string[] | undefined) => [...new Set((given ?? []).filter((t) => TRANSPORT.test(t)))];

  return {
    /**
     * Starts an enrolment: the creation options in their JSON form (the account's username as
     * its name and display name, never the mobile; a resident key; user verification preferred;
     * the account's passkeys excluded, so an authenticator holding one says so at once), and the
     * challenge bound to this session. 409 DATAEXIST once the account has PASSKEYS_PER_USER_MAX.
     */
    async registrationOptions(user: UserRecord, requester: PasskeyRequester): Promise<PublicKeyCredentialCreationOptionsJSON> {
      const existing = await passkeys.listByUser(user.id);
      if (existing.length >= config.perUserMax) throw limit();
      const options = await (await webauthn()).generateRegistrationOptions({
        rpName: config.rpName,
        rpID: config.rpId,
        userName: user.username,
        userDisplayName: user.username,
        userID: handleOf(user.id),
        timeout,
        attestationType: 'none',
        excludeCredentials: existing.map((p) => ({ id: p.credentialId, transports: p.transports })),
        authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'preferred' },
        extensions: { credProps: true },
        supportedAlgorithmIDs: ALGORITHMS,
      });
      (requester.deadline ?? noDeadline).check();
      await challenges.put('register', requester.sessionId, { challenge: options.challenge, userId: user.id });
      return options;
    },

    /**
     * Stores the credential of the session's enrolment. Its challenge is taken first (a replay,
     * a second try or another session's response finds none: 400 PARAMERR expired); anything
     * @simplewebauthn/server refuses is 400 PARAMERR failed (the reason is logged, never
     * answered); a credential stored already is 409 DATAEXIST. Then the passkey_added event and
     * the security notice.
     */
    async register(user: UserRecord, body: PasskeyRegisterBody, requester: PasskeyRequester): Promise<PasskeyView> {
      const { client, sessionId, deadline = noDeadline, locale } = requester;
      const pending = await challenges.take('register', sessionId);
      if (!pending || pending.userId !== user.id) throw expired();
      let info: Extract<Awaited<ReturnType<typeof verifyRegistrationResponse>>, { verified: true }>['registrationInfo'];
      try {
        const result = await (await webauthn()).verifyRegistrationResponse({
          ...expected,
          response: body as RegistrationResponseJSON,
          expectedChallenge: pending.challenge,
          supportedAlgorithmIDs: ALGORITHMS,
        });
        if (!result.verified) throw new Error('the attestation did not verify');
        info = result.registrationInfo;
        if (info.credential.id !== body.id) throw new Error("the response's id is not the attested credential's");
      } catch (err) {
        log.info({ reason: err instanceof Error ? err.message : String(err), userId: user.id }, 'passkey enrolment refused');
        throw new AppError(Code.PARAMERR, { message: text.passkeys.failed });
      }
      // The row is the irrevocable step: from here the request answers what it did.
      deadline.commit();
      let stored: PasskeyRecord;
      try {
        stored = await passkeys.create(
          {
            userId: user.id,
            credentialId: info.credential.id,
            publicKey: info.credential.publicKey,
            counter: info.credential.counter,
            transports: transportsOf(info.credential.transports),
            backedUp: info.credentialBackedUp,
            deviceType: info.credentialDeviceType,
            name: `Passkey ${new Date(clock()).toISOString().slice(0, 10)}`,
          },
          config.perUserMax,
        );
      } catch (error) {
        if (error instanceof DuplicatePasskeyError) throw new AppError(Code.DATAEXIST, { message: text.passkeys.duplicate });
        if (error instanceof PasskeyLimitError) throw error.userGone ? new AppError(Code.SESSIONERR) : limit();
        throw error;
      }
      events.record('passkey_added', {
        client,
        userId: user.id,
        mobile: user.mobile,
        detail: { passkeyId: stored.id, deviceType: stored.deviceType, backedUp: stored.backedUp },
      });
      notices.send(user, 'passkey_added', locale ? { locale } : {});
      return viewOf(stored);
    },

    /** Starts a login with a passkey alone: no username, empty allowCredentials; the challenge is this session's. */
    async loginOptions(requester: PasskeyRequester): Promise<PublicKeyCredentialRequestOptionsJSON> {
      const options = await (await webauthn()).generateAuthenticationOptions({
        rpID: config.rpId,
        userVerification: 'preferred',
        allowCredentials: [],
        timeout,
      });
      (requester.deadline ?? noDeadline).check();
      await challenges.put('login', requester.sessionId, { challenge: options.challenge });
      return options;
    },

    /**
     * Logs in with an assertion, as auth.service.ts login does with a password: the challenge
     * taken first (none: 400 PARAMERR expired, nothing counted), then one attempt counted in the
     * account's budgets before anything is verified (an unknown credential in budgets of its
     * own), then @simplewebauthn/server's checks. One answer for every refusal (see the top).
     */
    async login(body: PasskeyLoginBody, requester: PasskeyRequester & { deviceTokens: string[] }): Promise<PasskeyLogin> {
      const { client, sessionId, deadline = noDeadline } = requester;
      // Taken before the account is read, as a password login takes it (auth.service.ts).
      const loginAt = clock();
      const pending = await challenges.take('login', sessionId);
      if (!pending) throw expired();

      const passkey = await passkeys.findByCredentialId(body.id);
      const user = passkey ? await users.findById(passkey.userId) : null;
      const device = user ? devices.verify(requester.deviceTokens, user.id) : null;
      const subject = { client, userId: user?.id, mobile: user?.mobile };
      // A known passkey counts as a guess at its account (the username's budget, the account's
      // delay); an unknown credential id as a guess at that id (and in the client's delay).
      const identifier = user ? (identifiersOf(user)[0] as string) : `c:${digest('passkey-credential', body.id)}`;
      deadline.check();
      const attempt = await beginLoginAttempt(throttle, events, { identifier, client, user, device, subject, method: 'passkey' });
      const refuse = (reason: string, detail: EventDetail = {}): never => {
        events.record('login_failed', { ...subject, detail: { reason, method: 'passkey', ...detail } });
        throw new AppError(Code.LOGINERR, { message: text.passkeys.failed });
      };

      if (!passkey || !user) return refuse('unknown');
      // No username was asked for (discoverable credentials), so the spec wants the handle the
      // authenticator stored with the passkey, and it must be the passkey's account's.
      const userHandle = body.response.userHandle;
      if (!userHandle || !isHandleOf(userHandle, user.id)) return refuse('user_handle', { passkeyId: passkey.id });

      let verified: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
      try {
        verified = await (await webauthn()).verifyAuthenticationResponse({
          ...expected,
          response: body as AuthenticationResponseJSON,
          expectedChallenge: pending.challenge,
          // The stored count is compared below, once the signature has verified: a forged
          // assertion with a low count must not be taken for a cloned authenticator.
          credential: { id: passkey.credentialId, publicKey: passkey.publicKey, counter: 0, transports: passkey.transports },
        });
      } catch (err) {
        log.info({ reason: err instanceof Error ? err.message : String(err), passkeyId: passkey.id }, 'passkey login refused');
        return refuse('verification', { passkeyId: passkey.id });
      }
      if (!verified.verified) return refuse('signature', { passkeyId: passkey.id });

      // The WebAuthn rule (§7.2 step 22): when either count is non-zero, the new one must be
      // greater. A lower or equal one is an authenticator's clone signing on its own count.
      const { newCounter, credentialBackedUp } = verified.authenticationInfo;
      const backwards = (newCounter > 0 || passkey.counter > 0) && newCounter <= passkey.counter;
      if (backwards) {
        events.record('passkey_counter', {
          ...subject,
          detail: { passkeyId: passkey.id, stored: passkey.counter, received: newCounter },
        });
      }
      if (!user.isActive) return refuse('inactive', { passkeyId: passkey.id });
      if (backwards) {
        events.record('login_failed', { ...subject, detail: { reason: 'counter', method: 'passkey', passkeyId: passkey.id } });
        throw new AppError(Code.LOGINERR, { message: text.passkeys.counter });
      }
      const at = new Date(clock());
      // The counter's update is the irrevocable step (it decides which of two racing logins
      // wins): past the deadline, nothing is written and the client's 503 is the truth; from
      // here the request answers what it did (the login, or a store or database failure).
      deadline.commit();
      // Only over a lower count: a racing login that stored a higher one wins, and this one is
      // refused (as it is when the passkey was deleted meanwhile).
      if (!(await passkeys.recordUse(passkey.id, { counter: newCounter, backedUp: credentialBackedUp, at }))) {
        return refuse('stale', { passkeyId: passkey.id });
      }

      // No failure: refund the attempt and forget this client's failures for the account, as
      // a password login does. Best effort: the login itself has succeeded.
      await attempt
        .succeeded(identifiersOf(user))
        .catch((err: unknown) => log.error({ err }, 'could not refund a successful passkey login attempt'));
      await users.recordLogin(user.id, at);
      return {
        user: toUserView(user),
        deviceToken: devices.issue(user.id),
        session: { loginAt, credential: credentialOf(user.id, user.password) },
        loggedIn: () =>
          events.record('login_ok', {
            client,
            userId: user.id,
            mobile: user.mobile,
            detail: { knownDevice: device !== null, method: 'passkey', passkeyId: passkey.id },
          }),
      };
    },

    /** The account's passkeys, oldest first: never a public key. */
    list: async (user: UserRecord): Promise<PasskeyView[]> => (await passkeys.listByUser(user.id)).map(viewOf),

    /** Renames one of the account's passkeys; 404 NODATA for any other id. */
    async rename(user: UserRecord, ref: string, name: string, requester?: PasskeyRequester): Promise<PasskeyView> {
      const id = rowIdOf(ref);
      // The update is the irrevocable step: past the deadline nothing is renamed (the client was
      // told it failed); from here the request answers what it did.
      (requester?.deadline ?? noDeadline).commit();
      const renamed = id === null ? null : await passkeys.rename(user.id, id, name);
      if (!renamed) throw notFound();
      return viewOf(renamed);
    },

    /** Deletes one of the account's passkeys (it no longer logs in); 404 NODATA for any other id. */
    async remove(user: UserRecord, ref: string, requester: PasskeyRequester): Promise<void> {
      const id = rowIdOf(ref);
      if (id === null) throw notFound();
      // The delete is the irrevocable step: from here the request answers what it did.
      (requester.deadline ?? noDeadline).commit();
      if (!(await passkeys.remove(user.id, id))) throw notFound();
      events.record('passkey_removed', {
        client: requester.client,
        userId: user.id,
        mobile: user.mobile,
        detail: { passkeyId: id },
      });
    },
  };
}
export type PasskeysService = ReturnType<typeof createPasskeysService>;
