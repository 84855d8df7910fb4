// Request and response shapes of every endpoint, built from the field rules.
import { type Static, type TObject, Type } from 'typebox';
import {
  Account,
  CaptchaAnswer,
  LoginPassword,
  Mobile,
  Password,
  PasswordRepeat,
  Rand,
  SMS_CODE_LENGTH,
  smsCodeField,
  Username,
} from './fields.ts';
import { passwordPolicyProblem } from './password-policy.ts';
import { usernameProblem } from './reserved-usernames.ts';
import { type FieldErrors, type FormResult, validateForm } from './validate.ts';

export const UsernameParams = Type.Object({ username: Username });
export const MobileParams = Type.Object({ mobile: Mobile });
export const ImageCodeQuery = Type.Object({ rand: Type.Optional(Rand) });
export const SmsCodeForm = Type.Object({ mobile: Mobile, captcha: CaptchaAnswer });
export function registerFormSchema(smsCodeLength: number = SMS_CODE_LENGTH) {
  return Type.Object({
    username: Username,
    password: Password,
    password_repeat: PasswordRepeat,
    mobile: Mobile,
    sms_code: smsCodeField(smsCodeLength),
  });
}
export const RegisterForm = registerFormSchema();
export const LoginForm = Type.Object({ account: Account, password: LoginPassword });

export type UsernameParams = Static<typeof UsernameParams>;
export type MobileParams = Static<typeof MobileParams>;
export type ImageCodeQuery = Static<typeof ImageCodeQuery>;
export type SmsCodeForm = Static<typeof SmsCodeForm>;
export type RegisterForm = Static<typeof RegisterForm>;
export type LoginForm = Static<typeof LoginForm>;

/** Rules across fields of the register form: no reserved name; the passwords match and obey the policy. */
function refineRegister(value: Partial<RegisterForm>, fields: FieldErrors): void {
  const { password, password_repeat: repeat } = value;
  const problem = value.username !== undefined && !fields.username ? usernameProblem(value.username) : null;
  if (problem) fields.username = problem;
  if (password !== undefined && !fields.password) {
    const problem = passwordPolicyProblem(password, { username: value.username, mobile: value.mobile });
    if (problem) fields.password = problem;
  }
  if (password !== undefined && repeat !== undefined && repeat !== password && !fields.password_repeat) {
    fields.password_repeat = 'The two passwords do not match.';
  }
}

const REFINEMENTS = new WeakMap<TObject, (value: never, fields: FieldErrors) => void>();
/** Marks a register-form schema (any SMS code length) for the cross-field rules. */
export function withRegisterRules<T extends TObject>(schema: T): T {
  REFINEMENTS.set(schema, refineRegister);
  return schema;
}
withRegisterRules(RegisterForm);

/**
 * Validates a request part (body, params, query) against its schema: every field rule, then the
 * schema's cross-field rules on the fields that passed. This is what the API's validator and the
 * SPA's form resolver both call.
 */
export function validateRequest<T>(schema: TObject, input: unknown): FormResult<T> {
  const result = validateForm<Record<string, string>>(schema, input);
  const refine = REFINEMENTS.get(schema) as ((value: Partial<Record<string, string>>, fields: FieldErrors) => void) | undefined;
  if (!refine) return result as FormResult<T>;
  const fields: FieldErrors = result.ok ? {} : { ...result.fields };
  const value = result.ok ? result.value : result.partial;
  refine(value, fields);
  return Object.keys(fields).length ? { ok: false, fields, partial: value as Partial<T> } : { ok: true, value: value as T };
}

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
/** Liveness: the process answers (no backend is asked). */
export const Liveness = Type.Object({ status: Type.Literal('ok') });

export type UsernameCount = Static<typeof UsernameCount>;
export type MobileCount = Static<typeof MobileCount>;
export type SmsSent = Static<typeof SmsSent>;
export type UserView = Static<typeof UserView>;
export type Registered = Static<typeof Registered>;
export type OutboxMessage = Static<typeof OutboxMessage>;
