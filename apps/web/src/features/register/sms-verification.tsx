// The image code and the SMS code, with the "Get code" button between them: the part of the
// register form that proves the mobile number (its logic is use-sms-verification.ts).
import { API_PREFIX, fillPath, routes } from '@register/contracts';
import { useWatch } from 'react-hook-form';
import { TextField } from '../../components/text-field';
import { useLanguage } from '../../i18n/locale';
import { AltchaField, AltchaStatusLine } from './altcha-field';
import { CaptchaImage } from './captcha-image';
import { preloadAltchaSolver } from './use-altcha';
import { type SmsFields, type SmsVerificationOptions, useSmsVerification } from './use-sms-verification';

/**
 * Development builds only (`pnpm dev`, `dev:mock`): where the dev SMS outbox shows the code, so
 * trying the form needs no log reading. A production build compiles this away.
 */
function DevOutboxNote({ mobile }: { mobile: string }) {
  const href = `${API_PREFIX}${fillPath(routes.devSms.path, { mobile })}`;
  const { ui } = useLanguage();
  return (
    <p className="form-note dev-note">
      {ui.sms.devNote}{' '}
      <a href={href} target="_blank" rel="noreferrer">
        {ui.sms.devLink}
      </a>
    </p>
  );
}

interface Props<T extends SmsFields> extends SmsVerificationOptions<T> {
  /** The mobile field holds a number the code may be asked for (valid; for registration, not known to be taken). */
  mobileReady: boolean;
  errorFor(name: 'captcha' | 'sms_code'): string | undefined;
  /** What the SMS code's hint says before a code can be asked for (default: registration's). */
  hints?: { image: string; altcha: string };
}

export function SmsVerification<T extends SmsFields>({ mobileReady, errorFor, hints, ...options }: Props<T>) {
  const { form, captchaImage, sms, altcha, altchaRef, requestCode } = useSmsVerification(options);
  const { register, control } = form;
  const captcha = useWatch({ control, name: 'captcha' });
  const verified = altcha.active ? altcha.status.state === 'verified' : captcha.trim() !== '';
  const canRequestCode = mobileReady && verified && sms.ready;
  const { ui, messages } = useLanguage();

  return (
    <>
      {/* The image field or its alternative, then the alternative's live region and the switch
          between the two: the switch keeps its place (and the focus) whichever is shown. */}
      <div className="verification">
        {altcha.active ? (
          <AltchaField ref={altchaRef} error={altcha.error} spent={altcha.status.state === 'spent'} />
        ) : (
          <TextField
            id="captcha"
            label={ui.captcha.label}
            className="field-captcha"
            autoComplete="off"
            autoCapitalize="characters"
            spellCheck={false}
            // No maxLength here or on the SMS code: it would cut a pasted " abcd" that the rule
            // (trimmed) accepts.
            error={errorFor('captcha')}
            status={altcha.turnedOff ? { tone: 'info', text: messages.captcha.altchaOff } : null}
            addon={<CaptchaImage src={captchaImage.src} onRefresh={captchaImage.refresh} />}
            {...register('captcha')}
          />
        )}
        <AltchaStatusLine
          status={altcha.status}
          onRetry={() => {
            // The button goes away while the proof is solved again: focus the block it belonged to.
            altchaRef.current?.focus();
            altcha.retry();
          }}
        />
        {altcha.available ? (
          <button
            type="button"
            className="button-link verification-switch"
            onClick={altcha.active ? altcha.turnOff : altcha.turnOn}
            onFocus={preloadAltchaSolver}
            onPointerEnter={preloadAltchaSolver}
          >
            {altcha.active ? ui.altcha.switchOff : ui.altcha.switchOn}
          </button>
        ) : null}
      </div>

      <TextField
        id="sms_code"
        label={ui.sms.label}
        autoComplete="one-time-code"
        inputMode="numeric"
        error={errorFor('sms_code')}
        status={sms.status}
        hint={
          sms.remaining > 0 || canRequestCode
            ? null
            : altcha.active
              ? (hints?.altcha ?? ui.sms.hintAltcha)
              : (hints?.image ?? ui.sms.hint)
        }
        addon={
          <button
            type="button"
            className="button button-secondary sms-button"
            disabled={!canRequestCode}
            onClick={() => void requestCode()}
          >
            {sms.remaining > 0 ? ui.sms.resendIn(sms.remaining) : ui.sms.getCode}
          </button>
        }
        {...register('sms_code')}
      />
      {import.meta.env.DEV && sms.sentTo ? <DevOutboxNote mobile={sms.sentTo} /> : null}
    </>
  );
}
