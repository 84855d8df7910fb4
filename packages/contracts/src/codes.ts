// The seed's response codes (utils/res_code.py), verbatim: the same numbers and meanings.
import { en } from './i18n/en.ts';

// errno travels as a string, as in the seed ({"errno": "0", ...}).
export const Code = {
  OK: '0',
  DBERR: '4001',
  NODATA: '4002',
  DATAEXIST: '4003',
  DATAERR: '4004',
  METHERR: '4005',
  SMSERROR: '4006',
  SMSFAIL: '4007',

  SESSIONERR: '4101',
  LOGINERR: '4102',
  PARAMERR: '4103',
  USERERR: '4104',
  ROLEERR: '4105',
  PWDERR: '4106',

  // Codes the seed has no equivalent for. 42xx is a block the seed never used.
  /** Too many requests: SMS cooldown, login or IP throttling. data.retryAfter says when to retry. */
  THROTTLED: '4201',
  /** A state-changing request from another site (cross-site form post, foreign Origin). */
  FORBIDDEN: '4202',
  /** The mail server refused or did not answer: the email was not sent (nothing was changed for it). */
  MAILERR: '4203',

  SERVERERR: '4500',
  UNKOWNERR: '4501',
} as const;

export type Code = (typeof Code)[keyof typeof Code];

/** The seed's error_map, plus the two new codes: the English catalog's (i18n/en.ts). */
export const errorMap: Record<Code, string> = en.codes;

/**
 * The HTTP status each code is answered with (the seed answered everything with 200; a client
 * should not have to parse a body to know a request failed). A few call sites refine it:
 * 413/415 for PARAMERR on bodies, 503 for SERVERERR when a backend is unreachable.
 */
export const httpStatus: Record<Code, number> = {
  [Code.OK]: 200,
  [Code.DBERR]: 503,
  [Code.NODATA]: 404,
  [Code.DATAEXIST]: 409,
  [Code.DATAERR]: 400,
  [Code.METHERR]: 405,
  [Code.SMSERROR]: 502,
  [Code.SMSFAIL]: 502,
  [Code.SESSIONERR]: 401,
  [Code.LOGINERR]: 401,
  [Code.PARAMERR]: 400,
  [Code.USERERR]: 404,
  [Code.ROLEERR]: 403,
  [Code.PWDERR]: 401,
  [Code.THROTTLED]: 429,
  [Code.FORBIDDEN]: 403,
  [Code.MAILERR]: 502,
  [Code.SERVERERR]: 500,
  [Code.UNKOWNERR]: 500,
};

export function isCode(value: unknown): value is Code {
  return typeof value === 'string' && Object.hasOwn(errorMap, value);
}
