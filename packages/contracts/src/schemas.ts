// Request and response shapes of every endpoint, built from the field rules. Request schemas
// are named for the request part they check (`RegisterBody`), not for the forms that fill them.
import { type Static, Type } from 'typebox';
import {
  Account,
  AltchaPayload,
  CaptchaAnswer,
  Email,
  EmailToken,
  LoginPassword,
  Mobile,
  OldPassword,
  Password,
  PasswordRepeat,
  Rand,
  SessionRef,
  SmsCode,
  SmsPurposeField,
  Username,
} from './fields.ts';

export const UsernameParams = Type.Object({ username: Username });
export const MobileParams = Type.Object({ mobile: Mobile });
export const ImageCodeQuery = Type.Object({ rand: Type.Optional(Rand) });
/**
 * The image code's answer, or the proof of work in its place: exactly one (smsCodeRules).
 * `purpose` (default register) binds the code to one flow.
 */
export const SmsCodeBody = Type.Object({
  mobile: Mobile,
  captcha: Type.Optional(CaptchaAnswer),
  altcha: Type.Optional(AltchaPayload),
  purpose: Type.Optional(SmsPurposeField),
});
export const RegisterBody = Type.Object({
  username: Username,
  password: Password,
  password_repeat: PasswordRepeat,
  mobile: Mobile,
  sms_code: SmsCode,
});
export const LoginBody = Type.Object({ account: Account, password: LoginPassword });
/** A new password with a code of purpose reset (POST /password/reset/). */
export const PasswordResetBody = Type.Object({
  mobile: Mobile,
  sms_code: SmsCode,
  password: Password,
  password_repeat: PasswordRepeat,
});
export const ChangePasswordBody = Type.Object({
  old_password: OldPassword,
  password: Password,
  password_repeat: PasswordRepeat,
});
/** The new number, proven by a code of purpose change_mobile, and the current password. */
export const ChangeMobileBody = Type.Object({ mobile: Mobile, sms_code: SmsCode, password: OldPassword });
export const SetEmailBody = Type.Object({ email: Email });
export const VerifyEmailBody = Type.Object({ token: EmailToken });
export const SessionParams = Type.Object({ id: SessionRef });
export const EmailParams = Type.Object({ email: Email });

/** Every request schema by name: what the SPA's build turns into standalone checks. */
export const REQUEST_SCHEMAS = {
  UsernameParams,
  MobileParams,
  ImageCodeQuery,
  SmsCodeBody,
  RegisterBody,
  LoginBody,
  PasswordResetBody,
  ChangePasswordBody,
  ChangeMobileBody,
  SetEmailBody,
  VerifyEmailBody,
  SessionParams,
  EmailParams,
} as const;
export type RequestSchemaName = keyof typeof REQUEST_SCHEMAS;

export type UsernameParams = Static<typeof UsernameParams>;
export type MobileParams = Static<typeof MobileParams>;
export type ImageCodeQuery = Static<typeof ImageCodeQuery>;
export type SmsCodeBody = Static<typeof SmsCodeBody>;
export type RegisterBody = Static<typeof RegisterBody>;
export type LoginBody = Static<typeof LoginBody>;
export type PasswordResetBody = Static<typeof PasswordResetBody>;
export type ChangePasswordBody = Static<typeof ChangePasswordBody>;
export type ChangeMobileBody = Static<typeof ChangeMobileBody>;
export type SetEmailBody = Static<typeof SetEmailBody>;
export type VerifyEmailBody = Static<typeof VerifyEmailBody>;
export type SessionParams = Static<typeof SessionParams>;
export type EmailParams = Static<typeof EmailParams>;

// ---- response data ----
export const UsernameCount = Type.Object({ username: Type.String(), count: Type.Integer() });
export const MobileCount = Type.Object({ mobile: Type.String(), count: Type.Integer() });
export const SmsSent = Type.Object({
  /** Seconds the code stays valid. */
  expiresIn: Type.Integer(),
  /** Seconds until another code may be requested for this mobile. */
  resendIn: Type.Integer(),
  /** Digits in the code. */
  codeLength: Type.Integer(),
});
/** The user as every logged-in answer shows it; `emailActive`: the address is verified. */
export const UserView = Type.Object({
  id: Type.Integer(),
  username: Type.String(),
  mobile: Type.String(),
  email: Type.String(),
  emailActive: Type.Boolean(),
});
/**
 * What registration answers: the new user, and whether this browser is now logged in (false when
 * the account was created but the session could not be started: the visitor then logs in).
 */
