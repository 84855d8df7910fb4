// The SPA's own words for the pages after sign-up (password reset, account, email verification),
// in English. Apart from ui.en.ts because those pages are lazily loaded chunks: their words come
// with them, not with the first chunk (see account-words.ts). Also the shape of every other
// language's (AccountUi): a missing key does not typecheck.

export const accountUiEn = {
  reset: {
    title: 'Reset your password',
    intro: 'We text a code to the mobile number of your account. Then choose a new password.',
    mobile: 'Mobile number',
    hint: 'To get a code, enter the mobile number of your account and the image code, then press “Get code”.',
    hintAltcha: 'To get a code, enter the mobile number of your account and wait for the verification, then press “Get code”.',
    password: 'New password',
    passwordRepeat: 'Repeat new password',
    submit: 'Set new password',
    remembered: 'Remembered it?',
    logIn: 'Log in',
  },

  account: {
    title: 'Your account',
    profile: 'Profile',
    username: 'Username',
    mobile: 'Mobile number',
    email: 'Email',
    noEmail: 'None yet',
    verified: 'verified',
    unverified: 'not verified',
    home: 'Back to the home page',

    emailHeading: 'Email',
    emailIntro: 'Security notices (a password or mobile change, a reset) go to a verified address.',
    emailLabel: 'Email address',
    saveEmail: 'Save email address',
    resend: 'Resend verification email',
    devMailNote: 'Development: no email leaves this machine.',
    devMailLink: 'See the email in the dev mail outbox',

    passwordHeading: 'Change password',
    passwordIntro: 'Your other sessions are signed out; this one stays.',
    oldPassword: 'Current password',
    newPassword: 'New password',
    newPasswordRepeat: 'Repeat new password',
    changePassword: 'Change password',

    mobileHeading: 'Change mobile number',
    mobileIntro: 'We text a code to the new number to prove it is yours.',
    newMobile: 'New mobile number',
    sameMobile: 'This is already the mobile number of your account.',
    mobileHint: 'To get a code, enter an available mobile number and the image code, then press “Get code”.',
    mobileHintAltcha: 'To get a code, enter an available mobile number and wait for the verification, then press “Get code”.',
    mobilePassword: 'Current password',
    changeMobile: 'Change mobile number',

    passkeysHeading: 'Passkeys',
    passkeysIntro:
      'Log in with your fingerprint, face or screen lock instead of your password. A passkey works only on this site, so it cannot be phished.',
    passkeysLoading: 'Loading your passkeys…',
    passkeysFailed: 'Your passkeys could not be loaded.',
    noPasskeys: 'You have no passkeys yet.',
    addPasskey: 'Add a passkey',
    /** The browser's prompt was dismissed or timed out: nothing failed. */
    passkeyNotAdded: 'No passkey was added.',
    passkeyBrowserFailed: 'This browser could not create a passkey. Try again, or use another device.',
    passkeySynced: 'Synced',
    passkeyDeviceBound: 'On one device only',
    passkeyCreated: 'Added',
    passkeyLastUsed: 'Last used',
    passkeyNeverUsed: 'Never used',
    passkeyTransports: 'Connection',
    /** WebAuthn's transports, in words; any other is shown as it is. */
    transports: {
      internal: 'built into the device',
      hybrid: 'phone or tablet nearby',
      usb: 'USB',
      nfc: 'NFC',
      ble: 'Bluetooth',
      'smart-card': 'smart card',
    } as Record<string, string>,
    listGap: ', ',
    rename: 'Rename',
    saveName: 'Save name',
    cancel: 'Cancel',
    delete: 'Delete',
    confirmDelete: (name: string) => `Delete “${name}”? You will no longer be able to log in with it.`,
    deletePasskey: 'Delete passkey',

    sessionsHeading: 'Where you are signed in',
    sessionsLoading: 'Loading your sessions…',
    sessionsFailed: 'Your sessions could not be loaded.',
    reload: 'Load again',
    thisDevice: 'This device',
    signedIn: 'Signed in',
    lastSeen: 'Last active',
    network: 'Network',
    signOut: 'Sign out',
    signOutOthers: 'Sign out everywhere else',
    onlyThisOne: 'You are signed in on this device only.',
    /** The session ended meanwhile (elsewhere, or expired): the visitor logs in again. */
    sessionLost: 'Your session has ended. Please log in again.',
  },

  verify: {
    title: 'Verify your email',
    verifying: 'Verifying your email address…',
    toAccount: 'Go to your account',
    retry: 'Try again',
  },
};

export type AccountUi = typeof accountUiEn;
