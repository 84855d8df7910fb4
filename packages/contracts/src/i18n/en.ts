// The English catalog: every sentence the API answers and the form shows from the contracts, by
// what it is about. It is also the shape every other catalog must have (Catalog, catalog.ts):
// a translation that lacks a key, or takes other parameters, does not typecheck.
import type { Code } from '../codes.ts';
import { CAPTCHA_LENGTH, PASSWORD_MAX, PASSWORD_MIN, SMS_CODE_LENGTH } from '../lengths.ts';

export const en = {
  /** What joins two sentences: a space in English, nothing after a full-width stop. */
  sentenceGap: ' ',

  /** Each errno's errmsg when nothing more specific is said: the seed's error_map, plus ours
   * (keyed by the errno itself: codes.ts names them). */
  codes: {
    '0': 'Success',
    '4001': 'Database query error',
    '4002': 'No data',
    '4003': 'Data already exists',
    '4004': 'data error',
    '4005': 'Method error',
    '4006': 'Send SMS Verification Code Exception',
    '4007': 'Failed to send SMS Verification Code',
    '4101': 'User not logged in',
    '4102': 'User login failure',
    '4103': 'Parameter error',
    '4104': 'User does not exist or is not activated',
    '4105': 'User identity error',
    '4106': 'Password error',
    '4201': 'Too many requests, please try again later',
    '4202': 'Cross-site request refused',
    '4500': 'internal error',
    '4501': 'unknown error',
  } satisfies Record<Code, string>,

  /** Each field's name and the one sentence shown for any violation of its rule. */
  fields: {
    username: { title: 'Username', invalid: 'Username must be 5-20 letters, digits or underscores.' },
    mobile: { title: 'Mobile number', invalid: 'Enter an 11-digit mainland China mobile number, e.g. 13800138000.' },
    password: {
      title: 'Password',
      invalid: `Password must be ${PASSWORD_MIN}-${PASSWORD_MAX} characters.`,
    },
    passwordRepeat: { title: 'Repeat password', invalid: 'The two passwords do not match.' },
    smsCode: { title: 'SMS code', invalid: `The SMS code is ${SMS_CODE_LENGTH} digits.` },
    captcha: { title: 'Image code', invalid: `Type the ${CAPTCHA_LENGTH} characters shown in the image.` },
    altcha: { title: 'Verification', invalid: 'The verification could not be read. Please verify again.' },
    account: { title: 'Username or mobile', invalid: 'Enter your username or mobile number.' },
    loginPassword: { title: 'Password', invalid: 'Enter your password.' },
    rand: { title: 'rand', invalid: 'rand must be one value of at most 64 characters.' },
  },

  /** The checker's own sentences (check.ts), for fields without a sentence of their own. */
  check: {
    required: (title: string) => `${title} is required.`,
    invalid: (title: string) => `${title} is invalid.`,
    notAnObject: 'Expected an object of fields.',
    invalidRequest: 'The request is invalid.',
  },

  /** Django's password validators (password-policy.ts). */
  password: {
    differ: 'The two passwords do not match.',
    numeric: 'This password is entirely numeric.',
    similarToUsername: 'The password is too similar to the username.',
    similarToMobile: 'The password is too similar to the mobile number.',
    common: 'This password is too common.',
  },

  /** zxcvbn's verdict (password-strength.ts): its feedback keys are its whole vocabulary. */
  strength: {
    labels: ['Very weak', 'Weak', 'Fair', 'Strong', 'Very strong'] as [string, string, string, string, string],
    tooWeak: 'This password is too easy to guess.',
    warnings: {
      straightRow: 'Rows of keys on the keyboard are easy to guess.',
      keyPattern: 'Short keyboard patterns are easy to guess.',
      simpleRepeat: 'Repeated characters like "aaa" are easy to guess.',
      extendedRepeat: 'Repeated patterns like "abcabcabc" are easy to guess.',
      sequences: 'Sequences like "abc" or "123" are easy to guess.',
      recentYears: 'Recent years are easy to guess.',
      dates: 'Dates are easy to guess.',
      topTen: 'This is one of the most used passwords.',
      topHundred: 'This is a very frequently used password.',
      common: 'This is a commonly used password.',
      similarToCommon: 'This is similar to a commonly used password.',
      wordByItself: 'A single word is easy to guess.',
      namesByThemselves: 'Names and surnames on their own are easy to guess.',
      commonNames: 'Common names and surnames are easy to guess.',
      userInputs: 'It contains your username or mobile number.',
      pwned: 'This password has appeared in a data breach.',
    },
    suggestions: {
      l33t: 'Swapping letters for look-alike symbols (like @ for a) does not help much.',
      reverseWords: 'Spelling common words backwards does not help much.',
      allUppercase: 'Capitalise some letters, not all of them.',
      capitalization: 'Capitalise more than the first letter.',
      dates: 'Avoid dates and years that are linked to you.',
      recentYears: 'Avoid recent years.',
      associatedYears: 'Avoid years that are linked to you.',
      sequences: 'Avoid common sequences.',
      repeated: 'Avoid repeated words and characters.',
      longerKeyboardPattern: 'Use longer keyboard patterns that change direction.',
      anotherWord: 'Add another word or two; uncommon words are better.',
      useWords: 'Use several words, but not a common phrase.',
      noNeed: 'Symbols, digits and capitals are not needed: several words work well.',
      pwned: 'If you use it anywhere else, change it there too.',
    },
  },

  captcha: {
    ipLimit: 'Too many image codes requested from your network. Please wait a minute.',
    expired: 'The image code has expired. Click the image for a new one.',
    wrong: 'The image code is wrong. A new image has been requested.',
    /** The proof of work (the image's alternative): forged, wrong, expired or used already. */
    altchaFailed: 'The verification did not pass or has expired. Please verify again.',
    /** Both doors at once, or the alternative while an operator turned it off. */
    oneOfTwo: 'Send either the image code or the other verification, not both.',
    altchaOff: 'This verification is not available. Please type the image code.',
    altchaIpLimit: 'Too many verifications requested from your network. Please wait a minute.',
  },

  sms: {
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
  },

  user: {
    registered: 'Registration succeeded.',
    registeredNotLoggedIn: 'Your account was created. Please log in.',
    usernameTaken: 'This username is already taken.',
    usernameReserved: 'This username is reserved. Please choose another.',
    usernameLooksLikeMobile: 'A username cannot be a mobile number. Please choose another.',
    mobileTaken: 'This mobile number is already registered. Log in instead.',
  },

  auth: {
    loggedIn: 'Logged in.',
    loggedOut: 'Logged out.',
    failed: 'Wrong username, mobile number or password.',
    /** One sentence whichever budget refused, so a 429 tells nothing about the account. */
    throttled: 'Too many login attempts. Please wait a moment and try again.',
  },

  /** Per-client request limits (@fastify/rate-limit), by the budget that refused. */
  rateLimit: {
    global: 'Too many requests from your network. Please slow down and try again shortly.',
    availability: 'Too many availability checks from your network. They will resume shortly; you can keep filling in the form.',
  },

  /** Requests refused before any route's rules: the request itself is malformed. */
  request: {
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
    missingHost: 'Missing Host header.',
    noEndpoint: 'No such endpoint.',
    /** A known path asked with another method: `allowed` is what the Allow header lists. */
    methodNotAllowed: (allowed: string[]) => `Method error: use ${allowed.join(' or ')}.`,
    /** The dev outbox has sent nothing to this mobile. */
    noOutboxMessage: 'No data: no message to this mobile.',
  },

  /** Server-side failures that are nobody's fault but a backend's: say so, and that a retry helps. */
  service: {
    slow: 'The service is slow right now, please retry.',
    shuttingDown: 'The service is restarting, please retry.',
    databaseDown: 'Database unavailable, please retry.',
    storeDown: 'Service temporarily unavailable, please retry.',
    busy: 'The service is very busy right now, please retry in a moment.',
  },
};
