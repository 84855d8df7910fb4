// The rule for every user-typed field: one TypeBox schema each, plain JSON Schema that TypeBox's
// compiler checks (check.ts) in the API's route validation and in the SPA's form validation, so
// the two can never disagree. Annotations, which JSON Schema ignores, say how a person meets the
// rule: `x-field` names the field's entry in the message catalogs (i18n/: its title and the one
// sentence shown for any violation, in the visitor's language), `title` and `errorMessage` are
// that entry in English (for the OpenAPI document and any JSON Schema reader), and `x-normalize`
// names how raw input is cleaned before it is checked (see NORMALIZERS).
import { Type } from 'typebox';
import { en } from './i18n/en.ts';
import { CAPTCHA_LENGTH, PASSWORD_MAX, PASSWORD_MIN, SMS_CODE_LENGTH } from './lengths.ts';

export { CAPTCHA_LENGTH, SMS_CODE_LENGTH } from './lengths.ts';

export const USERNAME_PATTERN = '^[A-Za-z0-9_]{5,20}$';
export const MOBILE_PATTERN = '^1[3-9]\\d{9}$';

export const NORMALIZERS = {
  trim: (raw: string) => raw.trim(),
  /** " +86 138-0013-8000"? No: surrounding spaces and a +86 / 0086 country prefix only. */
  mobile: (raw: string) => raw.trim().replace(/^(?:\+86|0086)[\s-]?/, ''),
  /** Passwords are used exactly as typed: a space is a character like any other. */
  none: (raw: string) => raw,
  /** Email addresses are compared and stored in lower case, without surrounding spaces. */
  email: (raw: string) => raw.trim().toLowerCase(),
} as const;
export type Normalizer = keyof typeof NORMALIZERS;
export type FieldKey = keyof typeof en.fields;

/** A field's catalog entry, in English where a schema reader sees it. */
const said = (field: FieldKey) => ({
  'x-field': field,
  title: en.fields[field].title,
  errorMessage: en.fields[field].invalid,
});

export const Username = Type.String({
  ...said('username'),
  pattern: USERNAME_PATTERN,
  minLength: 5,
  maxLength: 20,
  'x-normalize': 'trim',
});

export const Mobile = Type.String({
  ...said('mobile'),
  pattern: MOBILE_PATTERN,
  minLength: 11,
  maxLength: 11,
  'x-normalize': 'mobile',
});

export const Password = Type.String({
  ...said('password'),
  minLength: PASSWORD_MIN,
  maxLength: PASSWORD_MAX,
  'x-normalize': 'none',
});

export const PasswordRepeat = Type.String({
  ...said('passwordRepeat'),
  maxLength: PASSWORD_MAX,
  'x-normalize': 'none',
});

export const SmsCode = Type.String({
  ...said('smsCode'),
  pattern: `^\\d{${SMS_CODE_LENGTH}}$`,
  minLength: SMS_CODE_LENGTH,
  maxLength: SMS_CODE_LENGTH,
  'x-normalize': 'trim',
});

export const CaptchaAnswer = Type.String({
  ...said('captcha'),
  pattern: `^[A-Za-z0-9]{${CAPTCHA_LENGTH}}$`,
  minLength: CAPTCHA_LENGTH,
  maxLength: CAPTCHA_LENGTH,
  'x-normalize': 'trim',
});

/**
 * The proof of work, the image code's alternative (ALTCHA v2): the base64 of the JSON
 * `{ challenge, solution }` the solver produces. Its content is checked by altcha-lib.
 */
export const AltchaPayload = Type.String({
  ...said('altcha'),
  minLength: 1,
  maxLength: 4096,
  pattern: '^[A-Za-z0-9+/=_-]+$',
  'x-normalize': 'trim',
});

/** Login: a username or a mobile number. */
export const Account = Type.String({
  ...said('account'),
  minLength: 1,
  maxLength: 32,
  // No control characters: they can be neither a username nor a mobile, and PostgreSQL refuses NUL.
  pattern: '^[^\\u0000-\\u001f\\u007f]+$',
  'x-normalize': 'trim',
});

/** The login password is not held to the registration policy: old accounts must still get in. */
export const LoginPassword = Type.String({
  ...said('loginPassword'),
  minLength: 1,
  maxLength: PASSWORD_MAX,
  'x-normalize': 'none',
});

/** Cache-busting query parameter of the captcha image (the seed's `rand`). */
export const Rand = Type.String({
  ...said('rand'),
  maxLength: 64,
  'x-normalize': 'trim',
});

/** Which flow an SMS code is for (POST /sms_code/ `purpose`): a code of one never serves another. */
export const SMS_PURPOSES = ['register', 'reset', 'change_mobile'] as const;
export type SmsPurpose = (typeof SMS_PURPOSES)[number];
// The literals spelled out (not SMS_PURPOSES.map): a mapped array is no tuple, and its Static would be never.
export const SmsPurposeField = Type.Union(
  [Type.Literal(SMS_PURPOSES[0]), Type.Literal(SMS_PURPOSES[1]), Type.Literal(SMS_PURPOSES[2])],
  { ...said('purpose'), 'x-normalize': 'trim' },
);

