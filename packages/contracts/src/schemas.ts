// Request and response shapes of every endpoint, built from the field rules. Request schemas
// are named for the request part they check (`RegisterBody`), not for the forms that fill them.
import { type Static, Type } from 'typebox';
import {
  Account,
  AltchaPayload,
  CaptchaAnswer,
  LoginPassword,
  Mobile,
  Password,
  PasswordRepeat,
  Rand,
  SmsCode,
  Username,
} from './fields.ts';

export const UsernameParams = Type.Object({ username: Username });
export const MobileParams = Type.Object({ mobile: Mobile });
export const ImageCodeQuery = Type.Object({ rand: Type.Optional(Rand) });
/** The image code's answer, or the proof of work in its place: exactly one (smsCodeRules). */
export const SmsCodeBody = Type.Object({
  mobile: Mobile,
  captcha: Type.Optional(CaptchaAnswer),
  altcha: Type.Optional(AltchaPayload),
});
export const RegisterBody = Type.Object({
  username: Username,
  password: Password,
  password_repeat: PasswordRepeat,
  mobile: Mobile,
  sms_code: SmsCode,
});
export const LoginBody = Type.Object({ account: Account, password: LoginPassword });

/** Every request schema by name: what the SPA's build turns into standalone checks. */
export const REQUEST_SCHEMAS = { UsernameParams, MobileParams, ImageCodeQuery, SmsCodeBody, RegisterBody, LoginBody } as const;
export type RequestSchemaName = keyof typeof REQUEST_SCHEMAS;

export type UsernameParams = Static<typeof UsernameParams>;
export type MobileParams = Static<typeof MobileParams>;
export type ImageCodeQuery = Static<typeof ImageCodeQuery>;
export type SmsCodeBody = Static<typeof SmsCodeBody>;
export type RegisterBody = Static<typeof RegisterBody>;
export type LoginBody = Static<typeof LoginBody>;

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
export const UserView = Type.Object({ id: Type.Integer(), username: Type.String(), mobile: Type.String() });
/**
 * What registration answers: the new user, and whether this browser is now logged in (false when
 * the account was created but the session could not be started: the visitor then logs in).
 */
export const Registered = Type.Object({
  id: Type.Integer(),
  username: Type.String(),
  mobile: Type.String(),
  loggedIn: Type.Boolean(),
});
export const OutboxMessage = Type.Object({
  mobile: Type.String(),
  code: Type.String(),
  text: Type.String(),
  sentAt: Type.String({ format: 'date-time' }),
});

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
