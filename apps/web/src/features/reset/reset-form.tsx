// "Forgot password?": the mobile number, the image code (or its alternative) and a code of
// purpose reset, then the new password twice with the strength meter. The API answers the code
// request the same whether or not the number has an account, so this form never says either;
// on success every session of the account has ended and the visitor logs in (app.tsx). A
// visitor logged in as another account (a shared computer) stays so, and reads the answer here.
import { Mobile, PasswordResetBody, routes, type UserView } from '@register/contracts';
import { useState } from 'react';
import { type Path, useForm, useWatch } from 'react-hook-form';
import { FormAlert } from '../../components/form-alert';
import { FormStatus } from '../../components/form-status';
import { TextField } from '../../components/text-field';
import { useAccountLanguage } from '../../i18n/account-words';
import { accountApi } from '../../lib/account-api';
import { ApiError } from '../../lib/api';
import { validFieldValue } from '../../lib/checker';
import { contractResolver, useRecheckOnLanguageChange, visibleError } from '../../lib/contract-resolver';
import { fieldRule } from '../../lib/field-rule';
import { alertMessage, showFieldErrors } from '../../lib/form-errors';
import { passwordRepeatHandlers } from '../../lib/password-repeat';
import { useFocusBack } from '../../lib/use-focus-back';
import { PasswordStrength } from '../register/password-strength-meter';
import { SmsVerification } from '../register/sms-verification';
import { loadPasswordStrength, usePasswordStrength } from '../register/use-password-strength';

/** The reset request plus the captcha answer (sent with the SMS request). */
export type ResetValues = PasswordResetBody & { captcha: string };

const EMPTY: ResetValues = { mobile: '', captcha: '', sms_code: '', password: '', password_repeat: '' };
const FIELD_ORDER: Path<ResetValues>[] = ['mobile', 'captcha', 'sms_code', 'password', 'password_repeat'];
const resolver = contractResolver<ResetValues, PasswordResetBody>(PasswordResetBody, routes.passwordReset.rules);

export function ResetForm({ user, onReset }: { user: UserView | null; onReset(message: string): void }) {
  const [formError, setFormError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const { ui, messages, words } = useAccountLanguage();
  const form = useForm<ResetValues, unknown, PasswordResetBody>({ mode: 'onTouched', defaultValues: EMPTY, resolver });
  const { register, handleSubmit, setError, getValues, control, reset } = form;
  const repeat = passwordRepeatHandlers(form);
  const { errors, isSubmitting, isSubmitted } = form.formState;
  useFocusBack(isSubmitting);
  const errorFor = (name: keyof ResetValues) => visibleError(errors[name], getValues(name), isSubmitted);
  useRecheckOnLanguageChange(form);
  const [mobile, password, passwordRepeat] = useWatch({ control, name: ['mobile', 'password', 'password_repeat'] });
  const validMobile = validFieldValue(Mobile, mobile);
  const strength = usePasswordStrength(password, { mobile: validMobile ?? undefined });
  const showErrors = (fields: Readonly<Record<string, string>>) => showFieldErrors(setError, FIELD_ORDER, fields);

  const submit = handleSubmit(async (values) => {
    setFormError(null);
    setStatus(null);
    // Known to be guessable already: said without spending an attempt of the code.
    if (strength?.problem) {
      setError('password', { type: 'server', message: strength.problem }, { shouldFocus: true });
      return;
    }
    try {
      const { message } = await accountApi.resetPassword(values);
      // The sessions of the account with that number have ended: this one only if it was its.
      if (user && user.mobile !== values.mobile) {
        reset(EMPTY);
        setStatus(message);
      } else onReset(message);
    } catch (error) {
      if (!(error instanceof ApiError) || !showErrors(error.fields)) setFormError(alertMessage(error));
    }
  });

  const repeatMatches = passwordRepeat !== '' && passwordRepeat === password && !errors.password_repeat;

  return (
    <form className="form" noValidate onSubmit={submit} aria-describedby="reset-form-note">
      <p id="reset-form-note" className="form-note">
        {ui.register.allRequired}
      </p>
      <FormAlert message={formError} />

      <TextField
        id="mobile"
        label={words.reset.mobile}
        type="tel"
        autoComplete="tel-national"
        inputMode="tel"
        error={errorFor('mobile')}
        hint={fieldRule(Mobile, messages).text}
        {...register('mobile')}
      />

      <SmsVerification
        form={form}
        purpose="reset"
        mobileReady={validMobile !== null}
        errorFor={errorFor}
        showFieldErrors={showErrors}
        hints={{ image: words.reset.hint, altcha: words.reset.hintAltcha }}
      />

      <TextField
        id="password"
        label={words.reset.password}
        type="password"
        autoComplete="new-password"
        error={errorFor('password')}
        hint={<PasswordStrength password={password} strength={strength} />}
        onFocus={() => void loadPasswordStrength().catch(() => {})}
        {...register('password', { onChange: repeat.onPasswordChange })}
      />

      <TextField
        id="password_repeat"
        label={words.reset.passwordRepeat}
        type="password"
        autoComplete="new-password"
        error={errorFor('password_repeat')}
        status={repeatMatches ? { tone: 'success', text: ui.register.passwordsMatch } : null}
        {...register('password_repeat', { onChange: repeat.onRepeatChange })}
      />

      {/* Only a logged-in visitor can get an answer here (see above); for the others the page leaves at once. */}
      {user ? <FormStatus message={status} /> : null}

      <button type="submit" className="button button-primary" disabled={isSubmitting} aria-busy={isSubmitting || undefined}>
        {words.reset.submit}
      </button>
    </form>
  );
}
