// Password strength by zxcvbn (@zxcvbn-ts, with its common and English dictionaries), the same
// estimate in the API (which refuses scores below MIN_PASSWORD_SCORE) and in the SPA's meter.
// Imported as `@register/contracts/password-strength`, never from the package index: the
// dictionaries weigh about a megabyte, so the SPA loads this module lazily.
//
// The library's feedback comes back as keys (no translations are given to it) and is turned
// into the catalog's sentences (i18n/: `strength`), keyed the same way, in the language asked
// for. zxcvbn-ts has no Chinese pack; these keys are the whole vocabulary it can emit.
import { type FeedbackType, type Score, ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary as commonDictionary } from '@zxcvbn-ts/language-common';
import { dictionary as englishDictionary } from '@zxcvbn-ts/language-en';
import type { Catalog, Text } from './i18n/catalog.ts';
import { MIN_PASSWORD_SCORE } from './limits.ts';

/**
 * Only this many characters are analysed. The repeat matcher costs up to ~0.1 s on 64 repeated
 * characters (measured), so longer input is cut; a password longer than this is strong anyway.
 */
export const STRENGTH_MAX_LENGTH = 64;

export type StrengthWarning = keyof Catalog['strength']['warnings'];
export type StrengthSuggestion = keyof Catalog['strength']['suggestions'];

export interface PasswordStrength {
  score: Score;
  label: string;
  /** True when the API accepts it (score >= MIN_PASSWORD_SCORE). */
  acceptable: boolean;
  warning: { key: StrengthWarning; message: string } | null;
  suggestions: { key: StrengthSuggestion; message: string }[];
  /** The refusal the API answers (field `password`), or null when acceptable. */
  problem: string | null;
}

let factory: ZxcvbnFactory | undefined;
/** Built on first use: ranking the dictionaries takes about 0.1 s. */
function zxcvbn(): ZxcvbnFactory {
  factory ??= new ZxcvbnFactory({
    dictionary: { ...commonDictionary, ...englishDictionary },
    graphs: adjacencyGraphs,
    maxLength: STRENGTH_MAX_LENGTH,
  });
  return factory;
}

const isKey = <T extends object>(table: T, key: unknown): key is keyof T => typeof key === 'string' && Object.hasOwn(table, key);

function ourFeedback(feedback: FeedbackType, says: Catalog['strength']) {
  const warning = isKey(says.warnings, feedback.warning)
    ? { key: feedback.warning, message: says.warnings[feedback.warning] }
    : null;
  const suggestions = feedback.suggestions
    .filter((key): key is StrengthSuggestion => isKey(says.suggestions, key))
    .map((key) => ({ key, message: says.suggestions[key] }));
  return { warning, suggestions };
}

/**
 * How guessable a password is, given what an attacker knows about this visitor (username,
 * mobile number): those count as dictionary words for this check.
 */
export function passwordStrength(
  password: string,
  userInputs: { username?: string; mobile?: string } = {},
  // No default: the SPA loads this module lazily and must not pull a catalog in with it.
  messages: Catalog,
): PasswordStrength {
  const inputs = [userInputs.username, userInputs.mobile, 'register'].filter((v): v is string => Boolean(v));
  const result = zxcvbn().check(password, inputs);
  const says = messages.strength;
  const { warning, suggestions } = ourFeedback(result.feedback, says);
  const acceptable = result.score >= MIN_PASSWORD_SCORE;
  const advice = [warning?.message, ...suggestions.map((s) => s.message)].filter(Boolean).join(messages.sentenceGap);
  return {
    score: result.score,
    label: says.labels[result.score],
    acceptable,
    warning,
    suggestions,
    problem: acceptable ? null : [says.tooWeak, advice].filter(Boolean).join(messages.sentenceGap),
  };
}

/** A weak password's refusal as a Text, from the verdict's keys (no second zxcvbn run). */
export function strengthProblem(strength: PasswordStrength): Text | null {
  if (strength.acceptable) return null;
  const warning = strength.warning?.key;
  const suggestions = strength.suggestions.map((s) => s.key);
  return (catalog) => {
    const says = catalog.strength;
    const advice = [warning && says.warnings[warning], ...suggestions.map((key) => says.suggestions[key])];
    return [says.tooWeak, ...advice].filter(Boolean).join(catalog.sentenceGap);
  };
}
