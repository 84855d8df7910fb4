// The one way the SPA talks to the API: typed from the contracts' route table, same-origin (the
// dev server and the production host proxy /api), cookies included, every failure an ApiError.
import {
  API_PREFIX,
  Code,
  type ErrorData,
  fillPath,
  isCode,
  type LoginBody,
  type RegisterBody,
  type RouteName,
  type RouteSpec,
  routes,
  type SmsCodeBody,
  type UserView,
} from '@register/contracts';
import type { Static, TObject, TSchema } from 'typebox';
import { language } from '../i18n/locale';
import { uiEn } from '../i18n/ui.en';

type Routes = typeof routes;

/** The success envelope's `data` of a route. */
export type ResponseData<N extends RouteName> = Routes[N] extends { data: infer D extends TSchema } ? Static<D> : never;

type Part<N extends RouteName, K extends 'params' | 'body'> = Routes[N] extends { [P in K]: infer S extends TObject }
  ? { [P in K]: Static<S> }
  : { [P in K]?: never };
/** Path parameters and JSON body of a route, each required exactly when the route has it. */
export type RequestInput<N extends RouteName> = Part<N, 'params'> & Part<N, 'body'>;

export interface RequestOptions {
  /** Cancels the request; the promise then rejects with the fetch's AbortError, not an ApiError. */
  signal?: AbortSignal;
}

/** In English (tests read them); the visitor sees them in their language (i18n/). */
export const CANNOT_REACH_SERVER = uiEn.api.cannotReach;

export interface ApiErrorInit {
  errno: Code;
  message: string;
  /** The HTTP status; 0 when no answer arrived at all. */
  status: number;
  fields?: Record<string, string>;
  retryAfter?: number;
}

/** Any failed call: a refusal by the API (its envelope), an unexpected answer, or no answer. */
/** What the SPA says when something failed that no answer explains (a bug, not the API's refusal). */
export const UNEXPECTED_ERROR = uiEn.api.unexpected;

export class ApiError extends Error {
  override name = 'ApiError';
  readonly errno: Code;
  readonly status: number;
  /** Messages to show beside form fields, keyed by request field name. */
  readonly fields: Readonly<Record<string, string>>;
  /** Seconds until the request may be repeated (THROTTLED). */
  readonly retryAfter: number | undefined;

  constructor(init: ApiErrorInit, options?: ErrorOptions) {
    super(init.message, options);
    this.errno = init.errno;
    this.status = init.status;
    this.fields = init.fields ?? {};
    this.retryAfter = init.retryAfter;
  }

  get isNetworkError(): boolean {
    return this.status === 0;
  }
}

export function isAbortError(error: unknown): boolean {
  // By name, not instanceof: DOMException classes differ between realms (and test environments).
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AbortError';
}

interface RawEnvelope {
  errno: string;
  errmsg: string;
  data: unknown;
}

function isEnvelope(body: unknown): body is RawEnvelope {
  if (typeof body !== 'object' || body === null) return false;
  const { errno, errmsg } = body as Record<string, unknown>;
  return typeof errno === 'string' && typeof errmsg === 'string';
}

/** The error data's known parts, ignoring anything malformed (it came over the wire). */
function errorData(data: unknown): ErrorData {
  if (typeof data !== 'object' || data === null) return {};
  const { fields, retryAfter } = data as Record<string, unknown>;
  const result: ErrorData = {};
  if (typeof fields === 'object' && fields !== null) {
    result.fields = Object.fromEntries(
      Object.entries(fields).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
    );
  }
  if (typeof retryAfter === 'number' && Number.isFinite(retryAfter)) result.retryAfter = Math.max(0, Math.ceil(retryAfter));
  return result;
}

function retryAfterHeader(response: Response): number | undefined {
  const value = Number(response.headers.get('retry-after'));
  return Number.isFinite(value) && value > 0 ? Math.ceil(value) : undefined;
}

/** A success envelope's data and sentence (errmsg). */
export interface Answer<T> {
  data: T;
  message: string;
}

async function send(
  method: RouteSpec['method'],
  path: string,
  body: unknown,
  signal: AbortSignal | undefined,
): Promise<Answer<unknown>> {
  const { locale, ui, messages } = language();
  // The API answers in the language the page is in.
  const headers: Record<string, string> = { accept: 'application/json', 'accept-language': locale };
  // No content-type without a body: the API answers an empty JSON body with a 400.
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  let parsed: unknown;
  try {
    response = await fetch(API_PREFIX + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      signal,
    });
    parsed = await response.json().catch(() => undefined);
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new ApiError({ errno: Code.UNKOWNERR, message: ui.api.cannotReach, status: 0 }, { cause: error });
  }
  if (signal?.aborted) throw signal.reason ?? new DOMException('Aborted', 'AbortError');

  if (!isEnvelope(parsed)) {
    // Not the API speaking: typically a proxy or gateway that could not reach it.
    const message = response.status >= 500 ? ui.api.cannotReach : ui.api.unexpectedAnswer(response.status);
    throw new ApiError({ errno: Code.UNKOWNERR, message, status: response.status });
  }
  if (response.ok && parsed.errno === Code.OK) return { data: parsed.data, message: parsed.errmsg };

  const errno = isCode(parsed.errno) ? parsed.errno : Code.UNKOWNERR;
  const data = errorData(parsed.data);
  throw new ApiError({
    errno,
    message: parsed.errmsg || messages.codes[errno],
    status: response.status,
    fields: data.fields,
    retryAfter: data.retryAfter ?? retryAfterHeader(response),
  });
}

/** Calls a route of the contracts' table and resolves with its `data` and the API's sentence about it. */
export async function answer<N extends Exclude<RouteName, 'imageCode'>>(
  name: N,
  input: RequestInput<N>,
  options: RequestOptions = {},
): Promise<Answer<ResponseData<N>>> {
  const spec = routes[name];
  const path = fillPath(spec.path, (input.params ?? {}) as Record<string, string>);
  return (await send(spec.method, path, input.body, options.signal)) as Answer<ResponseData<N>>;
}

/** Calls a route of the contracts' table and resolves with its `data`. */
export async function request<N extends Exclude<RouteName, 'imageCode'>>(
  name: N,
  input: RequestInput<N>,
  options: RequestOptions = {},
): Promise<ResponseData<N>> {
  return (await answer(name, input, options)).data;
}

/** The captcha image's URL; a new `rand` makes the browser fetch (and the API issue) a new one. */
export function captchaUrl(rand: string): string {
  return `${API_PREFIX}${routes.imageCode.path}?${new URLSearchParams({ rand })}`;
}

/** The calls the pages make, by name. */
export const api = {
  checkUsername: (username: string, options?: RequestOptions) => request('checkUsername', { params: { username } }, options),
  checkMobile: (mobile: string, options?: RequestOptions) => request('checkMobile', { params: { mobile } }, options),
  /** A proof-of-work challenge, the image code's alternative (404 when the API has it off). */
  altchaChallenge: (options?: RequestOptions) => request('altchaChallenge', {}, options),
  sendSmsCode: (body: SmsCodeBody, options?: RequestOptions) => request('sendSmsCode', { body }, options),
  register: (body: RegisterBody, options?: RequestOptions) => request('register', { body }, options),
  login: (body: LoginBody, options?: RequestOptions) => request('login', { body }, options),
  logout: (options?: RequestOptions) => request('logout', {}, options),
  me: (options?: RequestOptions) => request('me', {}, options),
  /** The logged-in user, or null for a visitor (no error either way). */
  session: (options?: RequestOptions) => request('session', {}, options) as Promise<UserView | null>,
};
