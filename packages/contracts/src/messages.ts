// The English sentences by flow, under the names the API's tests and the mock API have always
// used. They are the English catalog's (i18n/en.ts): a service that refuses a request says it
// as a Text (`text.sms.cooldown(30)`, i18n/catalog.ts) so the answer can be in the visitor's
// language; these are for places that are English by design (tests, logs).
import { en } from './i18n/en.ts';

export const CAPTCHA_MESSAGES = en.captcha;
export const SMS_MESSAGES = en.sms;
export const USER_MESSAGES = en.user;
export const AUTH_MESSAGES = en.auth;
export const RATE_LIMIT_MESSAGES = en.rateLimit;
export const REQUEST_MESSAGES = en.request;
export const SERVICE_MESSAGES = en.service;
