// The captcha-and-SMS step of registration (and of the password reset and the mobile change: the
// same block with another `purpose`): a fresh image (or its alternative, the proof of work), the
// "Get code" request checked by the contracts first, and what follows its answer (a new image or
// a new proof either way; focus on the code, or the server's messages beside their fields).
import { Code, routes, SmsCodeBody, type SmsPurpose } from '@register/contracts';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { UseFormReturn } from 'react-hook-form';
import { checkRequest } from '../../lib/checker';
import { useAltcha } from './use-altcha';
import { useCaptcha } from './use-captcha';
import { useSmsCode } from './use-sms-code';

/** The inputs the block reads and fills, in whichever form holds them. */
export interface SmsFields {
  mobile: string;
  captcha: string;
  sms_code: string;
}

export interface SmsVerificationOptions<T extends SmsFields = SmsFields> {
  form: UseFormReturn<T, unknown, unknown>;
  /** Which flow the code is for (the API's default, register, when not given). */
  purpose?: SmsPurpose;
  /** Puts server (or contract) messages beside their fields; true when one found a field. */
  showFieldErrors(fields: Readonly<Record<string, string>>): boolean;
  /** The API says the mobile is registered: the form's availability check should know. */
  onMobileTaken?(mobile: string): void;
  /**
   * A refusal that may mean the visitor's session is gone (a change_mobile code needs one):
   * true when the form handled it (it sent the visitor to log in), and nothing else is said.
   */
  onSessionLost?(error: unknown): boolean;
}

/** What the API may say about the proof of work (or, with it in use, about the image code it replaces). */
const VERIFICATION_FIELDS = ['altcha', 'captcha', '_'];

export function useSmsVerification<T extends SmsFields>(options: SmsVerificationOptions<T>) {
  const { purpose, showFieldErrors, onMobileTaken = () => {}, onSessionLost = () => false } = options;
  // Only the three fields above are read or set: any form that has them (T extends SmsFields)
  // is, for this block, a form of just those (react-hook-form's types cannot say "at least").
  const form = options.form as unknown as UseFormReturn<SmsFields, unknown, unknown>;
  const captchaImage = useCaptcha();
  const sms = useSmsCode();
  const { getValues, setValue, setFocus, clearErrors } = form;
  /** A code is on its way: the field says so (an earlier "is required" would hide it), and has the focus. */
  const awaitCode = () => {
    clearErrors('sms_code');
    setFocus('sms_code');
  };
  /** The proof-of-work block, focused when the API refused what was sent with it. */
  const altchaRef = useRef<HTMLFieldSetElement>(null);
  // The image input is mounted again when the visitor comes back to it: focused once it exists.
  const [focusCaptcha, setFocusCaptcha] = useState(false);
  const imageBack = useCallback(() => {
    captchaImage.refresh(); // the one shown before may have expired meanwhile
    setFocusCaptcha(true);
  }, [captchaImage.refresh]);
  const altcha = useAltcha({ canRequestAgain: sms.ready, onImageBack: imageBack });

  useEffect(() => {
    if (focusCaptcha && !altcha.active) {
      setFocus('captcha');
      setFocusCaptcha(false);
    }
  }, [focusCaptcha, altcha.active, setFocus]);

  async function requestWithImage() {
    const request = checkRequest<SmsCodeBody>(
      SmsCodeBody,
      { mobile: getValues('mobile'), captcha: getValues('captcha'), purpose },
      routes.sendSmsCode.rules,
    );
    if (!request.ok) {
      showFieldErrors(request.fields);
      return;
    }
    const outcome = await sms.send(request.value);
    // The answer was spent, right or wrong: a new picture and an empty box for the next try.
    setValue('captcha', '');
    captchaImage.refresh();
    if (outcome.ok) return awaitCode();
    const { error } = outcome;
    if (onSessionLost(error)) return;
    if (error.errno === Code.DATAEXIST && error.fields.mobile) onMobileTaken(request.value.mobile);
    // A cooldown is no fault of the mobile field: its message goes beside the button instead.
    const fields = error.errno === Code.THROTTLED ? {} : error.fields;
    if (!showFieldErrors(fields)) setFocus('captcha');
  }

  async function requestWithAltcha() {
    const payload = await altcha.take();
    if (payload === null) return;
    const request = checkRequest<SmsCodeBody>(
      SmsCodeBody,
      { mobile: getValues('mobile'), altcha: payload, purpose },
      routes.sendSmsCode.rules,
    );
    if (!request.ok) {
      showErrorsWithAltcha(request.fields);
      return;
    }
    const outcome = await sms.send(request.value);
    // Single-use, accepted or not: a new proof is solved when another request is possible.
    altcha.markSpent();
    if (outcome.ok) return awaitCode();
    const { error } = outcome;
    if (onSessionLost(error)) return;
    if (error.errno === Code.DATAEXIST && error.fields.mobile) onMobileTaken(request.value.mobile);
    showErrorsWithAltcha(error.errno === Code.THROTTLED ? {} : error.fields);
  }

  /** The proof of work's messages at its control, the others beside their fields; focus on the first. */
  function showErrorsWithAltcha(fields: Readonly<Record<string, string>>) {
    const aboutVerification = VERIFICATION_FIELDS.map((name) => fields[name]).find(Boolean);
    if (aboutVerification) altcha.showError(aboutVerification);
    const others = Object.fromEntries(Object.entries(fields).filter(([name]) => !VERIFICATION_FIELDS.includes(name)));
    if (!showFieldErrors(others)) altchaRef.current?.focus();
  }

  const requestCode = () => (altcha.active ? requestWithAltcha() : requestWithImage());

  return { form, captchaImage, sms, altcha, altchaRef, requestCode };
}
