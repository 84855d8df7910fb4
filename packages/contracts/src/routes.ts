// One table of every endpoint: the API registers its routes from it, the SPA's client and the
// mock API call and answer them from it.
import { type TObject, type TSchema, Type } from 'typebox';
import { type CrossFieldRule, registerRules } from './rules.ts';
import {
  ApiIndex,
  HealthStatus,
  ImageCodeQuery,
  Liveness,
  LoginBody,
  MobileCount,
  MobileParams,
  OutboxMessage,
  RegisterBody,
  Registered,
  SmsCodeBody,
  SmsSent,
  UsernameCount,
  UsernameParams,
  UserView,
} from './schemas.ts';

export const API_PREFIX = '/api';

export interface RouteSpec {
  method: 'GET' | 'POST';
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
}

export const routes = {
  index: {
    method: 'GET',
    path: '/',
    summary: 'This API: every route, with its method, path and summary.',
    data: ApiIndex,
  },
  imageCode: {
    method: 'GET',
    path: '/image_code/',
    summary: 'A new captcha image (PNG); its answer replaces the previous one in the session.',
    querystring: ImageCodeQuery,
  },
  checkUsername: {
    method: 'GET',
    path: '/username/:username/',
    summary: 'How many users have this username (case-insensitive): 0 or 1.',
    params: UsernameParams,
    data: UsernameCount,
  },
  checkMobile: {
    method: 'GET',
    path: '/mobile/:mobile/',
    summary: 'How many users have this mobile number: 0 or 1.',
    params: MobileParams,
    data: MobileCount,
  },
  sendSmsCode: {
    method: 'POST',
    path: '/sms_code/',
    summary: "Spends the session's captcha and texts a verification code to the mobile.",
    body: SmsCodeBody,
    data: SmsSent,
  },
  register: {
    method: 'POST',
    path: '/user/register/',
    summary: 'Creates the account with a valid SMS code and logs it in (loggedIn: false when only the first worked).',
    body: RegisterBody,
    rules: registerRules,
    data: Registered,
  },
  login: {
    method: 'POST',
    path: '/user/login/',
    summary: 'Logs in with a username or mobile number and a password.',
    body: LoginBody,
    data: UserView,
  },
  logout: {
    method: 'POST',
    path: '/user/logout/',
    summary: 'Ends the session.',
    data: Type.Null(),
  },
  me: {
    method: 'GET',
    path: '/user/me/',
    summary: 'The logged-in user, or 401 SESSIONERR.',
    data: UserView,
  },
  session: {
    method: 'GET',
    path: '/user/session/',
    summary: "The logged-in user, or data: null for a visitor (200 either way): a page's question, never an error.",
    data: UserView,
  },
  health: {
    method: 'GET',
    path: '/health/',
    summary: 'Liveness of the database and the store: 200 when both answer, else 503.',
    data: HealthStatus,
    dataStatuses: [200, 503],
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
  },
  devSms: {
    method: 'GET',
    path: '/__dev/sms/:mobile/',
    summary: 'Development only (outbox SMS gateway): the last message sent to a mobile.',
    params: MobileParams,
    data: OutboxMessage,
  },
} as const satisfies Record<string, RouteSpec>;

export type RouteName = keyof typeof routes;

/** `/username/:username/` + { username: 'alice' } -> `/username/alice/` (each value URL-encoded). */
export function fillPath(path: string, params: Record<string, string> = {}): string {
  return path.replace(/:([A-Za-z_]+)/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`missing path parameter ${name}`);
    return encodeURIComponent(value);
  });
}
