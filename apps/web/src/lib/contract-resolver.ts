// react-hook-form validation by the contracts: the very checker (TypeBox's compiler, our field
// messages, the route's cross-field rules) the API validates with, so a message shown before
// submitting is the one the API would answer, and values are normalised (trimmed, +86 removed)
// the same way (lib/checker.ts).
import type { CrossFieldRule } from '@register/contracts';
import { useEffect, useRef } from 'react';
import type { FieldError, FieldErrors, FieldValues, Path, Resolver, UseFormReturn } from 'react-hook-form';
import type { TObject } from 'typebox';
import { useLanguage } from '../i18n/locale';
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

/**
 * After a language switch, the rules' messages on screen are checked again, so they are said in
 * the new language (a server's message stays as it was said: only the server could say it again).
 */
export function useRecheckOnLanguageChange<T extends FieldValues>(
  form: Pick<UseFormReturn<T, unknown, unknown>, 'formState' | 'trigger'>,
): void {
  const { locale } = useLanguage();
  const shown = useRef(locale);
  const { formState, trigger } = form;
  useEffect(() => {
    if (shown.current === locale) return;
    shown.current = locale;
    const names = Object.entries(formState.errors)
      .filter(([, error]) => (error as FieldError | undefined)?.type === CONTRACT_ERROR)
      .map(([name]) => name as Path<T>);
    if (names.length) void trigger(names);
  }, [locale, formState, trigger]);
}
