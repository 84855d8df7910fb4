import { PASSWORD_MIN } from '@register/contracts';
import { passwordStrength } from './password-strength';

/** The strength hint under the password: four bars (decoration) and the words that matter. */
export function PasswordStrength({ password }: { password: string }) {
  if (password === '')
    return <span>At least {PASSWORD_MIN} characters; not only digits, and unlike your username or mobile.</span>;
  const { score, label } = passwordStrength(password);
  return (
    <span className="strength" data-score={score}>
      <span className="strength-bars" aria-hidden="true">
        <span />
        <span />
        <span />
        <span />
      </span>
      <span>Strength: {label}</span>
    </span>
  );
}
