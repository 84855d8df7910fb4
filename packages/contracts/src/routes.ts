// One table of every endpoint: the API registers its routes from it, the SPA's client and the
// mock API call and answer them from it.
import { type TObject, type TSchema, Type } from 'typebox';
import { Code } from './codes.ts';
import {
  PasskeyCreationOptions,
  PasskeyList,
  PasskeyLoginBody,
  PasskeyParams,
  PasskeyRegisterBody,
  PasskeyRenameBody,
  PasskeyRequestOptions,
  PasskeyView,
} from './passkeys.ts';
import { type CrossFieldRule, changePasswordRules, passwordResetRules, registerRules, smsCodeRules } from './rules.ts';
import {
  AltchaChallenge,
  ApiIndex,
  ChangeMobileBody,
  ChangePasswordBody,
  EmailParams,
  EmailState,
  HealthStatus,
  ImageCodeQuery,
  Liveness,
  LoginBody,
  MailMessage,
  MobileCount,
  MobileParams,
  OutboxMessage,
  PasswordResetBody,
  RegisterBody,
  Registered,
  SessionList,
  SessionParams,
  SessionsEnded,
  SetEmailBody,
  SmsCodeBody,
  SmsSent,
  UsernameCount,
  UsernameParams,
  UserView,
  VerifyEmailBody,
} from './schemas.ts';

export const API_PREFIX = '/api';

export interface RouteSpec {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Beneath the API prefix, with the seed's trailing slash (optional when calling). */
  path: string;
  summary: string;
  params?: TObject;
  querystring?: TObject;
  body?: TObject;
  /** Rules across the body's fields, run after its schema by the same checker (rules.ts). */
  // biome-ignore lint/suspicious/noExplicitAny: each route's rule is typed by its own body.
  rules?: CrossFieldRule<any>;
  /** The success envelope's `data`; absent for the captcha image. */
  data?: TSchema;
  /** Statuses whose envelope carries that `data` (default: 200 only; health answers 503 with it too). */
  dataStatuses?: readonly number[];
  /**
   * The errno values this route itself answers, by HTTP status (the OpenAPI document's
   * responses). Those every route shares (a malformed request, the deadline, a crash; for POST,
   * the body and origin checks) are added by routeErrors(), not repeated here.
   */
  errors?: RouteErrors;
}

/** HTTP status -> the errno values answered with it. */
export type RouteErrors = Readonly<Partial<Record<number, readonly Code[]>>>;

