// What the forms after sign-up do with a refusal: the envelope's field messages beside their
// fields (focus on the first, in the form's order), anything else in the form's alert, with the
// wait after a 429 said in words.
import { Code } from '@register/contracts';
import type { FieldValues, Path, UseFormSetError } from 'react-hook-form';
import { language } from '../i18n/locale';
import { ApiError } from './api';

/** Puts each message beside its field; true when at least one found a field of `order`. */
export function showFieldErrors<T extends FieldValues>(
  setError: UseFormSetError<T>,
  order: readonly Path<T>[],
  fields: Readonly<Record<string, string>>,
): boolean {
  const known = order.filter((name) => fields[name]);
  known.forEach((name, index) => {
    setError(name, { type: 'server', message: fields[name] }, { shouldFocus: index === 0 });
  });
  return known.length > 0;
}

/** The sentence for the form's alert: the API's message (and how long to wait), or ours for a bug. */
export function alertMessage(error: unknown): string {
  const { ui, messages } = language();
  if (!(error instanceof ApiError)) {
    console.error(error);
    return ui.api.unexpected;
  }
  const wait = error.errno === Code.THROTTLED && error.retryAfter ? ui.login.tryAgainIn(ui.duration(error.retryAfter)) : '';
  return [error.message, wait].filter(Boolean).join(messages.sentenceGap);
}

/** The request's session is gone (ended elsewhere, expired): the page sends the visitor to log in. */
export function isSessionLost(error: unknown): boolean {
  return error instanceof ApiError && error.errno === Code.SESSIONERR;
}
