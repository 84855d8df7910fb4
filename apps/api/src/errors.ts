// One error type for everything a service refuses, and the one place that turns any error
// into the errno/errmsg/data envelope with its HTTP status.
import { Code, type ErrorData, errorMap, failure, httpStatus, REQUEST_MESSAGES } from '@register/contracts';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

export interface AppErrorOptions {
  message?: string;
  fields?: Record<string, string>;
  retryAfter?: number;
  status?: number;
  cause?: unknown;
}

export class AppError extends Error {
  override name = 'AppError';
  readonly code: Code;
  readonly status: number;
  readonly data: ErrorData | null;
  readonly retryAfter: number | undefined;

  constructor(code: Code, options: AppErrorOptions = {}) {
    super(options.message ?? errorMap[code], { cause: options.cause });
    this.code = code;
    this.status = options.status ?? httpStatus[code];
    this.retryAfter = options.retryAfter;
    const data: ErrorData = {};
    if (options.fields) data.fields = options.fields;
    if (options.retryAfter !== undefined) data.retryAfter = options.retryAfter;
    this.data = Object.keys(data).length ? data : null;
  }
}

/** A field-level refusal: the message is shown beside the field and is also the errmsg. */
export function fieldError(code: Code, field: string, message: string, status?: number): AppError {
  return new AppError(code, { message, fields: { [field]: message }, ...(status ? { status } : {}) });
}

/** Fastify's own errors that are the client's fault, answered as PARAMERR with their status. */
const CLIENT_ERRORS: Record<string, { status: number; message: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, message: REQUEST_MESSAGES.tooLarge },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, message: REQUEST_MESSAGES.unsupportedType },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, message: REQUEST_MESSAGES.malformedJson },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, message: REQUEST_MESSAGES.emptyJson },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, message: REQUEST_MESSAGES.badLength },
  FST_ERR_BAD_URL: { status: 400, message: REQUEST_MESSAGES.badUrl },
  FST_ERR_ASYNC_CONSTRAINT: { status: 400, message: REQUEST_MESSAGES.badRequest },
};

export function toAppError(error: unknown): { appError: AppError; unexpected: boolean } {
  if (error instanceof AppError) return { appError: error, unexpected: false };
  const e = error as Partial<FastifyError> & { type?: string };
  const known = e.code ? CLIENT_ERRORS[e.code] : undefined;
  if (known) return { appError: new AppError(Code.PARAMERR, known), unexpected: false };
  // JSON.parse errors (prototype poisoning, bad syntax) arrive as SyntaxError with statusCode 400.
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    const message = e.statusCode === 413 ? REQUEST_MESSAGES.tooLarge : REQUEST_MESSAGES.badRequest;
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
  return reply
    .code(appError.status)
    .type('application/json; charset=utf-8')
    .send(failure(appError.code, appError.message, appError.data));
}
