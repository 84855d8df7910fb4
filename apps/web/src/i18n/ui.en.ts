// The SPA's own words in English: labels, hints, buttons, page titles, the captcha's alt text.
// What the API and the form's rules say comes from the contracts' catalogs; this is the rest.
// It is also the shape of every other language's (UiCatalog): a missing key does not typecheck.

export const uiEn = {
  siteName: 'Register',
  pageTitle: (title: string) => `${title} · Register`,
  loading: 'Loading…',
  /** The language switch: its label, and each language's name in that language. */
  language: { label: 'Language', names: { en: 'English', 'zh-CN': '简体中文' } },

  api: {
    cannotReach: 'Cannot reach the server. Check your connection and try again.',
    unexpected: 'Something went wrong. Please try again.',
    unexpectedAnswer: (status: number) => `Unexpected answer from the server (HTTP ${status}).`,
  },
  session: { checkFailed: 'Could not check your session.' },
  /** 45 -> "45 seconds", 300 -> "5 minutes": a wait or a lifetime in words. */
  duration: (seconds: number) => {
    if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`;
    const minutes = Math.ceil(seconds / 60);
    return `${minutes} minute${minutes === 1 ? '' : 's'}`;
  },

  register: {
    title: 'Create your account',
    intro: 'Register with a username and your mobile number.',
    allRequired: 'All fields are required.',
    username: 'Username',
    password: 'Password',
    passwordRepeat: 'Repeat password',
    mobile: 'Mobile number',
    passwordsMatch: 'Passwords match.',
    checking: 'Checking availability…',
    available: (value: string) => `${value} is available.`,
    availabilityFailed: (reason: string) => `Could not check availability. ${reason}`,
    tryAgain: 'Please try again.',
    submit: 'Create account',
    haveAccount: 'Already have an account?',
    logIn: 'Log in',
  },

  strength: {
    empty: (min: number) => `At least ${min} characters, hard to guess: several uncommon words work well.`,
    checking: 'Checking strength…',
    verdict: (label: string, acceptable: boolean) => `Strength: ${label}${acceptable ? '' : ' (too easy to guess)'}`,
    /** Joins the verdict and its advice. */
    adviceGap: '. ',
  },

  captcha: {
    label: 'Image code',
    alt: 'Image code: type the characters shown',
    title: 'Click for a new image',
    newImage: 'New image',
    failed: 'The image could not be loaded. Try “New image”.',
  },

  /** The image code's alternative: a proof of work the browser solves, nothing to see or type. */
  altcha: {
    switchOn: "Can't read the image? Verify another way",
    switchOff: 'Use the image code instead',
    explain: 'Your browser solves a small puzzle instead: there is nothing to read or type.',
    verifying: 'Verifying… this takes a few seconds.',
    verified: 'Verified. You can now get the code.',
    failed: 'The verification could not be completed.',
    retry: 'Try again',
    spent: 'Used for the code just requested. A new verification starts when you can ask for another code.',
  },

  sms: {
    label: 'SMS code',
    hint: 'To get a code, enter an available mobile number and the image code, then press “Get code”.',
    hintAltcha: 'To get a code, enter an available mobile number and wait for the verification, then press “Get code”.',
    getCode: 'Get code',
    resendIn: (seconds: number) => `Resend in ${seconds} s`,
    sent: (digits: number, mobile: string, valid: string) =>
      `We sent a ${digits}-digit code to ${mobile}. It is valid for ${valid}.`,
    devNote: 'Development: no SMS leaves this machine.',
    devLink: 'See the code in the dev outbox',
  },

  login: {
    title: 'Log in',
    intro: 'Use your username or mobile number.',
    account: 'Username or mobile',
    password: 'Password',
    submit: 'Log in',
    tryAgainIn: (wait: string) => `Try again in ${wait}.`,
    newHere: 'New here?',
    createAccount: 'Create an account',
    forgotPassword: 'Forgot password?',
    /** Passkeys: shown only where the browser has WebAuthn. */
    or: 'or',
    passkey: 'Sign in with a passkey',
    passkeyNotUsed: 'No passkey was used. Try again, or log in with your password.',
    passkeyFailed: 'This browser could not use a passkey. Log in with your password.',
  },

  home: {
    title: 'Home',
    welcome: (username: string) => `Welcome, ${username}`,
    username: 'Username',
    mobile: 'Mobile number',
    logOut: 'Log out',
    logOutFailed: 'Could not log out. Please try again.',
    account: 'Your account',
  },

  notFound: {
    title: 'Page not found',
    intro: 'There is nothing at this address.',
    home: 'Go to the home page',
  },
};

export type UiCatalog = typeof uiEn;
