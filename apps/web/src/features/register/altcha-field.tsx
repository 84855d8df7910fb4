// The image code's alternative on screen: in place of the image field, a short explanation and
// the API's message about it; below either, the live region that tells how the proof of work is
// going (always in the page, so screen readers already watch it when the first message comes)
// and, when it failed, a button to try again.
import type { Ref } from 'react';
import type { FieldStatus } from '../../components/text-field';
import { type Language, useLanguage } from '../../i18n/locale';
import type { AltchaStatus } from './use-altcha';

export const ALTCHA_STATUS_ID = 'altcha-status';

/** Takes the image field's place. Focusable (not in the tab order) to be focused on a refusal. */
export function AltchaField({ error, spent, ref }: { error: string | null; spent: boolean; ref?: Ref<HTMLFieldSetElement> }) {
  const { ui, messages } = useLanguage();
  return (
    <fieldset
      ref={ref}
      id="altcha"
      className="field field-altcha"
      tabIndex={-1}
      aria-describedby={`altcha-message ${ALTCHA_STATUS_ID} altcha-hint`}
    >
      <legend className="field-label">{messages.fields.altcha.title}</legend>
      <p id="altcha-hint" className="field-hint">
        {spent ? ui.altcha.spent : ui.altcha.explain}
      </p>
      <p id="altcha-message" className="field-message" data-tone={error ? 'error' : undefined} aria-live="polite">
        {error}
      </p>
    </fieldset>
  );
}

/** What the live region says in each state (nothing while idle, or once the proof is spent). */
function statusMessage(status: AltchaStatus, { ui, messages }: Language): FieldStatus | null {
  switch (status.state) {
    case 'verifying':
      return { tone: 'info', text: ui.altcha.verifying };
    case 'verified':
      return { tone: 'success', text: ui.altcha.verified };
    case 'failed':
      return { tone: 'warning', text: [ui.altcha.failed, status.message].filter(Boolean).join(messages.sentenceGap) };
    default:
      return null;
  }
}

export function AltchaStatusLine({ status, onRetry }: { status: AltchaStatus; onRetry(): void }) {
  const language = useLanguage();
  const { ui } = language;
  const message = statusMessage(status, language);
  return (
    <>
      <p id={ALTCHA_STATUS_ID} className="field-message altcha-status" role="status" data-tone={message?.tone}>
        {message?.text}
      </p>
      {status.state === 'failed' ? (
        <button type="button" className="button button-secondary altcha-retry" onClick={onRetry}>
          {ui.altcha.retry}
        </button>
      ) : null}
    </>
  );
}