export const routes = {
  index: {
    method: 'GET',
    path: '/',
    summary: 'This API: every route, with its method, path and summary.',
    data: ApiIndex,
    errors: { 429: [Code.THROTTLED] },
  },
  imageCode: {
    method: 'GET',
    path: '/image_code/',
    summary: 'A new captcha image (PNG); its answer replaces the previous one in the session.',
    querystring: ImageCodeQuery,
    errors: { 400: [Code.PARAMERR], 429: [Code.THROTTLED], 503: [Code.SERVERERR] },
  },
  altchaChallenge: {
    method: 'GET',
    path: '/captcha/altcha/',
    summary:
      "The image code's alternative, for people who cannot read it: a signed ALTCHA v2 proof-of-work challenge (404 when ALTCHA_ENABLED=false).",
    data: AltchaChallenge,
    errors: { 404: [Code.NODATA], 429: [Code.THROTTLED] },
  },
  checkUsername: {
    method: 'GET',
    path: '/username/:username/',
    summary: 'How many users have this username (case-insensitive): 0 or 1.',
    params: UsernameParams,
    data: UsernameCount,
    errors: { 400: [Code.PARAMERR], 429: [Code.THROTTLED], 503: [Code.DBERR] },
  },
  checkMobile: {
    method: 'GET',
    path: '/mobile/:mobile/',
    summary: 'How many users have this mobile number: 0 or 1.',
    params: MobileParams,
    data: MobileCount,
    errors: { 400: [Code.PARAMERR], 429: [Code.THROTTLED], 503: [Code.DBERR] },
  },
  sendSmsCode: {
    method: 'POST',
    path: '/sms_code/',
    summary:
      "Spends the session's captcha (or a solved proof of work, `altcha`, in its place: exactly one of the two) and texts a verification code to the mobile, for `purpose` register (the default), reset or change_mobile (logged in). A reset answers the same whether or not the number has an account.",
    body: SmsCodeBody,
    rules: smsCodeRules,
    data: SmsSent,
    errors: {
      400: [Code.PARAMERR],
      401: [Code.SESSIONERR],
      409: [Code.DATAEXIST],
      429: [Code.THROTTLED],
      502: [Code.SMSERROR, Code.SMSFAIL],
      503: [Code.DBERR, Code.SERVERERR],
    },
  },
  register: {
    method: 'POST',
    path: '/user/register/',
    summary: 'Creates the account with a valid SMS code and logs it in (loggedIn: false when only the first worked).',
    body: RegisterBody,
    rules: registerRules,
    data: Registered,
    errors: { 400: [Code.PARAMERR], 409: [Code.DATAEXIST], 429: [Code.THROTTLED], 503: [Code.DBERR, Code.SERVERERR] },
  },
  login: {
    method: 'POST',
    path: '/user/login/',
    summary: 'Logs in with a username or mobile number and a password.',
    body: LoginBody,
    data: UserView,
    errors: { 400: [Code.PARAMERR], 401: [Code.LOGINERR], 429: [Code.THROTTLED], 503: [Code.DBERR, Code.SERVERERR] },
  },
  logout: {
    method: 'POST',
    path: '/user/logout/',
    summary: 'Ends the session.',
    data: Type.Null(),
    errors: { 429: [Code.THROTTLED], 503: [Code.SERVERERR] },
  },
  me: {
    method: 'GET',
    path: '/user/me/',
    summary: 'The logged-in user, or 401 SESSIONERR.',
    data: UserView,
    errors: { 401: [Code.SESSIONERR], 429: [Code.THROTTLED], 503: [Code.DBERR, Code.SERVERERR] },
  },
  session: {
    method: 'GET',
    path: '/user/session/',
    summary: "The logged-in user, or data: null for a visitor (200 either way): a page's question, never an error.",
    data: UserView,
    errors: { 429: [Code.THROTTLED], 503: [Code.DBERR, Code.SERVERERR] },
  },
  passwordReset: {
    method: 'POST',
    path: '/password/reset/',
    summary:
      'Sets a new password with a code of purpose reset, ends every session of the account and logs nobody in. Every kind of wrong code or account answers the same.',
    body: PasswordResetBody,
    rules: passwordResetRules,
    data: Type.Null(),
    errors: { 400: [Code.PARAMERR], 429: [Code.THROTTLED], 503: [Code.DBERR, Code.SERVERERR] },
  },
  changePassword: {
    method: 'POST',
    path: '/user/password/',
    summary:
      "Changes the logged-in user's password (the current one confirms it): a new session id, and every other session ends.",
    body: ChangePasswordBody,
    rules: changePasswordRules,
    data: UserView,
    errors: {
      400: [Code.PARAMERR],
      401: [Code.SESSIONERR, Code.PWDERR],
      429: [Code.THROTTLED],
      503: [Code.DBERR, Code.SERVERERR],
    },
  },
  changeMobile: {
    method: 'POST',
    path: '/user/mobile/',
    summary:
      "Changes the logged-in user's mobile to a number proven by a code of purpose change_mobile, with the current password.",
    body: ChangeMobileBody,
    data: UserView,
    errors: {
      400: [Code.PARAMERR],
      401: [Code.SESSIONERR, Code.PWDERR],
      409: [Code.DATAEXIST],
      429: [Code.THROTTLED],
      503: [Code.DBERR, Code.SERVERERR],
    },
  },
  sessions: {
    method: 'GET',
    path: '/user/sessions/',
    summary: "The logged-in user's live sessions: opaque ids, times, device, truncated address, and which is this one.",
    data: SessionList,
    errors: { 401: [Code.SESSIONERR], 429: [Code.THROTTLED], 503: [Code.DBERR, Code.SERVERERR] },
  },
  endSession: {
    method: 'DELETE',
    path: '/user/sessions/:id/',
    summary: "Ends one of the logged-in user's sessions (by its opaque id from the list).",
    params: SessionParams,
    data: Type.Null(),
    errors: {
      400: [Code.PARAMERR],
      401: [Code.SESSIONERR],
      404: [Code.NODATA],
      429: [Code.THROTTLED],
      503: [Code.DBERR, Code.SERVERERR],
    },
  },
  logoutAll: {
    method: 'POST',
    path: '/user/logout_all/',
    summary: 'Ends every session of the logged-in user but the current one.',
    data: SessionsEnded,
    errors: { 401: [Code.SESSIONERR], 429: [Code.THROTTLED], 503: [Code.DBERR, Code.SERVERERR] },
  },
  setEmail: {
    method: 'POST',
    path: '/user/email/',
    summary:
      "Sets the logged-in user's email address (unverified) and mails a verification link; the same address again resends it.",
    body: SetEmailBody,
    data: EmailState,
    errors: {
      400: [Code.PARAMERR],
      401: [Code.SESSIONERR],
      409: [Code.DATAEXIST],
      429: [Code.THROTTLED],
      502: [Code.MAILERR],
      503: [Code.DBERR, Code.SERVERERR],
    },
  },
  verifyEmail: {
    method: 'POST',
    path: '/user/email/verify/',
    summary: 'Verifies an email address with the token of its link (no session needed: the token is the proof).',
    body: VerifyEmailBody,
    data: EmailState,
    errors: { 400: [Code.PARAMERR], 409: [Code.DATAEXIST], 429: [Code.THROTTLED], 503: [Code.DBERR, Code.SERVERERR] },
  },
  passkeyRegisterOptions: {
    method: 'POST',
    path: '/passkeys/register/options/',
    summary:
      'Starts enrolling a passkey for the logged-in user: WebAuthn creation options in their JSON form (a resident key, user verification preferred, the existing passkeys excluded).',
    data: PasskeyCreationOptions,
    errors: { 401: [Code.SESSIONERR], 409: [Code.DATAEXIST], 429: [Code.THROTTLED], 503: [Code.DBERR, Code.SERVERERR] },
  },
  passkeyRegisterVerify: {
    method: 'POST',
    path: '/passkeys/register/verify/',
    summary: "Stores the new passkey from the credential's JSON form (credential.toJSON()); its challenge is used once.",
    body: PasskeyRegisterBody,
    data: PasskeyView,
    errors: {
      400: [Code.PARAMERR],
      401: [Code.SESSIONERR],
      409: [Code.DATAEXIST],
      429: [Code.THROTTLED],
      503: [Code.DBERR, Code.SERVERERR],
    },
  },
  passkeyLoginOptions: {
    method: 'POST',
    path: '/passkeys/login/options/',
    summary: 'Starts a login with a passkey alone (discoverable credentials: no username, empty allowCredentials).',
    data: PasskeyRequestOptions,
    errors: { 429: [Code.THROTTLED], 503: [Code.SERVERERR] },
  },
  passkeyLoginVerify: {
    method: 'POST',
    path: '/passkeys/login/verify/',
    summary: "Logs in with the assertion's JSON form, exactly as a password login does (new session id, the same answer).",
    body: PasskeyLoginBody,
    data: UserView,
    errors: {
      400: [Code.PARAMERR],
      401: [Code.LOGINERR],
      429: [Code.THROTTLED],
      503: [Code.DBERR, Code.SERVERERR],
    },
  },
  passkeys: {
    method: 'GET',
    path: '/user/passkeys/',
    summary: "The logged-in user's passkeys: name, created and last-used times, transports, backed up (never the public key).",
    data: PasskeyList,
    errors: { 401: [Code.SESSIONERR], 429: [Code.THROTTLED], 503: [Code.DBERR, Code.SERVERERR] },
  },
  renamePasskey: {
    method: 'PATCH',
    path: '/user/passkeys/:id/',
    summary: "Renames one of the logged-in user's passkeys.",
    params: PasskeyParams,
    body: PasskeyRenameBody,
    data: PasskeyView,
    errors: {
      400: [Code.PARAMERR],
      401: [Code.SESSIONERR],
      404: [Code.NODATA],
      429: [Code.THROTTLED],
      503: [Code.DBERR, Code.SERVERERR],
    },
  },
  deletePasskey: {
    method: 'DELETE',
    path: '/user/passkeys/:id/',
    summary: "Deletes one of the logged-in user's passkeys.",
    params: PasskeyParams,
    data: Type.Null(),
    errors: {
      400: [Code.PARAMERR],
      401: [Code.SESSIONERR],
      404: [Code.NODATA],
      429: [Code.THROTTLED],
      503: [Code.DBERR, Code.SERVERERR],
    },
  },
  health: {
    method: 'GET',
    path: '/health/',
    summary: 'Liveness of the database and the store: 200 when both answer, else 503.',
    data: HealthStatus,
    dataStatuses: [200, 503],
    errors: { 503: [Code.SERVERERR] },
  },
  healthz: {
    method: 'GET',
    path: '/healthz',
    summary: 'Liveness: 200 while the process runs, whatever the backends do. Never rate limited.',
    data: Liveness,
  },
  readyz: {
    method: 'GET',
    path: '/readyz',
    summary: 'Readiness: 200 when PostgreSQL and Redis answer within their timeouts, else 503. Never rate limited.',
    data: HealthStatus,
    dataStatuses: [200, 503],
    errors: { 503: [Code.SERVERERR] },
  },
  devSms: {
    method: 'GET',
    path: '/__dev/sms/:mobile/',
    summary: 'Development only (outbox SMS gateway): the last message sent to a mobile.',
    params: MobileParams,
    data: OutboxMessage,
    errors: { 400: [Code.PARAMERR], 404: [Code.NODATA], 429: [Code.THROTTLED], 503: [Code.SERVERERR] },
  },
  devMail: {
    method: 'GET',
    path: '/__dev/mail/:email/',
    summary: 'Development only (outbox mail transport): the last email sent to an address.',
    params: EmailParams,
    data: MailMessage,
    errors: { 400: [Code.PARAMERR], 404: [Code.NODATA], 429: [Code.THROTTLED], 503: [Code.SERVERERR] },
  },
} as const satisfies Record<string, RouteSpec>;

