// Password strength by zxcvbn (@zxcvbn-ts, with its common and English dictionaries), the same
// estimate in the API (which refuses scores below MIN_PASSWORD_SCORE) and in the SPA's meter.
// Imported as `@register/contracts/password-strength`, never from the package index: the
// dictionaries weigh about a megabyte, so the SPA loads this module lazily.
//
// The library's feedback comes back as keys (no translations are given to it) and is turned
// into our own sentences here, keyed the same way, so a later translation replaces this table
// only. zxcvbn-ts has no Chinese pack; these keys are the whole vocabulary it can emit.
import { type FeedbackType, type Score, ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary as commonDictionary } from '@zxcvbn-ts/language-common';
import { dictionary as englishDictionary } from '@zxcvbn-ts/language-en';
import { MIN_PASSWORD_SCORE } from './limits.ts';

/**
 * Only this many characters are analysed. The repeat matcher costs up to ~0.1 s on 64 repeated
 * characters (measured), so longer input is cut; a password longer than this is strong anyway.
 */
export const STRENGTH_MAX_LENGTH = 64;

export const STRENGTH_WARNINGS = {
  straightRow: 'Rows of keys on the keyboard are easy to guess.',
  keyPattern: 'Short keyboard patterns are easy to guess.',
  simpleRepeat: 'Repeated characters like "aaa" are easy to guess.',
  extendedRepeat: 'Repeated patterns like "abcabcabc" are easy to guess.',
  sequences: 'Sequences like "abc" or "123" are easy to guess.',
  recentYears: 'Recent years are easy to guess.',
  dates: 'Dates are easy to guess.',
  topTen: 'This is one of the most used passwords.',
  topHundred: 'This is a very frequently used password.',
  common: 'This is a commonly used password.',
  similarToCommon: 'This is similar to a commonly used password.',
  wordByItself: 'A single word is easy to guess.',
  namesByThemselves: 'Names and surnames on their own are easy to guess.',
  commonNames: 'Common names and surnames are easy to guess.',
  userInputs: 'It contains your username or mobile number.',
  pwned: 'This password has appeared in a data breach.',
} as const;

export const STRENGTH_SUGGESTIONS = {
  l33t: 'Swapping letters for look-alike symbols (like @ for a) does not help much.',
  reverseWords: 'Spelling common words backwards does not help much.',
  allUppercase: 'Capitalise some letters, not all of them.',
  capitalization: 'Capitalise more than the first letter.',
  dates: 'Avoid dates and years that are linked to you.',
  recentYears: 'Avoid recent years.',
  associatedYears: 'Avoid years that are linked to you.',
  sequences: 'Avoid common sequences.',
  repeated: 'Avoid repeated words and characters.',
  longerKeyboardPattern: 'Use longer keyboard patterns that change direction.',
  anotherWord: 'Add another word or two; uncommon words are better.',
  useWords: 'Use several words, but not a common phrase.',
  noNeed: 'Symbols, digits and capitals are not needed: several words work well.',
  pwned: 'If you use it anywhere else, change it there too.',
} as const;

export const STRENGTH_LABELS = ['Very weak', 'Weak', 'Fair', 'Strong', 'Very strong'] as const;
export const STRENGTH_TOO_WEAK = 'This password is too easy to guess.';

export type StrengthWarning = keyof typeof STRENGTH_WARNINGS;
export type StrengthSuggestion = keyof typeof STRENGTH_SUGGESTIONS;

export interface PasswordStrength {
  score: Score;
  label: (typeof STRENGTH_LABELS)[Score];
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

function ourFeedback(feedback: FeedbackType) {
  const warning = isKey(STRENGTH_WARNINGS, feedback.warning)
    ? { key: feedback.warning, message: STRENGTH_WARNINGS[feedback.warning] }
    : null;
  const suggestions = feedback.suggestions
    .filter((key): key is StrengthSuggestion => isKey(STRENGTH_SUGGESTIONS, key))
    .map((key) => ({ key, message: STRENGTH_SUGGESTIONS[key] }));
  return { warning, suggestions };
}

/**
 * How guessable a password is, given what an attacker knows about this visitor (username,
 * mobile number): those count as dictionary words for this check.
 */
export function passwordStrength(password: string, userInputs: { username?: string; mobile?: string } = {}): PasswordStrength {
  const inputs = [userInputs.username, userInputs.mobile, 'register'].filter((v): v is string => Boolean(v));
  const result = zxcvbn().check(password, inputs);
  const { warning, suggestions } = ourFeedback(result.feedback);
  const acceptable = result.score >= MIN_PASSWORD_SCORE;
  const advice = [warning?.message, ...suggestions.map((s) => s.message)].filter(Boolean).join(' ');
  return {
    score: result.score,
    label: STRENGTH_LABELS[result.score],
    acceptable,
    warning,
    suggestions,
    problem: acceptable ? null : `${STRENGTH_TOO_WEAK}${advice ? ` ${advice}` : ''}`,
  };
}
