// One error type for everything a service refuses, and the one place that turns any error
// into the errno/errmsg/data envelope with its HTTP status, in the visitor's language: an
// AppError holds its sentences as Texts (contracts' i18n), rendered only when answered.
import { type Catalog, Code, type ErrorData, en, failure, httpStatus, render, type Text, text } from '@register/contracts';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { messagesOf } from './lib/catalogs.ts';

export interface AppErrorOptions {
  /** Default: the errno's own errmsg. */
  message?: Text;
  /** Per-field sentences; for a validation failure, all of them from one rendering. */
  fields?: Record<string, Text> | ((catalog: Catalog) => Record<string, string>);
  retryAfter?: number;
  status?: number;
  cause?: unknown;
}

export class AppError extends Error {
  override name = 'AppError';
  readonly code: Code;
  readonly status: number;
  readonly retryAfter: number | undefined;
  readonly #text: Text;
  readonly #fields: AppErrorOptions['fields'];

  constructor(code: Code, options: AppErrorOptions = {}) {
    const said = options.message ?? text.codes[code];
    // `message` is English: it is what the logs say.
    super(said(en), { cause: options.cause });
    this.code = code;
    this.status = options.status ?? httpStatus[code];
    this.retryAfter = options.retryAfter;
    this.#text = said;
    this.#fields = options.fields;
  }

  /** The errmsg in a catalog's language. */
  messageIn(catalog: Catalog): string {
    return this.#text(catalog);
  }

  /** The envelope's data in a catalog's language (null when there is nothing to add). */
  dataIn(catalog: Catalog): ErrorData | null {
    const data: ErrorData = {};
    const fields = this.#fields;
    if (typeof fields === 'function') data.fields = fields(catalog);
    else if (fields) data.fields = Object.fromEntries(Object.entries(fields).map(([key, t]) => [key, render(t, catalog)]));
    if (this.retryAfter !== undefined) data.retryAfter = this.retryAfter;
    return Object.keys(data).length ? data : null;
  }

  /** The data in English, as the logs and the tests of services see it. */
  get data(): ErrorData | null {
    return this.dataIn(en);
  }
}

/** A field-level refusal: the message is shown beside the field and is also the errmsg. */
export function fieldError(code: Code, field: string, message: Text, status?: number): AppError {
  return new AppError(code, { message, fields: { [field]: message }, ...(status ? { status } : {}) });
}

/** Fastify's own errors that are the client's fault, answered as PARAMERR with their status. */
const CLIENT_ERRORS: Record<string, { status: number; message: Text }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, message: text.request.tooLarge },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, message: text.request.unsupportedType },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, message: text.request.malformedJson },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, message: text.request.emptyJson },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, message: text.request.badLength },
  FST_ERR_BAD_URL: { status: 400, message: text.request.badUrl },
  FST_ERR_ASYNC_CONSTRAINT: { status: 400, message: text.request.badRequest },
};

export function toAppError(error: unknown): { appError: AppError; unexpected: boolean } {
  if (error instanceof AppError) return { appError: error, unexpected: false };
  const e = error as Partial<FastifyError> & { type?: string };
  const known = e.code ? CLIENT_ERRORS[e.code] : undefined;
  if (known) return { appError: new AppError(Code.PARAMERR, known), unexpected: false };
  // JSON.parse errors (prototype poisoning, bad syntax) arrive as SyntaxError with statusCode 400.
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    const message = e.statusCode === 413 ? text.request.tooLarge : text.request.badRequest;
    return { appError: new AppError(Code.PARAMERR, { status: e.statusCode, message }), unexpected: false };
  }
  return { appError: new AppError(Code.SERVERERR, { cause: error }), unexpected: true };
}

export function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { appError, unexpected } = toAppError(error);
  if (unexpected) {
    request.log.error({ err: error }, 'unexpected error');
  } else if (appError.status >= 500) {
    // A backend (database, Redis, SMS provider) failed: log why, answer without internals.
    request.log.error({ err: appError.cause ?? appError, code: appError.code }, appError.message);
  }
  // An error answer never persists session changes (and, with the store down, must not try to:
  // a failing save in onSend would replace this envelope with Fastify's fallback error).
  if (request.session) (request as { session: unknown }).session = null;
  if (appError.retryAfter !== undefined) reply.header('retry-after', String(appError.retryAfter));
  const says = messagesOf(request);
  return reply
    .code(appError.status)
    .type('application/json; charset=utf-8')
    .send(failure(appError.code, appError.messageIn(says), appError.dataIn(says)));
}
