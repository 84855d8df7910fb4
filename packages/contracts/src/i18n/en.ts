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
    '4203': 'Failed to send email',
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
    purpose: { title: 'Purpose', invalid: 'purpose must be register, reset or change_mobile.' },
    oldPassword: { title: 'Current password', invalid: 'Enter your current password.' },
    email: { title: 'Email', invalid: 'Enter a valid email address of at most 254 characters.' },
    emailToken: {
      title: 'Verification link',
      invalid: 'This verification link is incomplete. Open the link from the latest email again.',
    },
    sessionId: { title: 'Session', invalid: 'No such session.' },
    passkeyName: { title: 'Passkey name', invalid: 'Name the passkey in 1-64 characters.' },
    passkeyId: { title: 'Passkey', invalid: 'No such passkey.' },
    credential: {
      title: 'Passkey',
      invalid: "The passkey's answer could not be read. Please try again.",
    },
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
    sameAsOld: 'The new password must differ from the current one.',
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
    /** The texts of the other purposes (POST /sms_code/ `purpose`). */
    resetText: (code: string, ttlMinutes: number) =>
      `Your password reset code is ${code}. It expires in ${ttlMinutes} minutes. If you did not ask for it, ignore this message.`,
    changeMobileText: (code: string, ttlMinutes: number) =>
      `Your code to make this the mobile number of your account is ${code}. It expires in ${ttlMinutes} minutes.`,
    /** A reset code's answer: the same whether the number has an account or not. */
    sentIfRegistered: 'If this number belongs to an account, a code is on its way.',
    /** Asking for a change-mobile code needs a logged-in session. */
    loginFirst: 'Log in first to change your mobile number.',
  },

  user: {
    registered: 'Registration succeeded.',
    registeredNotLoggedIn: 'Your account was created. Please log in.',
    usernameTaken: 'This username is already taken.',
    usernameReserved: 'This username is reserved. Please choose another.',
    usernameLooksLikeMobile: 'A username cannot be a mobile number. Please choose another.',
    mobileTaken: 'This mobile number is already registered. Log in instead.',
  },

  /** Password reset by SMS code (POST /password/reset/). */
  reset: {
    done: 'Your password has been changed and every session signed out. Log in with the new password.',
    /** The password changed, but ending the other sessions is still being retried (the store failed just then). */
    donePending:
      'Your password has been changed. Log in with the new password. Signing out your other sessions is taking longer than usual and will finish shortly.',
    /** Wrong, expired or used code, unknown or inactive account, a code of another purpose: one sentence. */
    codeInvalid: 'The code is wrong or has expired. Request a new one.',
  },

  /** The account page's actions (logged in). */
  account: {
    passwordChanged: 'Password changed. Your other sessions have been signed out.',
    oldPasswordWrong: 'The current password is wrong.',
    mobileChanged: 'Your mobile number has been changed.',
    sessionEnded: 'That session has been signed out.',
    othersEnded: (count: number) => `Signed out ${count} other session${count === 1 ? '' : 's'}.`,
    /** The change committed, but this browser's new session could not be saved (the store failing). */
    passwordChangedLoggedOut: 'Password changed. Log in again with the new password.',
    allEndedLoggedOut: 'Signed out everywhere, this browser too. Log in again.',
    /** DELETE /user/sessions/:id/ for an id that is not one of this user's live sessions. */
    noSuchSession: 'No such session: it may have ended already.',
    /** `hours`: the link's lifetime (EMAIL_TOKEN_TTL_SECONDS), as the email itself says it. */
    emailSent: (email: string, hours: number) =>
      `We sent a verification link to ${email}. It is valid for ${hours} hour${hours === 1 ? '' : 's'}.`,
    emailTaken: 'This email address is verified by another account.',
    emailVerified: 'Your email address is verified.',
    tokenInvalid: 'This verification link is invalid, used or expired. Request a new one on your account page.',
    emailLimit: 'Too many verification emails were sent. Please try again later.',
    /** The mail server refused or did not answer: nothing was verified. */
    mailFailed: 'The email could not be sent right now. Please try again later.',
  },

  /** Passkeys (WebAuthn): enrolling one, logging in with it, managing them. */
  passkeys: {
    added: 'Passkey added. You can now log in with it.',
    renamed: 'Passkey renamed.',
    deleted: 'Passkey deleted.',
    /** The signature, the origin, the RP ID or the challenge did not verify: one sentence. */
    failed:
      'The passkey could not be verified. If it was removed from your account, log in with your password or use another passkey.',
    /** No challenge for this session and ceremony: never asked, used already or older than 5 minutes. */
    expired: 'This passkey request has expired. Please start again.',
    limit: (max: number) => `You have ${max} passkeys, the most an account may have. Delete one to add another.`,
    notFound: 'No such passkey.',
    /** Already enrolled for this account (excludeCredentials was ignored). */
    duplicate: 'This passkey is already registered.',
    /** The signature counter went backwards: a cloned authenticator is suspected. */
    counter: 'This passkey was refused for your safety. Log in with your password and check your passkeys.',
    loggedIn: 'Logged in with a passkey.',
  },

  /** The emails the service sends (modules/mail): subject and plain text. */
  mail: {
    verifySubject: 'Verify your email address',
    verifyText: (username: string, link: string, hours: number) =>
      `Hello ${username},\n\nOpen this link to verify your email address:\n\n${link}\n\nThe link is valid for ${hours} hour${hours === 1 ? '' : 's'}. If you did not add this address to an account, ignore this email.`,
    noticeSubject: 'Security notice for your account',
    noticeText: (username: string, what: string) =>
      `Hello ${username},\n\n${what}\n\nIf this was you, there is nothing to do. If it was not, reset your password now and check the sessions on your account page.`,
    passwordReset: 'The password of your account was reset with a code sent to your mobile number.',
    passwordChanged: 'The password of your account was changed.',
    mobileChanged: (masked: string) => `The mobile number of your account was changed to ${masked}.`,
    emailChanged: (address: string) => `The email address of your account is being changed to ${address}.`,
    passkeyAdded: 'A passkey was added to your account.',
    /** The SMS notice (SECURITY_SMS_NOTICES), short. */
    smsNotice: (what: string) => `Security notice: ${what} If this was not you, reset your password.`,
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
    /** The dev mail outbox has sent nothing to this address. */
    noMailMessage: 'No data: no email to this address.',
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
