// The account's email address: set it (it is then unverified, and a link is mailed to it), or
// have the link sent again while it is unverified (the same address posted again).
import { API_PREFIX, Code, type EmailState, fillPath, routes, SetEmailBody } from '@register/contracts';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { FormAlert } from '../../components/form-alert';
import { FormStatus } from '../../components/form-status';
import { TextField } from '../../components/text-field';
import { useAccountLanguage } from '../../i18n/account-words';
import { accountApi } from '../../lib/account-api';
import { type Answer, ApiError } from '../../lib/api';
import { contractResolver, useRecheckOnLanguageChange, visibleError } from '../../lib/contract-resolver';
import { alertMessage, showFieldErrors } from '../../lib/form-errors';
import { useFocusBack } from '../../lib/use-focus-back';
import type { AccountSectionProps } from './account-page';

const resolver = contractResolver<SetEmailBody, SetEmailBody>(SetEmailBody);

/** Development builds only: where the dev mail outbox shows the link (as the register page links the SMS outbox). */
function DevMailNote({ email }: { email: string }) {
  const { words } = useAccountLanguage();
  return (
    <p className="form-note dev-note">
      {words.account.devMailNote}{' '}
      <a href={`${API_PREFIX}${fillPath(routes.devMail.path, { email })}`} target="_blank" rel="noreferrer">
        {words.account.devMailLink}
      </a>
    </p>
  );
}

export function EmailForm({ user, onUser, onSessionLost }: AccountSectionProps) {
  const { words } = useAccountLanguage();
  const a = words.account;
  const [formError, setFormError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [sentTo, setSentTo] = useState<string | null>(null);
  const [resending, setResending] = useState(false);
  const form = useForm<SetEmailBody>({ mode: 'onTouched', defaultValues: { email: user.email }, resolver });
  const { register, handleSubmit, setError, getValues, formState } = form;
  const { errors, isSubmitting, isSubmitted } = formState;
  useRecheckOnLanguageChange(form);

  async function send(request: Promise<Answer<EmailState>>) {
    setFormError(null);
    setStatus(null);
    try {
      const { data, message } = await request;
      onUser({ ...user, ...data });
      setStatus(message);
      if (!data.emailActive) setSentTo(data.email);
    } catch (error) {
      if (onSessionLost(error)) return;
      // A spent send budget is no fault of the address: said in the alert, with the wait.
      const fields = error instanceof ApiError && error.errno !== Code.THROTTLED ? error.fields : {};
      if (!showFieldErrors(setError, ['email'], fields)) setFormError(alertMessage(error));
    }
  }

  const submit = handleSubmit((values) => send(accountApi.setEmail(values)));
  async function resend() {
    setResending(true);
    await send(accountApi.setEmail({ email: user.email }));
    setResending(false);
  }
  const pending = isSubmitting || resending;
  useFocusBack(pending);

  return (
    <section className="account-section" aria-labelledby="email-heading">
      <h2 id="email-heading">{a.emailHeading}</h2>
      <p className="intro">{a.emailIntro}</p>
      <form className="form" noValidate onSubmit={submit}>
        <FormAlert message={formError} />
        <TextField
          id="email"
          label={a.emailLabel}
          type="email"
          autoComplete="email"
          autoCapitalize="none"
          spellCheck={false}
          error={visibleError(errors.email, getValues('email'), isSubmitted)}
          {...register('email')}
        />
        <FormStatus message={status} />
        <button type="submit" className="button button-primary" disabled={pending} aria-busy={isSubmitting || undefined}>
          {a.saveEmail}
        </button>
        {user.email !== '' && !user.emailActive ? (
          <button
            type="button"
            className="button button-secondary"
            disabled={pending}
            aria-busy={resending || undefined}
            onClick={() => void resend()}
          >
            {a.resend}
          </button>
        ) : null}
        {import.meta.env.DEV && sentTo ? <DevMailNote email={sentTo} /> : null}
      </form>
    </section>
  );
}
