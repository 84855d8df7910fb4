// The captcha-and-SMS step of registration: a fresh image, the "Get code" request checked by the
// contracts first, and what follows its answer (a new image either way; focus on the code, or
// the server's messages beside their fields).
import { Code, SmsCodeBody } from '@register/contracts';
import type { UseFormReturn } from 'react-hook-form';
import { checkRequest } from '../../lib/checker';
import type { RegisterValues } from './register-form';
import { useCaptcha } from './use-captcha';
import { useSmsCode } from './use-sms-code';

export interface SmsVerificationOptions {
  form: UseFormReturn<RegisterValues, unknown, unknown>;
  /** Puts server (or contract) messages beside their fields; true when one found a field. */
  showFieldErrors(fields: Readonly<Record<string, string>>): boolean;
  /** The API says the mobile is registered: the form's availability check should know. */
  onMobileTaken(mobile: string): void;
}

export function useSmsVerification({ form, showFieldErrors, onMobileTaken }: SmsVerificationOptions) {
  const captchaImage = useCaptcha();
  const sms = useSmsCode();
  const { getValues, setValue, setFocus } = form;

  async function requestCode() {
    const request = checkRequest<SmsCodeBody>(SmsCodeBody, { mobile: getValues('mobile'), captcha: getValues('captcha') });
    if (!request.ok) {
      showFieldErrors(request.fields);
      return;
    }
    const outcome = await sms.send(request.value);
    // The answer was spent, right or wrong: a new picture and an empty box for the next try.
    setValue('captcha', '');
    captchaImage.refresh();
    if (outcome.ok) {
      setFocus('sms_code');
      return;
    }
    const { error } = outcome;
    if (error.errno === Code.DATAEXIST && error.fields.mobile) onMobileTaken(request.value.mobile);
    // A cooldown is no fault of the mobile field: its message goes beside the button instead.
    const fields = error.errno === Code.THROTTLED ? {} : error.fields;
    if (!showFieldErrors(fields)) setFocus('captcha');
  }

  return { captchaImage, sms, requestCode };
}
