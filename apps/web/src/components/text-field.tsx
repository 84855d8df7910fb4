// A labelled input with its message line: the label is visible, the message (an error, or a
// status such as "alice_1 is available") is tied to the input by aria-describedby and announced
// politely, and aria-invalid marks the input while it is in error.
import type { InputHTMLAttributes, ReactNode, Ref } from 'react';

/** Only 'error' marks the input invalid; 'warning' is a problem that is not the input's fault. */
export type Tone = 'info' | 'success' | 'warning' | 'error';

export interface FieldStatus {
  tone: Tone;
  text: ReactNode;
}

export interface TextFieldProps extends Omit<InputHTMLAttributes<HTMLInputElement>, 'id'> {
  id: string;
  label: string;
  /** A validation or server message; wins over `status`. */
  error?: string;
  /** A non-error message (availability, "Passwords match"); tone "error" also marks the input invalid. */
  status?: FieldStatus | null;
  /** Standing help text under the message line. */
  hint?: ReactNode;
  /** Rendered right of the input (e.g. the "Get code" button). */
  addon?: ReactNode;
  ref?: Ref<HTMLInputElement>;
}

export function TextField({ id, label, error, status, hint, addon, className, ...input }: TextFieldProps) {
  const message: FieldStatus | null = error ? { tone: 'error', text: error } : (status ?? null);
  const invalid = message?.tone === 'error';
  const messageId = `${id}-message`;
  const hintId = `${id}-hint`;
  // A rule shown as help text is not repeated while the same words are the error.
  const showHint = Boolean(hint) && hint !== message?.text;
  const describedBy = showHint ? `${messageId} ${hintId}` : messageId;

  return (
    <div className={['field', className].filter(Boolean).join(' ')}>
      <label htmlFor={id}>{label}</label>
      <div className={addon ? 'field-row' : undefined}>
        <input id={id} aria-invalid={invalid ? true : undefined} aria-describedby={describedBy} {...input} />
        {addon}
      </div>
      {/* Always rendered, so screen readers already watch it when a message arrives. */}
      <p id={messageId} className="field-message" data-tone={message?.tone} aria-live="polite">
        {message?.text}
      </p>
      {showHint ? (
        <div id={hintId} className="field-hint">
          {hint}
        </div>
      ) : null}
    </div>
  );
}
