// The registration form: the seed's fields, validated by the contracts' rules as the visitor
// goes, with live availability and the server's field messages. The captcha and the SMS code
// are their own block (sms-verification.tsx).
import { Code, Mobile, RegisterBody, type Registered, routes, Username, usernameProblem } from '@register/contracts';
import { useState } from 'react';
import { type Path, useForm, useWatch } from 'react-hook-form';
import { FormAlert } from '../../components/form-alert';
import { type FieldStatus, TextField } from '../../components/text-field';
import { type Language, useLanguage } from '../../i18n/locale';
import { ApiError, api } from '../../lib/api';
import { validFieldValue } from '../../lib/checker';
import { contractResolver, useRecheckOnLanguageChange, visibleError } from '../../lib/contract-resolver';
import { fieldRule } from '../../lib/field-rule';
import { useFocusBack } from '../../lib/use-focus-back';
import { PasswordStrength } from './password-strength-meter';
import { SmsVerification } from './sms-verification';
import { type Availability, useAvailability } from './use-availability';
import { loadPasswordStrength, usePasswordStrength } from './use-password-strength';

/** What the inputs hold: the register request plus the captcha answer (sent with the SMS request). */
export type RegisterValues = RegisterBody & { captcha: string };

const EMPTY: RegisterValues = { username: '', password: '', password_repeat: '', mobile: '', captcha: '', sms_code: '' };
const FIELD_ORDER: (keyof RegisterValues)[] = ['username', 'password', 'password_repeat', 'mobile', 'captcha', 'sms_code'];

const resolver = contractResolver<RegisterValues, RegisterBody>(RegisterBody, routes.register.rules);

/** A username worth asking the API about: valid, and not reserved (the form's own rule says so). */
const checkableUsername = (raw: string) => {
  const value = validFieldValue(Username, raw);
  return value !== null && usernameProblem(value) === null ? value : null;
};

/** The availability answer as the field's message, when it is about the value now in the field. */
function availabilityStatus(
  status: Availability,
  current: string | null,
  field: 'username' | 'mobile',
  { ui, messages }: Language,
): FieldStatus | null {
  if (status.state === 'idle' || status.value !== current) return null;
  switch (status.state) {
    case 'checking':
      return { tone: 'info', text: ui.register.checking };
    case 'available':
      return { tone: 'success', text: ui.register.available(status.value) };
    case 'taken':
      return { tone: 'error', text: field === 'username' ? messages.user.usernameTaken : messages.user.mobileTaken };
    case 'failed':
      return { tone: 'info', text: status.message };
  }
}

