import { PASSWORD_MIN } from '@register/contracts';
import { useLanguage } from '../../i18n/locale';
import type { PasswordStrength as Strength } from './use-password-strength';

/**
 * The strength hint under the password: four bars (decoration), the label, and while the
 * password would be refused, what makes it guessable and how to do better.
 */
export function PasswordStrength({ password, strength }: { password: string; strength: Strength | null }) {
  const { ui, messages } = useLanguage();
  if (password === '') return <span>{ui.strength.empty(PASSWORD_MIN)}</span>;
  if (!strength) return <span>{ui.strength.checking}</span>;
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
        {ui.strength.verdict(strength.label, strength.acceptable)}
        {advice.length ? `${ui.strength.adviceGap}${advice.join(messages.sentenceGap)}` : ''}
      </span>
    </span>
  );
}