export const Registered = Type.Object({
  id: Type.Integer(),
  username: Type.String(),
  mobile: Type.String(),
  email: Type.String(),
  emailActive: Type.Boolean(),
  loggedIn: Type.Boolean(),
});
export const OutboxMessage = Type.Object({
  mobile: Type.String(),
  code: Type.String(),
  /** register, reset or change_mobile: which flow the code serves. */
  purpose: Type.String(),
  text: Type.String(),
  sentAt: Type.String({ format: 'date-time' }),
});
/** The dev mail outbox's last message to an address (GET /__dev/mail/:email/). */
export const MailMessage = Type.Object({
  to: Type.String(),
  subject: Type.String(),
  text: Type.String(),
  link: Type.Union([Type.String(), Type.Null()]),
  token: Type.Union([Type.String(), Type.Null()]),
  sentAt: Type.String({ format: 'date-time' }),
});
/** One live session of the user (GET /user/sessions/): never its id or cookie. */
export const SessionView = Type.Object({
  /** Opaque: names the session for DELETE /user/sessions/:id/, and nothing else. */
  id: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  lastSeenAt: Type.String({ format: 'date-time' }),
  /** Browser and system from the User-Agent, e.g. "Chrome on Windows". */
  device: Type.String(),
  /** The client address, truncated (an IPv4 /24, an IPv6 /48). */
  client: Type.String(),
  current: Type.Boolean(),
});
export const SessionList = Type.Object({ sessions: Type.Array(SessionView) });
export const SessionsEnded = Type.Object({ ended: Type.Integer() });
/** The account's address and whether it is verified. */
export const EmailState = Type.Object({ email: Type.String(), emailActive: Type.Boolean() });

const Status = Type.Union([Type.Literal('ok'), Type.Literal('down')]);
export const HealthStatus = Type.Object({
  database: Status,
  store: Status,
  /** Which backends run: postgres or embedded; redis or memory. */
  backends: Type.Object({ database: Type.String(), store: Type.String() }),
});
export type HealthStatus = Static<typeof HealthStatus>;
/** The API's own index: the route table, as GET /api/ answers it. */
export const ApiIndex = Type.Object({
  routes: Type.Array(Type.Object({ method: Type.String(), path: Type.String(), summary: Type.String() })),
});
export type ApiIndex = Static<typeof ApiIndex>;
/** Liveness: the process answers (no backend is asked). */
export const Liveness = Type.Object({ status: Type.Literal('ok') });

export type UsernameCount = Static<typeof UsernameCount>;
export type MobileCount = Static<typeof MobileCount>;
export type SmsSent = Static<typeof SmsSent>;
export type UserView = Static<typeof UserView>;
export type Registered = Static<typeof Registered>;
export type OutboxMessage = Static<typeof OutboxMessage>;
export type MailMessage = Static<typeof MailMessage>;
export type SessionView = Static<typeof SessionView>;
export type SessionList = Static<typeof SessionList>;
export type SessionsEnded = Static<typeof SessionsEnded>;
export type EmailState = Static<typeof EmailState>;

/**
 * An ALTCHA v2 challenge as altcha-lib creates it: its parameters (algorithm, cost, nonce,
 * salt, key prefix, expiry) and the server's HMAC over them. Passed to the solver as it is.
 */
export const AltchaChallenge = Type.Object({
  // The random mode's parameters (the object is passed on whole: keys altcha-lib may add pass).
  // Named rather than a Type.Record, whose builder would ship much of TypeBox to the SPA.
  parameters: Type.Object(
    {
      algorithm: Type.String(),
      cost: Type.Integer(),
      expiresAt: Type.Integer(),
      keyLength: Type.Integer(),
      keyPrefix: Type.String(),
      nonce: Type.String(),
      salt: Type.String(),
    },
    { additionalProperties: true },
  ),
  signature: Type.String(),
});
export type AltchaChallenge = Static<typeof AltchaChallenge>;
