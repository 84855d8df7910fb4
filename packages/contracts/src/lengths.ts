// The fixed lengths that both the schemas (fields.ts) and their sentences (i18n/) state, in a
// module of their own so that neither has to import the other.

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;
/** Digits in an SMS code: fixed, so the schema says exactly what a code is. */
export const SMS_CODE_LENGTH = 6;
export const CAPTCHA_LENGTH = 4;