/** The account page's "current password": like the login's, not held to the policy. */
export const OldPassword = Type.String({
  ...said('oldPassword'),
  minLength: 1,
  maxLength: PASSWORD_MAX,
  'x-normalize': 'none',
});

/**
 * An email address (RFC 5321's 254 characters at most): a dot-atom local part (RFC 5322's
 * atext, and letters, marks and digits of any script for internationalised addresses), one @,
 * and a domain of two or more labels (letters, marks, digits, inner hyphens). Deliverability is
 * proven by the verification link, not by a pattern; the pattern makes sure that what is stored
 * is exactly where the mail goes: no quoted local parts, no `<>,;:()` that a mail library would
 * read as address syntax and rewrite into another address (nodemailer turns `a>b@x.com` into
 * `"a b"@x.com`, and sends `a@x.com,evil` as is), and no control, format (bidi, zero-width) or
 * separator characters, which would reach a header or a notice's text unseen.
 */
export const EMAIL_MAX = 254;
// Class syntax characters escaped, so that the pattern reads the same under the v flag (an
// HTML input's pattern attribute) as under u.
const EMAIL_ATEXT = "A-Za-z0-9!#$%&'*+\\/=?^_`\\{\\|\\}~\\p{L}\\p{M}\\p{N}\\-";
const EMAIL_LABEL = '[\\p{L}\\p{M}\\p{N}](?:[\\p{L}\\p{M}\\p{N}\\-]*[\\p{L}\\p{M}\\p{N}])?';
export const EMAIL_PATTERN = `^[${EMAIL_ATEXT}]+(?:\\.[${EMAIL_ATEXT}]+)*@${EMAIL_LABEL}(?:\\.${EMAIL_LABEL})+$`;
export const Email = Type.String({
  ...said('email'),
  minLength: 3,
  maxLength: EMAIL_MAX,
  // Unicode property escapes: the pattern is compiled with the u flag (TypeBox, and JSON Schema's own reading).
  pattern: EMAIL_PATTERN,
  'x-normalize': 'email',
});

/** The token of an email verification link (base64url, at least 128 bits). */
export const EmailToken = Type.String({
  ...said('emailToken'),
  minLength: 22,
  maxLength: 128,
  pattern: '^[A-Za-z0-9_-]+$',
  'x-normalize': 'trim',
});

/** A session's opaque id in the sessions list (never the session id itself). */
export const SessionRef = Type.String({
  ...said('sessionId'),
  minLength: 8,
  maxLength: 64,
  pattern: '^[A-Za-z0-9_-]+$',
  'x-normalize': 'trim',
});

/** A passkey's name, as its user calls it ("Work laptop"): printable, at most 64 characters. */
export const PasskeyName = Type.String({
  ...said('passkeyName'),
  minLength: 1,
  maxLength: 64,
  pattern: '^[^\\u0000-\\u001f\\u007f]+$',
  'x-normalize': 'trim',
});

/** A passkey's id in the account's list. */
export const PasskeyRef = Type.String({
  ...said('passkeyId'),
  minLength: 1,
  maxLength: 64,
  pattern: '^[A-Za-z0-9_-]+$',
  'x-normalize': 'trim',
});

/** base64url, as WebAuthn's JSON forms encode every binary value; bounded so no answer is unbounded work. */
const base64url = (maxLength: number) => Type.String({ minLength: 1, maxLength, pattern: '^[A-Za-z0-9_-]+={0,2}$' });

/** The credential id of a passkey (base64url; authenticators use at most 1023 bytes). */
export const CredentialId = Type.String({
  ...said('credential'),
  minLength: 1,
  maxLength: 1400,
  pattern: '^[A-Za-z0-9_-]+={0,2}$',
  'x-normalize': 'trim',
});

/** `type` of a WebAuthn credential: always public-key. */
export const CredentialType = Type.Literal('public-key', { ...said('credential') });

/** An authenticator's attestation response (startRegistration's `response`), as JSON. */
export const AttestationResponseField = Type.Object(
  {
    clientDataJSON: base64url(8192),
    attestationObject: base64url(65536),
    authenticatorData: Type.Optional(base64url(65536)),
    transports: Type.Optional(Type.Array(Type.String({ maxLength: 32 }), { maxItems: 16 })),
    publicKeyAlgorithm: Type.Optional(Type.Integer()),
    publicKey: Type.Optional(base64url(8192)),
  },
  { ...said('credential'), additionalProperties: true },
);

/** An authenticator's assertion response (startAuthentication's `response`), as JSON. */
export const AssertionResponseField = Type.Object(
  {
    clientDataJSON: base64url(8192),
    authenticatorData: base64url(65536),
    signature: base64url(8192),
    userHandle: Type.Optional(Type.String({ maxLength: 512, pattern: '^[A-Za-z0-9_-]*={0,2}$' })),
  },
  { ...said('credential'), additionalProperties: true },
);

/** clientExtensionResults: whatever the browser reports, kept small. */
export const ClientExtensionResults = Type.Object({}, { ...said('credential'), additionalProperties: true, maxProperties: 32 });

/** authenticatorAttachment: platform or cross-platform (absent when the browser does not say). */
export const AuthenticatorAttachment = Type.Union([Type.Literal('platform'), Type.Literal('cross-platform')], {
  ...said('credential'),
});
