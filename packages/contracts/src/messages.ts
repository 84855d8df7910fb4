// What the API says when it refuses a step of the flow, shared so the SPA's mock API (and any
// client test) meets the very same texts. Field-rule messages live with the rules (fields.ts).

export const CAPTCHA_MESSAGES = {
  ipLimit: 'Too many image codes requested from your network. Please wait a minute.',
  expired: 'The image code has expired. Click the image for a new one.',
  wrong: 'The image code is wrong. A new image has been requested.',
} as const;

export const SMS_MESSAGES = {
  /** The text message itself, as the gateway (or the dev outbox) sends it. */
  text: (code: string, ttlMinutes: number) =>
    `Your verification code is ${code}. It expires in ${ttlMinutes} minutes. Do not share it with anyone.`,
  sent: 'The SMS verification code has been sent.',
  registered: 'This mobile number is already registered. Log in instead.',
  cooldown: (seconds: number) => `A code was just sent. Please wait ${seconds} s before requesting another.`,
  ipLimit: 'Too many code requests from your network. Please try again later.',
  hourlyLimit: 'Too many codes were sent to this number in the last hour. Please try again later.',
  dailyLimit: 'Too many codes were sent to this number today. Please try again tomorrow.',
  /** The provider did not answer in time: the text may still arrive, and it counted. */
  unconfirmed: (seconds: number) =>
    `The SMS service did not confirm the text in time; the code may still arrive. If it does not, request a new one in ${seconds} s.`,
  /** The number block, or the whole service, has spent its budget: nothing about this visitor. */
  busy: 'We cannot send more codes right now. Please try again later.',
  expired: 'The SMS code has expired or was used up. Request a new one.',
  wrong: (left: number) => `The SMS code is wrong. ${left} attempt${left === 1 ? '' : 's'} left.`,
  exhausted: 'The SMS code is wrong and has been cancelled after too many attempts. Request a new one.',
} as const;

export const USER_MESSAGES = {
  registered: 'Registration succeeded.',
  registeredNotLoggedIn: 'Your account was created. Please log in.',
  usernameTaken: 'This username is already taken.',
  usernameReserved: 'This username is reserved. Please choose another.',
  usernameLooksLikeMobile: 'A username cannot be a mobile number. Please choose another.',
  mobileTaken: 'This mobile number is already registered. Log in instead.',
} as const;

export const AUTH_MESSAGES = {
  loggedIn: 'Logged in.',
  loggedOut: 'Logged out.',
  failed: 'Wrong username, mobile number or password.',
  /** One sentence whichever budget refused, so a 429 tells nothing about the account. */
  throttled: 'Too many login attempts. Please wait a moment and try again.',
} as const;

/** Per-client request limits (@fastify/rate-limit), by the budget that refused. */
export const RATE_LIMIT_MESSAGES = {
  global: 'Too many requests from your network. Please slow down and try again shortly.',
  availability: 'Too many availability checks from your network. They will resume shortly; you can keep filling in the form.',
} as const;

/** Requests refused before any route's rules: the request itself is malformed. */
export const REQUEST_MESSAGES = {
  tooLarge: 'Request body is too large.',
  unsupportedType: 'Unsupported content type: send JSON or a urlencoded form.',
  malformedJson: 'Malformed JSON body.',
  emptyJson: 'Empty JSON body.',
  badLength: 'Content-Length does not match the body.',
  badUrl: 'Malformed URL.',
  badRequest: 'Bad request.',
  malformedHttp: 'Malformed HTTP request.',
  tooSlow: 'The request took too long to arrive.',
  noConnect: 'CONNECT is not supported.',
  badExpect: 'Unsupported Expect header.',
  noEndpoint: 'No such endpoint.',
  /** The dev outbox has sent nothing to this mobile. */
  noOutboxMessage: 'No data: no message to this mobile.',
} as const;

/** Server-side failures that are nobody's fault but a backend's: say so, and that a retry helps. */
export const SERVICE_MESSAGES = {
  slow: 'The service is slow right now, please retry.',
  shuttingDown: 'The service is restarting, please retry.',
  busy: 'The service is very busy right now, please retry in a moment.',
} as const;
