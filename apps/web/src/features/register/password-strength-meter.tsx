import { PASSWORD_MIN } from '@register/contracts';
import type { PasswordStrength as Strength } from './use-password-strength';

/**
 * The strength hint under the password: four bars (decoration), the label, and while the
 * password would be refused, what makes it guessable and how to do better.
 */
export function PasswordStrength({ password, strength }: { password: string; strength: Strength | null }) {
  if (password === '') return <span>At least {PASSWORD_MIN} characters, hard to guess: several uncommon words work well.</span>;
  if (!strength) return <span>Checking strength…</span>;
  const advice = strength.acceptable ? [] : [strength.warning?.message, strength.suggestions[0]?.message].filter(Boolean);
  return (
    <span className="strength" data-score={strength.score}>
      <span className="strength-bars" aria-hidden="true">
        <span />
        <span />
        <span />
        <span />
      </span>
      <span>
        Strength: {strength.label}
        {strength.acceptable ? '' : ' (too easy to guess)'}
        {advice.length ? `. ${advice.join(' ')}` : ''}
      </span>
    </span>
  );
}