export function RegisterForm({ onRegistered }: { onRegistered(result: Registered): void }) {
  const [formError, setFormError] = useState<string | null>(null);
  const language = useLanguage();
  const { ui, messages } = language;

  const form = useForm<RegisterValues, unknown, RegisterBody>({ mode: 'onTouched', defaultValues: EMPTY, resolver });
  const { register, handleSubmit, setError, clearErrors, setFocus, getValues, getFieldState, trigger, control } = form;
  const { errors, isSubmitting, isSubmitted } = form.formState;
  useFocusBack(isSubmitting);
  const errorFor = (name: keyof RegisterValues) => visibleError(errors[name], getValues(name), isSubmitted);
  useRecheckOnLanguageChange(form);
  const [username, mobile, password, passwordRepeat] = useWatch({
    control,
    name: ['username', 'mobile', 'password', 'password_repeat'],
  });

  const usernameCheck = useAvailability((value, signal) => api.checkUsername(value, { signal }));
  const mobileCheck = useAvailability((value, signal) => api.checkMobile(value, { signal }));
  const validUsername = checkableUsername(username);
  const validMobile = validFieldValue(Mobile, mobile);
  const usernameStatus = availabilityStatus(usernameCheck.status, validUsername, 'username', language);
  const mobileStatus = availabilityStatus(mobileCheck.status, validMobile, 'mobile', language);
  const usernameRule = fieldRule(Username, messages);
  const mobileRule = fieldRule(Mobile, messages);
  // A check that could not be made (offline, or paused by the API's limit) does not block the
  // form: the API refuses a registered mobile when the code is requested anyway.
  const mobileUsable =
    (mobileCheck.status.state === 'available' || mobileCheck.status.state === 'failed') &&
    mobileCheck.status.value === validMobile;
  const strength = usePasswordStrength(password, { username, mobile: validMobile ?? undefined });

  /** Puts each server message beside its field; true when at least one found a field. */
  function showFieldErrors(fields: Readonly<Record<string, string>>): boolean {
    const known = FIELD_ORDER.filter((name) => fields[name]);
    known.forEach((name, index) => {
      setError(name as Path<RegisterValues>, { type: 'server', message: fields[name] }, { shouldFocus: index === 0 });
    });
    return known.length > 0;
  }

  /** Re-checks a field whose rule depends on another one, once the visitor has been there. */
  function revalidateIfTouched(name: 'password' | 'password_repeat') {
    if (getFieldState(name).isTouched && getValues(name) !== '') void trigger(name);
  }

  /** The repeat is compared while it is typed; a correct beginning is not an error yet. */
  function compareRepeat() {
    const [first, repeat] = getValues(['password', 'password_repeat']);
    if (repeat === '') return;
    const stillTyping = first.startsWith(repeat) && repeat.length < first.length;
    if (stillTyping && !getFieldState('password_repeat').isTouched) clearErrors('password_repeat');
    else void trigger('password_repeat');
  }

  const submit = handleSubmit(async (values) => {
    setFormError(null);
    // Known to be taken: the API would refuse, and the reason is already beside the field.
    if (usernameCheck.status.state === 'taken' && usernameCheck.status.value === values.username) return setFocus('username');
    if (mobileCheck.status.state === 'taken' && mobileCheck.status.value === values.mobile) return setFocus('mobile');
    // The API refuses a guessable password only after checking the SMS code (which spends an
    // attempt): when the estimate is already known here, say so without asking.
    if (strength?.problem) {
      setError('password', { type: 'server', message: strength.problem }, { shouldFocus: true });
      return;
    }
    try {
      onRegistered(await api.register(values));
    } catch (error) {
      const apiError = error instanceof ApiError ? error : null;
      if (!apiError) console.error(error);
      if (apiError?.errno === Code.DATAEXIST) {
        if (apiError.fields.username) usernameCheck.markTaken(values.username);
        if (apiError.fields.mobile) mobileCheck.markTaken(values.mobile);
      }
      if (!apiError || !showFieldErrors(apiError.fields)) setFormError(apiError?.message ?? ui.api.unexpected);
    }
  });

  const repeatMatches = passwordRepeat !== '' && passwordRepeat === password && !errors.password_repeat;

  return (
    <form className="form" noValidate onSubmit={submit} aria-describedby="register-form-note">
      <p id="register-form-note" className="form-note">
        {ui.register.allRequired}
      </p>
      <FormAlert message={formError} />

      <TextField
        id="username"
        label={ui.register.username}
        autoComplete="username"
        autoCapitalize="none"
        spellCheck={false}
        maxLength={usernameRule.maxLength}
        error={errorFor('username')}
        status={usernameStatus}
        hint={usernameRule.text}
        {...register('username', {
          onChange: (event) => usernameCheck.schedule(checkableUsername(event.target.value)),
          onBlur: (event) => {
            usernameCheck.checkNow(checkableUsername(event.target.value));
            revalidateIfTouched('password');
          },
        })}
      />

      <TextField
        id="password"
        label={ui.register.password}
        type="password"
        autoComplete="new-password"
        error={errorFor('password')}
        hint={<PasswordStrength password={password} strength={strength} />}
        // The estimator (~0.85 MB gzipped, its dictionaries) starts downloading as the field is entered.
        onFocus={() => void loadPasswordStrength().catch(() => {})}
        {...register('password', {
          onChange: () => revalidateIfTouched('password_repeat'),
        })}
      />

      <TextField
        id="password_repeat"
        label={ui.register.passwordRepeat}
        type="password"
        autoComplete="new-password"
        error={errorFor('password_repeat')}
        status={repeatMatches ? { tone: 'success', text: ui.register.passwordsMatch } : null}
        {...register('password_repeat', { onChange: compareRepeat })}
      />

      <TextField
        id="mobile"
        label={ui.register.mobile}
        type="tel"
        autoComplete="tel-national"
        inputMode="tel"
        error={errorFor('mobile')}
        status={mobileStatus}
        hint={mobileRule.text}
        {...register('mobile', {
          onChange: (event) => mobileCheck.schedule(validFieldValue(Mobile, event.target.value)),
          onBlur: (event) => {
            mobileCheck.checkNow(validFieldValue(Mobile, event.target.value));
            revalidateIfTouched('password');
          },
        })}
      />

      <SmsVerification
        form={form}
        mobileReady={validMobile !== null && mobileUsable}
        errorFor={errorFor}
        showFieldErrors={showFieldErrors}
        onMobileTaken={mobileCheck.markTaken}
      />

      <button type="submit" className="button button-primary" disabled={isSubmitting} aria-busy={isSubmitting || undefined}>
        {ui.register.submit}
      </button>
    </form>
  );
}
