// The image code and the SMS code, with the "Get code" button between them: the part of the
// register form that proves the mobile number (its logic is use-sms-verification.ts).
import { API_PREFIX, fillPath, routes } from '@register/contracts';
import { useWatch } from 'react-hook-form';
import { TextField } from '../../components/text-field';
import { CaptchaImage } from './captcha-image';
import { type SmsVerificationOptions, useSmsVerification } from './use-sms-verification';

/**
 * Development builds only (`pnpm dev`, `dev:mock`): where the dev SMS outbox shows the code, so
 * trying the form needs no log reading. A production build compiles this away.
 */
function DevOutboxNote({ mobile }: { mobile: string }) {
  const href = `${API_PREFIX}${fillPath(routes.devSms.path, { mobile })}`;
  return (
    <p className="form-note dev-note">
      Development: no SMS leaves this machine.{' '}
      <a href={href} target="_blank" rel="noreferrer">
        See the code in the dev outbox
      </a>
      .
    </p>
  );
}

interface Props extends SmsVerificationOptions {
  /** The mobile field holds a valid number not known to be registered. */
  mobileReady: boolean;
  errorFor(name: 'captcha' | 'sms_code'): string | undefined;
}

export function SmsVerification({ mobileReady, errorFor, ...options }: Props) {
  const { captchaImage, sms, requestCode } = useSmsVerification(options);
  const { register, control } = options.form;
  const captcha = useWatch({ control, name: 'captcha' });
  const canRequestCode = mobileReady && captcha.trim() !== '' && sms.ready;

  return (
    <>
      <TextField
        id="captcha"
        label="Image code"
        className="field-captcha"
        autoComplete="off"
        autoCapitalize="characters"
        spellCheck={false}
        // No maxLength here or on the SMS code: it would cut a pasted " abcd" that the rule
        // (trimmed) accepts.
        error={errorFor('captcha')}
        addon={<CaptchaImage src={captchaImage.src} onRefresh={captchaImage.refresh} />}
        {...register('captcha')}
      />

      <TextField
        id="sms_code"
        label="SMS code"
        autoComplete="one-time-code"
        inputMode="numeric"
        error={errorFor('sms_code')}
        status={sms.status}
        hint={
          sms.remaining > 0 || canRequestCode
            ? null
            : 'To get a code, enter an available mobile number and the image code, then press “Get code”.'
        }
        addon={
          <button
            type="button"
            className="button button-secondary sms-button"
            disabled={!canRequestCode}
            onClick={() => void requestCode()}
          >
            {sms.remaining > 0 ? `Resend in ${sms.remaining} s` : 'Get code'}
          </button>
        }
        {...register('sms_code')}
      />
      {import.meta.env.DEV && sms.sentTo ? <DevOutboxNote mobile={sms.sentTo} /> : null}
    </>
  );
}
