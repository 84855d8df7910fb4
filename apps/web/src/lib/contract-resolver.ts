// react-hook-form validation by the contracts: the very checker (TypeBox's compiler, our field
// messages, the route's cross-field rules) the API validates with, so a message shown before
// submitting is the one the API would answer, and values are normalised (trimmed, +86 removed)
// the same way (lib/checker.ts).
import type { CrossFieldRule } from '@register/contracts';
import type { FieldError, FieldErrors, FieldValues, Resolver } from 'react-hook-form';
import type { TObject } from 'typebox';
import { checkRequest } from './checker';

/** The error type of messages from the contracts (server messages are set with type 'server'). */
export const CONTRACT_ERROR = 'contract';

/**
 * A resolver for a request schema and its route's rules. Keys the schema does not know (e.g. the
 * captcha answer, sent by another request) are left out of the submitted values.
 */
export function contractResolver<TValues extends FieldValues, TOutput>(
  schema: TObject,
  rules?: CrossFieldRule<TOutput>,
): Resolver<TValues, unknown, TOutput> {
  return (values) => {
    const result = checkRequest<TOutput>(schema, values, rules);
    if (result.ok) return { values: result.value, errors: {} };
    const errors: Record<string, FieldError> = {};
    for (const [name, message] of Object.entries(result.fields)) errors[name] = { type: CONTRACT_ERROR, message };
    return { values: {}, errors: errors as FieldErrors<TValues> };
  };
}

/**
 * The message to show for a field. A field that is still empty is not called missing before
 * the first submit: tabbing past it (keyboard users must, to reach "Get code") is no mistake.
 */
export function visibleError(error: FieldError | undefined, value: unknown, submitted: boolean): string | undefined {
  if (!error) return undefined;
  const blank = typeof value !== 'string' || value.trim() === '';
  if (blank && !submitted && error.type === CONTRACT_ERROR) return undefined;
  return error.message;
}
