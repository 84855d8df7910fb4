// Renames one passkey, in place in its list item: the name field (the contracts' PasskeyName
// rule: 1-64 printable characters, trimmed), "Save name" and "Cancel" (Escape too). The API's
// field message goes beside the field; anything else to the section's alert.
import { checks } from 'virtual:contract-validators/PasskeyRenameBody';
import { PasskeyRenameBody, type PasskeyView } from '@register/contracts';
import { useForm } from 'react-hook-form';
import { TextField } from '../../components/text-field';
import { useAccountLanguage } from '../../i18n/account-words';
import { ApiError } from '../../lib/api';
import { addRequestChecks } from '../../lib/checker';
import { contractResolver, useRecheckOnLanguageChange, visibleError } from '../../lib/contract-resolver';
import { showFieldErrors } from '../../lib/form-errors';
import { passkeyApi } from '../../lib/passkey-api';
import { useFocusBack } from '../../lib/use-focus-back';

// Its checks come with this chunk, not the first one (contract-validators.ts).
addRequestChecks({ PasskeyRenameBody }, checks);
const resolver = contractResolver<PasskeyRenameBody, PasskeyRenameBody>(PasskeyRenameBody);

/** The rename form's field, focused when the form opens. */
export const PASSKEY_NAME_ID = 'passkey-name';

interface Props {
  passkey: PasskeyView;
  onRenamed(passkey: PasskeyView, message: string): void;
  onCancel(): void;
  /** A refusal that is not about the name (the session gone, the passkey deleted meanwhile). */
  onFailed(error: unknown): void;
}

export function PasskeyRenameForm({ passkey, onRenamed, onCancel, onFailed }: Props) {
  const { messages, words } = useAccountLanguage();
  const a = words.account;
  const form = useForm<PasskeyRenameBody>({ mode: 'onTouched', defaultValues: { name: passkey.name }, resolver });
  const { register, handleSubmit, setError, getValues, formState } = form;
  const { errors, isSubmitting, isSubmitted } = formState;
  useFocusBack(isSubmitting);
  useRecheckOnLanguageChange(form);

  const submit = handleSubmit(async (values) => {
    try {
      const { data, message } = await passkeyApi.rename(passkey.id, values);
      onRenamed(data, message);
    } catch (error) {
      if (error instanceof ApiError && showFieldErrors(setError, ['name'], error.fields)) return;
      onFailed(error);
    }
  });

  return (
    <form className="passkey-rename" noValidate onSubmit={submit}>
      <TextField
        id={PASSKEY_NAME_ID}
        label={messages.fields.passkeyName.title}
        autoComplete="off"
        error={visibleError(errors.name, getValues('name'), isSubmitted)}
        onKeyDown={(event) => {
          if (event.key === 'Escape') {
            event.preventDefault();
            onCancel();
          }
        }}
        {...register('name')}
      />
      <div className="passkey-actions">
        <button type="submit" className="button button-secondary" disabled={isSubmitting} aria-busy={isSubmitting || undefined}>
          {a.saveName}
        </button>
        <button type="button" className="button button-secondary" disabled={isSubmitting} onClick={onCancel}>
          {a.cancel}
        </button>
      </div>
    </form>
  );
}
