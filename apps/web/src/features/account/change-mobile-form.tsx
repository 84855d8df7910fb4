// Change the mobile number (numbers get recycled by carriers): the new number, checked for
// availability as at registration, proven by a code of purpose change_mobile (the same image
// code, or its alternative, and the same countdown), and the current password.
import { ChangeMobileBody, Code, Mobile } from '@register/contracts';
import { useState } from 'react';
import { type Path, useForm, useWatch } from 'react-hook-form';
import { FormAlert } from '../../components/form-alert';
import { FormStatus } from '../../components/form-status';
import { type FieldStatus, TextField } from '../../components/text-field';
import { useAccountLanguage } from '../../i18n/account-words';
import { accountApi } from '../../lib/account-api';
import { ApiError, api } from '../../lib/api';
import { validFieldValue } from '../../lib/checker';
import { contractResolver, useRecheckOnLanguageChange, visibleError } from '../../lib/contract-resolver';
import { fieldRule } from '../../lib/field-rule';
import { alertMessage, showFieldErrors } from '../../lib/form-errors';
import { useFocusBack } from '../../lib/use-focus-back';
import { SmsVerification } from '../register/sms-verification';
import { useAvailability } from '../register/use-availability';
import type { AccountSectionProps } from './account-page';

/** The change request plus the captcha answer (sent with the SMS request). */
type MobileValues = ChangeMobileBody & { captcha: string };

const EMPTY: MobileValues = { mobile: '', captcha: '', sms_code: '', password: '' };
const FIELD_ORDER: Path<MobileValues>[] = ['mobile', 'captcha', 'sms_code', 'password'];
const resolver = contractResolver<MobileValues, ChangeMobileBody>(ChangeMobileBody);

export function ChangeMobileForm({ user, onUser, onSessionLost }: AccountSectionProps) {
  const { ui, messages, words } = useAccountLanguage();
  const a = words.account;
  const [formError, setFormError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const form = useForm<MobileValues, unknown, ChangeMobileBody>({ mode: 'onTouched', defaultValues: EMPTY, resolver });
  const { register, handleSubmit, setError, getValues, setFocus, reset, control } = form;
  const { errors, isSubmitting, isSubmitted } = form.formState;
  useFocusBack(isSubmitting);
  const errorFor = (name: keyof MobileValues) => visibleError(errors[name], getValues(name), isSubmitted);
  useRecheckOnLanguageChange(form);
  const showErrors = (fields: Readonly<Record<string, string>>) => showFieldErrors(setError, FIELD_ORDER, fields);

  const mobile = useWatch({ control, name: 'mobile' });
  const validMobile = validFieldValue(Mobile, mobile);
  const own = validMobile !== null && validMobile === user.mobile;
  const mobileCheck = useAvailability((value, signal) => api.checkMobile(value, { signal }));
  // The account's own number needs no question: it is taken, by this account.
  const checkable = (raw: string) => {
    const value = validFieldValue(Mobile, raw);
    return value === user.mobile ? null : value;
  };
  const check = mobileCheck.status;
  const current = check.state !== 'idle' && check.value === validMobile ? check : null;
  // A check that could not be made does not block: the API refuses a taken number anyway.
  const usable = current?.state === 'available' || current?.state === 'failed';
  let mobileStatus: FieldStatus | null = null;
  if (own) mobileStatus = { tone: 'error', text: a.sameMobile };
  else if (current?.state === 'checking') mobileStatus = { tone: 'info', text: ui.register.checking };
  else if (current?.state === 'available') mobileStatus = { tone: 'success', text: ui.register.available(current.value) };
  else if (current?.state === 'taken') mobileStatus = { tone: 'error', text: messages.user.mobileTaken };
  else if (current?.state === 'failed') mobileStatus = { tone: 'info', text: current.message };

  const submit = handleSubmit(async (values) => {
    setFormError(null);
    setStatus(null);
    if (own || (current?.state === 'taken' && current.value === values.mobile)) return setFocus('mobile');
    try {
      const { data, message } = await accountApi.changeMobile(values);
      reset(EMPTY);
      onUser(data);
      setStatus(message);
    } catch (error) {
      if (onSessionLost(error)) return;
      if (error instanceof ApiError && error.errno === Code.DATAEXIST && error.fields.mobile)
        mobileCheck.markTaken(values.mobile);
      if (!(error instanceof ApiError) || !showErrors(error.fields)) setFormError(alertMessage(error));
    }
  });

  return (
    <section className="account-section" aria-labelledby="mobile-heading">
      <h2 id="mobile-heading">{a.mobileHeading}</h2>
      <p className="intro">{a.mobileIntro}</p>
      <form className="form" noValidate onSubmit={submit}>
        <FormAlert message={formError} />
        <TextField
          id="new_mobile"
          label={a.newMobile}
          type="tel"
          autoComplete="tel-national"
          inputMode="tel"
          error={errorFor('mobile')}
          status={mobileStatus}
          hint={fieldRule(Mobile, messages).text}
          {...register('mobile', {
            onChange: (event) => mobileCheck.schedule(checkable(event.target.value)),
            onBlur: (event) => mobileCheck.checkNow(checkable(event.target.value)),
          })}
        />
        <SmsVerification
          form={form}
          purpose="change_mobile"
          mobileReady={validMobile !== null && !own && usable}
          errorFor={errorFor}
          showFieldErrors={showErrors}
          onMobileTaken={mobileCheck.markTaken}
          onSessionLost={onSessionLost}
          hints={{ image: a.mobileHint, altcha: a.mobileHintAltcha }}
        />
        <TextField
          id="mobile_password"
          label={a.mobilePassword}
          type="password"
          autoComplete="current-password"
          error={errorFor('password')}
          {...register('password')}
        />
        <FormStatus message={status} />
        <button type="submit" className="button button-primary" disabled={isSubmitting} aria-busy={isSubmitting || undefined}>
          {a.changeMobile}
        </button>
      </form>
    </section>
  );
}
