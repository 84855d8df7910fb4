// Rules across the fields of one request, named in the route table next to its schema and run
// by the same checker (check.ts) on the server and in the SPA's form resolver, after the field
// rules, on the fields that passed them.
import type { Catalog } from './i18n/catalog.ts';
import { en } from './i18n/en.ts';
import { type CommonPasswordCheck, passwordPolicyProblem } from './password-policy.ts';
import { usernameProblem } from './reserved-usernames.ts';
import type { ChangePasswordBody, PasswordResetBody, RegisterBody, SmsCodeBody } from './schemas.ts';

/** Messages by field name (`_` for the request as a whole). */
export type FieldErrors = Record<string, string>;
/** On failure, `partial` holds the normalised values of the fields that passed. */
export type CheckResult<T> = { ok: true; value: T } | { ok: false; fields: FieldErrors; partial: Partial<T> };

/** What only one side can supply: the API passes its leaked-password list, the SPA nothing. */
export interface RuleContext {
  isCommonPassword?: CommonPasswordCheck;
  /** The language of every message (the checker's and the rules'): English by default. */
  messages?: Catalog;
}

/** Adds a message to `fields` for each problem it finds; never replaces a field rule's message. */
export type CrossFieldRule<T> = (value: Partial<T>, fields: FieldErrors, context: RuleContext) => void;

/** Registration: no reserved name; the password obeys the policy; the two passwords match. */
export const registerRules: CrossFieldRule<RegisterBody> = (value, fields, context) => {
  const { username, password, password_repeat: repeat, mobile } = value;
  const says = context.messages ?? en;
  const reserved = username !== undefined && !fields.username ? usernameProblem(username, says) : null;
  if (reserved) fields.username = reserved;
  if (password !== undefined && !fields.password) {
    const problem = passwordPolicyProblem(password, { username, mobile }, context.isCommonPassword, says);
    if (problem) fields.password = problem;
  }
  if (password !== undefined && repeat !== undefined && repeat !== password && !fields.password_repeat) {
    fields.password_repeat = says.password.differ;
  }
};

/**
 * Asking for an SMS code: the image code's answer or the proof of work, exactly one. Neither is
 * the image code missing (the door everybody sees); both is a request no form sends.
 */
export const smsCodeRules: CrossFieldRule<SmsCodeBody> = (value, fields, context) => {
  const says = context.messages ?? en;
  const hasCaptcha = value.captcha !== undefined || fields.captcha !== undefined;
  const hasAltcha = value.altcha !== undefined || fields.altcha !== undefined;
  if (hasCaptcha && hasAltcha) fields._ = says.captcha.oneOfTwo;
  else if (!hasCaptcha && !hasAltcha) fields.captcha = says.check.required(says.fields.captcha.title);
};

/** A password reset: the policy (the account's username is checked by the server) and the repeat. */
export const passwordResetRules: CrossFieldRule<PasswordResetBody> = (value, fields, context) => {
  const { password, password_repeat: repeat, mobile } = value;
  const says = context.messages ?? en;
  if (password !== undefined && !fields.password) {
    const problem = passwordPolicyProblem(password, { mobile }, context.isCommonPassword, says);
    if (problem) fields.password = problem;
  }
  if (password !== undefined && repeat !== undefined && repeat !== password && !fields.password_repeat) {
    fields.password_repeat = says.password.differ;
  }
};

/** Changing the password: the policy, the repeat, and a new password that is not the current one. */
export const changePasswordRules: CrossFieldRule<ChangePasswordBody> = (value, fields, context) => {
  const { old_password: old, password, password_repeat: repeat } = value;
  const says = context.messages ?? en;
  if (password !== undefined && !fields.password) {
    const problem =
      old !== undefined && old === password
        ? says.password.sameAsOld
        : passwordPolicyProblem(password, {}, context.isCommonPassword, says);
    if (problem) fields.password = problem;
  }
  if (password !== undefined && repeat !== undefined && repeat !== password && !fields.password_repeat) {
    fields.password_repeat = says.password.differ;
  }
};
