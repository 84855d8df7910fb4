import { type Static, type TSchema, Type } from 'typebox';
import { Code, errorMap } from './codes.ts';

/** Every response body, success or error: the seed's {"errno", "errmsg", "data"}. */
export interface Envelope<T> {
  errno: Code;
  errmsg: string;
  data: T | null;
}

/** What an error's `data` may carry. */
export const ErrorDataSchema = Type.Object({
  /** Per-field messages, keyed by the request field name (username, mobile, ...). */
  fields: Type.Optional(Type.Record(Type.String(), Type.String())),
  /** Seconds until the request may be retried (THROTTLED). */
  retryAfter: Type.Optional(Type.Integer({ minimum: 0 })),
});
export type ErrorData = Static<typeof ErrorDataSchema>;

export function EnvelopeSchema<T extends TSchema>(data: T) {
  return Type.Object({
    errno: Type.String(),
    errmsg: Type.String(),
    data: Type.Union([data, Type.Null()]),
  });
}

export function ok<T>(data: T, errmsg: string = errorMap[Code.OK]): Envelope<T> {
  return { errno: Code.OK, errmsg, data };
}

export function failure(errno: Code, errmsg: string = errorMap[errno], data: ErrorData | null = null): Envelope<ErrorData> {
  return { errno, errmsg, data };
}

/** An envelope with any code and data (e.g. a health report that is also a failure). */
export function envelopeOf<T>(errno: Code, data: T, errmsg: string = errorMap[errno]): Envelope<T> {
  return { errno, errmsg, data };
}
