// The password policy, in one place: Django's default validators, as rules both the form and
// the API apply. The length bounds are the Password field schema's (fields.ts reads them from
// here); CommonPasswordValidator needs a 49k-word list, too big for the SPA, so the policy takes
// it as a function (CommonPasswordCheck) that only the API supplies.

import type { Catalog } from './i18n/catalog.ts';
import { en } from './i18n/en.ts';

export { PASSWORD_MAX, PASSWORD_MIN } from './lengths.ts';

/** In English; the policy's sentences in every language are the catalogs' `password`. */
export const PASSWORD_MESSAGES = { length: en.fields.password.invalid, ...en.password };

const MAX_SIMILARITY = 0.7;

/** Python's difflib.SequenceMatcher.quick_ratio(): 2·(shared characters, as multisets) / total length. */
function quickRatio(a: string, b: string): number {
  const counts = new Map<string, number>();
  for (const ch of b) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let matches = 0;
  for (const ch of a) {
    const left = counts.get(ch) ?? 0;
    if (left > 0) {
      matches++;
      counts.set(ch, left - 1);
    }
  }
  const total = a.length + b.length;
  return total ? (2 * matches) / total : 1;
}

/** Django's UserAttributeSimilarityValidator: the whole value and each of its \W+-separated parts. */
function tooSimilar(password: string, value: string): boolean {
  const pw = password.toLowerCase();
  const whole = value.toLowerCase();
  for (const part of [...whole.split(/\W+/), whole]) {
    if (!part) continue;
    // Django skips parts far shorter than the password: they cannot make it guessable.
    const exceedsLengthRatio = pw.length >= 10 * part.length && part.length < (MAX_SIMILARITY / 2) * pw.length;
    if (exceedsLengthRatio) continue;
    if (quickRatio(pw, part) >= MAX_SIMILARITY) return true;
  }
  return false;
}

/** True for a password on the leaked-password list (the API's; the SPA has none). */
export type CommonPasswordCheck = (password: string) => boolean;

/** The first policy problem of a password that already has a valid length, or null. */
export function passwordPolicyProblem(
  password: string,
  attributes: { username?: string; mobile?: string },
  isCommon?: CommonPasswordCheck,
  messages: Catalog = en,
): string | null {
  const says = messages.password;
  if (/^\d+$/.test(password)) return says.numeric;
  if (attributes.username && tooSimilar(password, attributes.username)) return says.similarToUsername;
  if (attributes.mobile && tooSimilar(password, attributes.mobile)) return says.similarToMobile;
  if (isCommon?.(password)) return says.common;
  return null;
}
