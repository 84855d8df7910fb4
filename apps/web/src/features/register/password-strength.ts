// A quick local estimate for the strength hint (no dictionary: the API has the common-password
// list). It only advises; what is accepted is decided by the contracts' password rules.
import { PASSWORD_MIN } from '@register/contracts';

export type StrengthScore = 0 | 1 | 2 | 3 | 4;
export const STRENGTH_LABELS = ['Too short', 'Weak', 'Fair', 'Good', 'Strong'] as const;
export type StrengthLabel = (typeof STRENGTH_LABELS)[StrengthScore];

const CHARACTER_CLASSES = [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/];
const PREDICTABLE = /(?:0123|1234|2345|3456|4567|5678|6789|abcd|bcde|cdef|qwer|asdf|zxcv|pass|word|admin|love)/i;

export function passwordStrength(password: string): { score: StrengthScore; label: StrengthLabel } {
  const length = [...password].length;
  if (length < PASSWORD_MIN) return { score: 0, label: STRENGTH_LABELS[0] };

  const classes = CHARACTER_CLASSES.filter((re) => re.test(password)).length;
  const distinct = new Set(password).size;
  let points = classes; // 1-4
  if (length >= 11) points++;
  if (length >= 15) points++;
  if (PREDICTABLE.test(password)) points--;
  if (distinct <= length / 2) points--; // mostly repeated characters ("aaaaaaa1")
  if (/^\d+$/.test(password)) points = 0;

  const score = Math.min(4, Math.max(1, points - 1)) as StrengthScore;
  return { score, label: STRENGTH_LABELS[score] };
}
