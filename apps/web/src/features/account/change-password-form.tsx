// Change the password: the current one, the new one twice with the strength meter. The API
// gives this session a new id and ends every other one: the visitor stays logged in here (or,
// when that new session could not be saved, logs in again with the new password).
import { ChangePasswordBody, routes } from '@register/contracts';
import { useState } from 'react';
import { type Path, useForm, useWatch } from 'react-hook-form';
import { FormAlert } from '../../components/form-alert';
import { FormStatus } from '../../components/form-status';
import { TextField } from '../../components/text-field';
import { useAccountLanguage } from '../../i18n/account-words';
import { accountApi } from '../../lib/account-api';
import { ApiError } from '../../lib/api';
import { contractResolver, useRecheckOnLanguageChange, visibleError } from '../../lib/contract-resolver';
import { alertMessage, showFieldErrors } from '../../lib/form-errors';
import { passwordRepeatHandlers } from '../../lib/password-repeat';
import { useFocusBack } from '../../lib/use-focus-back';
import { PasswordStrength } from '../register/password-strength-meter';
import { loadPasswordStrength, usePasswordStrength } from '../register/use-password-strength';
import type { AccountSectionProps } from './account-page';

const EMPTY: ChangePasswordBody = { old_password: '', password: '', password_repeat: '' };
const FIELD_ORDER: Path<ChangePasswordBody>[] = ['old_password', 'password', 'password_repeat'];
const resolver = contractResolver<ChangePasswordBody, ChangePasswordBody>(ChangePasswordBody, routes.changePassword.rules);

export function ChangePasswordForm({
  user,
  onUser,
  onSessionLost,
  keptSession,
  onOthersEnded,
}: AccountSectionProps & { onOthersEnded(): void }) {
  const { ui, words } = useAccountLanguage();
  const a = words.account;
  const [formError, setFormError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const form = useForm<ChangePasswordBody>({ mode: 'onTouched', defaultValues: EMPTY, resolver });
  const { register, handleSubmit, setError, getValues, reset, control } = form;
  const { errors, isSubmitting, isSubmitted } = form.formState;
  useFocusBack(isSubmitting);
  const errorFor = (name: keyof ChangePasswordBody) => visibleError(errors[name], getValues(name), isSubmitted);
  useRecheckOnLanguageChange(form);
  const repeat = passwordRepeatHandlers(form);
  const [password, passwordRepeat] = useWatch({ control, name: ['password', 'password_repeat'] });
  const strength = usePasswordStrength(password, { username: user.username, mobile: user.mobile });

  const submit = handleSubmit(async (values) => {
    setFormError(null);
    setStatus(null);
    if (strength?.problem) {
      setError('password', { type: 'server', message: strength.problem }, { shouldFocus: true });
      return;
    }
    try {
      const { data, message } = await accountApi.changePassword(values);
      reset(EMPTY);
      if (!(await keptSession(message))) return;
      onUser(data);
      setStatus(message);
      onOthersEnded();
    } catch (error) {
      if (onSessionLost(error)) return;
      if (!(error instanceof ApiError) || !showFieldErrors(setError, FIELD_ORDER, error.fields)) {
        setFormError(alertMessage(error));
      }
    }
  });

  const repeatMatches = passwordRepeat !== '' && passwordRepeat === password && !errors.password_repeat;

  return (
    <section className="account-section" aria-labelledby="password-heading">
      <h2 id="password-heading">{a.passwordHeading}</h2>
      <p className="intro">{a.passwordIntro}</p>
      <form className="form" noValidate onSubmit={submit}>
        <FormAlert message={formError} />
        {/* The username, for password managers: they file the new password under it. */}
        <input type="text" name="username" autoComplete="username" value={user.username} readOnly hidden tabIndex={-1} />
        <TextField
          id="old_password"
          label={a.oldPassword}
          type="password"
          autoComplete="current-password"
          error={errorFor('old_password')}
          {...register('old_password')}
        />
        <TextField
          id="new_password"
          label={a.newPassword}
          type="password"
          autoComplete="new-password"
          error={errorFor('password')}
          hint={<PasswordStrength password={password} strength={strength} />}
          onFocus={() => void loadPasswordStrength().catch(() => {})}
          {...register('password', { onChange: repeat.onPasswordChange })}
        />
        <TextField
          id="new_password_repeat"
          label={a.newPasswordRepeat}
          type="password"
          autoComplete="new-password"
          error={errorFor('password_repeat')}
          status={repeatMatches ? { tone: 'success', text: ui.register.passwordsMatch } : null}
          {...register('password_repeat', { onChange: repeat.onRepeatChange })}
        />
        <FormStatus message={status} />
        <button type="submit" className="button button-primary" disabled={isSubmitting} aria-busy={isSubmitting || undefined}>
          {a.changePassword}
        </button>
      </form>
    </section>
  );
}