export type RouteName = keyof typeof routes;

/**
 * What every route may answer besides its own errors: a malformed request (a bad URL, no Host),
 * a crash (logged, never echoed), and a 503 when the request's deadline passes, the event loop
 * is overloaded or the API is shutting down. Routes that change state (POST, PATCH, DELETE) add the body's checks (malformed JSON,
 * too large, another content type) and the cross-site check. Unknown paths (404 NODATA) and
 * wrong methods (405 METHERR) belong to no route.
 */
export const COMMON_ERRORS: RouteErrors = { 400: [Code.PARAMERR], 500: [Code.SERVERERR], 503: [Code.SERVERERR] };
export const BODY_ERRORS: RouteErrors = {
  400: [Code.PARAMERR],
  403: [Code.FORBIDDEN],
  413: [Code.PARAMERR],
  415: [Code.PARAMERR],
};

/** Every errno a route can answer, by HTTP status (ascending), its own and the shared ones. */
export function routeErrors(spec: RouteSpec): Record<number, Code[]> {
  const merged: Record<number, Code[]> = {};
  for (const part of [spec.errors ?? {}, COMMON_ERRORS, spec.method !== 'GET' ? BODY_ERRORS : {}]) {
    for (const [status, codes] of Object.entries(part)) {
      const list = merged[Number(status)] ?? [];
      for (const code of codes ?? []) if (!list.includes(code)) list.push(code);
      merged[Number(status)] = list;
    }
  }
  return merged;
}

/** `/username/:username/` + { username: 'alice' } -> `/username/alice/` (each value URL-encoded). */
export function fillPath(path: string, params: Record<string, string> = {}): string {
  return path.replace(/:([A-Za-z_]+)/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`missing path parameter ${name}`);
    return encodeURIComponent(value);
  });
}
