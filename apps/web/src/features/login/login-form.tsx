// Log in with a username or a mobile number, or (where the browser has WebAuthn) with a passkey
// alone: the button, or the account field's autofill. The API answers every kind of wrong
// account, password or passkey the same way (so accounts cannot be probed): that answer is a
// form-level alert.
import { Code, LoginBody, type UserView } from '@register/contracts';
import { useState } from 'react';
import { type Path, useForm } from 'react-hook-form';
import { FormAlert } from '../../components/form-alert';
import { TextField } from '../../components/text-field';
import { useLanguage } from '../../i18n/locale';
import { ApiError, api } from '../../lib/api';
import { contractResolver, useRecheckOnLanguageChange, visibleError } from '../../lib/contract-resolver';
import { useFocusBack } from '../../lib/use-focus-back';
import { usePasskeyLogin } from './use-passkey-login';

const resolver = contractResolver<LoginBody, LoginBody>(LoginBody);
const FIELD_ORDER: (keyof LoginBody)[] = ['account', 'password'];

export function LoginForm({ onLoggedIn }: { onLoggedIn(user: UserView): void }) {
  const [formError, setFormError] = useState<string | null>(null);
  const { ui, messages } = useLanguage();
  const form = useForm<LoginBody>({
    mode: 'onTouched',
    defaultValues: { account: '', password: '' },
    resolver,
  });
  const { register, handleSubmit, setError, getValues, formState } = form;
  const { errors, isSubmitting, isSubmitted } = formState;
  const passkey = usePasskeyLogin({ onLoggedIn, onProblem: setFormError });
  useFocusBack(isSubmitting || passkey.pending);
  useRecheckOnLanguageChange(form);
  const errorFor = (name: keyof LoginBody) => visibleError(errors[name], getValues(name), isSubmitted);

  const submit = handleSubmit(async (values) => {
    setFormError(null);
    try {
      onLoggedIn(await api.login(values));
    } catch (error) {
      if (!(error instanceof ApiError)) {
        console.error(error);
        setFormError(ui.api.unexpected);
        return;
      }
      const fields = FIELD_ORDER.filter((name) => error.fields[name]);
      fields.forEach((name, index) => {
        setError(name as Path<LoginBody>, { type: 'server', message: error.fields[name] }, { shouldFocus: index === 0 });
      });
      if (fields.length > 0) return;
      const wait = error.errno === Code.THROTTLED && error.retryAfter ? ui.login.tryAgainIn(ui.duration(error.retryAfter)) : '';
      setFormError([error.message, wait].filter(Boolean).join(messages.sentenceGap));
    }
  });

  return (
    <form className="form" noValidate onSubmit={submit} data-passkey-autofill={passkey.supported ? passkey.autofill : undefined}>
      <FormAlert message={formError} />
      <TextField
        id="account"
        label={ui.login.account}
        // "webauthn": the browser may offer the account's passkeys in this field's autofill.
        autoComplete={passkey.supported ? 'username webauthn' : 'username'}
        autoCapitalize="none"
        spellCheck={false}
        error={errorFor('account')}
        {...register('account')}
      />
      <TextField
        id="login-password"
        label={ui.login.password}
        type="password"
        autoComplete="current-password"
        error={errorFor('password')}
        {...register('password')}
      />
      <button type="submit" className="button button-primary" disabled={isSubmitting} aria-busy={isSubmitting || undefined}>
        {ui.login.submit}
      </button>
      {passkey.supported ? (
        <>
          <p className="or">{ui.login.or}</p>
          <button
            type="button"
            className="button button-secondary"
            disabled={passkey.pending}
            aria-busy={passkey.pending || undefined}
            onClick={() => void passkey.signIn()}
            onPointerEnter={passkey.preload}
            onFocus={passkey.preload}
          >
            {ui.login.passkey}
          </button>
          {/* Always in the page, so a screen reader already watches it when the note arrives. */}
          <p className="form-note passkey-note" role="status">
            {passkey.note}
          </p>
        </>
      ) : null}
    </form>
  );
}
