// Log in with a username or a mobile number. The API answers every kind of wrong account or
// password the same way (so accounts cannot be probed): that answer is a form-level alert.
import { Code, LoginBody, type UserView } from '@register/contracts';
import { useState } from 'react';
import { type Path, useForm } from 'react-hook-form';
import { FormAlert } from '../../components/form-alert';
import { TextField } from '../../components/text-field';
import { useLanguage } from '../../i18n/locale';
import { ApiError, api } from '../../lib/api';
import { contractResolver, useRecheckOnLanguageChange, visibleError } from '../../lib/contract-resolver';

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
    <form className="form" noValidate onSubmit={submit}>
      <FormAlert message={formError} />
      <TextField
        id="account"
        label={ui.login.account}
        autoComplete="username"
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
    </form>
  );
}
