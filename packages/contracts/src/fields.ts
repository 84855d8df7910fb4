// The rule for every user-typed field: one TypeBox schema each, plain JSON Schema that TypeBox's
// compiler checks (check.ts) in the API's route validation and in the SPA's form validation, so
// the two can never disagree. Two annotations, which JSON Schema ignores, say how a person meets
// the rule: `errorMessage` is shown for any violation of it, and `x-normalize` names how raw
// input is cleaned before it is checked (see NORMALIZERS).
import { Type } from 'typebox';
import { PASSWORD_MAX, PASSWORD_MESSAGES, PASSWORD_MIN } from './password-policy.ts';

export const USERNAME_PATTERN = '^[A-Za-z0-9_]{5,20}$';
export const MOBILE_PATTERN = '^1[3-9]\\d{9}$';
/** Digits in an SMS code: fixed, so the schema says exactly what a code is. */
export const SMS_CODE_LENGTH = 6;
export const CAPTCHA_LENGTH = 4;

export const NORMALIZERS = {
  trim: (raw: string) => raw.trim(),
  /** " +86 138-0013-8000"? No: surrounding spaces and a +86 / 0086 country prefix only. */
  mobile: (raw: string) => raw.trim().replace(/^(?:\+86|0086)[\s-]?/, ''),
  /** Passwords are used exactly as typed: a space is a character like any other. */
  none: (raw: string) => raw,
} as const;
export type Normalizer = keyof typeof NORMALIZERS;

export const Username = Type.String({
  title: 'Username',
  pattern: USERNAME_PATTERN,
  minLength: 5,
  maxLength: 20,
  'x-normalize': 'trim',
  errorMessage: 'Username must be 5-20 letters, digits or underscores.',
});

export const Mobile = Type.String({
  title: 'Mobile number',
  pattern: MOBILE_PATTERN,
  minLength: 11,
  maxLength: 11,
  'x-normalize': 'mobile',
  errorMessage: 'Enter an 11-digit mainland China mobile number, e.g. 13800138000.',
});

export const Password = Type.String({
  title: 'Password',
  minLength: PASSWORD_MIN,
  maxLength: PASSWORD_MAX,
  'x-normalize': 'none',
  errorMessage: PASSWORD_MESSAGES.length,
});

export const PasswordRepeat = Type.String({
  title: 'Repeat password',
  maxLength: PASSWORD_MAX,
  'x-normalize': 'none',
  errorMessage: PASSWORD_MESSAGES.differ,
});

export const SmsCode = Type.String({
  title: 'SMS code',
  pattern: `^\\d{${SMS_CODE_LENGTH}}$`,
  minLength: SMS_CODE_LENGTH,
  maxLength: SMS_CODE_LENGTH,
  'x-normalize': 'trim',
  errorMessage: `The SMS code is ${SMS_CODE_LENGTH} digits.`,
});

export const CaptchaAnswer = Type.String({
  title: 'Image code',
  pattern: `^[A-Za-z0-9]{${CAPTCHA_LENGTH}}$`,
  minLength: CAPTCHA_LENGTH,
  maxLength: CAPTCHA_LENGTH,
  'x-normalize': 'trim',
  errorMessage: `Type the ${CAPTCHA_LENGTH} characters shown in the image.`,
});

/** Login: a username or a mobile number. */
export const Account = Type.String({
  title: 'Username or mobile',
  minLength: 1,
  maxLength: 32,
  // No control characters: they can be neither a username nor a mobile, and PostgreSQL refuses NUL.
  pattern: '^[^\\u0000-\\u001f\\u007f]+$',
  'x-normalize': 'trim',
  errorMessage: 'Enter your username or mobile number.',
});

/** The login password is not held to the registration policy: old accounts must still get in. */
export const LoginPassword = Type.String({
  title: 'Password',
  minLength: 1,
  maxLength: PASSWORD_MAX,
  'x-normalize': 'none',
  errorMessage: 'Enter your password.',
});

/** Cache-busting query parameter of the captcha image (the seed's `rand`). */
export const Rand = Type.String({
  maxLength: 64,
  'x-normalize': 'trim',
  errorMessage: 'rand must be one value of at most 64 characters.',
});
