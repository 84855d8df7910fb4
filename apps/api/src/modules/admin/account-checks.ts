// The rules an operator's account meets: registration's own. Username and mobile are checked by
// the contracts' field schemas (TypeBox's compiler, their normalisation and messages), the
// password by the same policy (Django's validators, the API's leaked-password list) and zxcvbn
// estimate as registration. Only the reserved names are the operator's to take (as Django's
// createsuperuser may): a username still cannot be a mobile number, which login reads as one.
import { Email, en, MOBILE_PATTERN, Mobile, Password, passwordPolicyProblem, USER_MESSAGES, Username } from '@register/contracts';
import { requestChecker } from '@register/contracts/compile';
import { passwordStrength } from '@register/contracts/password-strength';
import { Type } from 'typebox';
import { isCommonPassword } from '../users/passwords.ts';

// The email is the account page's own field (contracts' Email): the same pattern, and stored in
// lower case like every other address, so that one address is one address whoever typed it.
const AccountFields = Type.Object({ username: Username, mobile: Mobile, email: Type.Optional(Email), password: Password });
export type AccountField = 'username' | 'mobile' | 'email' | 'password';
const check = requestChecker<Partial<Record<AccountField, string>>>(AccountFields);
const MOBILE = new RegExp(MOBILE_PATTERN);
export type FieldCheck = { ok: true; value: string } | { ok: false; problem: string };

/** One field as typed: its normalised value, or what is wrong with it. */
export function checkField(name: AccountField, raw: string): FieldCheck {
  const result = check({ [name]: raw });
  const value = String((result.ok ? result.value : result.partial)[name] ?? '');
  const problem = result.ok ? undefined : result.fields[name];
  if (problem) return { ok: false, problem };
  if (name === 'username' && MOBILE.test(value)) return { ok: false, problem: USER_MESSAGES.usernameLooksLikeMobile };
  return { ok: true, value };
}

/**
 * What no bypass may take: a length outside the contracts' Password bounds (PASSWORD_MIN to
 * PASSWORD_MAX), which the login route's own schema refuses, so the account could never log in.
 * (Django, likewise, lets an operator bypass the validators, never a blank password.)
 */
export function passwordLengthProblem(password: string): string | null {
  const length = checkField('password', password);
  return length.ok ? null : length.problem;
}

/**
 * Every problem registration would find with this password (none: it passes). Only the policy's
 * and zxcvbn's may be bypassed: a length problem comes alone, and passwordLengthProblem names it.
 */
export function passwordProblems(password: string, attributes: { username?: string; mobile?: string }): string[] {
  const length = passwordLengthProblem(password);
  if (length) return [length];
  const problems: string[] = [];
  const policy = passwordPolicyProblem(password, attributes, isCommonPassword);
  if (policy) problems.push(policy);
  const strength = passwordStrength(password, attributes, en).problem;
  if (strength) problems.push(strength);
  return problems;
}
