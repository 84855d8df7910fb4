// /verify-email#token=...: the link of the verification email. The token is already out of the
// address bar (app.tsx, lib/url-token.ts); this page sends it once and says what happened:
// verified, a link that is invalid, used or expired, or an address another account verified.
import '../../styles/account.css';
import type { EmailState } from '@register/contracts';
import { useCallback, useEffect, useState } from 'react';
import { FormAlert } from '../../components/form-alert';
import { FormStatus } from '../../components/form-status';
import { useAccountLanguage } from '../../i18n/account-words';
import { accountApi } from '../../lib/account-api';
import { type Answer, ApiError } from '../../lib/api';
import { alertMessage } from '../../lib/form-errors';
import { PAGE_HEADING_ID, Page } from '../../lib/page';
import { Link } from '../../lib/router';
import { useSession } from '../../lib/session';

// A token is single-use: one request per token, whatever React does with effects (StrictMode
// runs them twice in development). A failed request may be tried again (retry()).
const sent = new Map<string, Promise<Answer<EmailState>>>();
function verifyOnce(token: string): Promise<Answer<EmailState>> {
  let pending = sent.get(token);
  if (!pending) {
    pending = accountApi.verifyEmail({ token });
    sent.set(token, pending);
    pending.catch(() => sent.delete(token));
  }
  return pending;
}

type Outcome =
  | { state: 'verifying' }
  | { state: 'verified'; message: string; email: string }
  /** `retryable`: no answer, or the server's trouble (not a verdict on the link). */
  | { state: 'refused'; message: string; retryable: boolean };

export function VerifyEmailPage({ token }: { token: string | null }) {
  const { words, messages } = useAccountLanguage();
  const { session, signedIn } = useSession();
  const [outcome, setOutcome] = useState<Outcome>(() =>
    token ? { state: 'verifying' } : { state: 'refused', message: messages.fields.emailToken.invalid, retryable: false },
  );
  const user = session.status === 'authenticated' ? session.user : null;

  const verify = useCallback(() => {
    if (!token) return () => {};
    let current = true;
    setOutcome({ state: 'verifying' });
    verifyOnce(token).then(
      ({ message, data }) => current && setOutcome({ state: 'verified', message, email: data.email }),
      (error: unknown) => {
        const retryable = !(error instanceof ApiError) || error.isNetworkError || error.status >= 500;
        if (current) setOutcome({ state: 'refused', message: alertMessage(error), retryable });
      },
    );
    return () => {
      current = false;
    };
  }, [token]);

  useEffect(verify, [verify]);

  // When the logged-in user is the owner, their profile says "verified" from now on.
  const verifiedEmail = outcome.state === 'verified' ? outcome.email : null;
  useEffect(() => {
    if (user && verifiedEmail === user.email && !user.emailActive) signedIn({ ...user, emailActive: true });
  }, [verifiedEmail, user, signedIn]);

  return (
    <Page title={words.verify.title}>
      <FormStatus
        message={outcome.state === 'verifying' ? words.verify.verifying : outcome.state === 'verified' ? outcome.message : null}
      />
      <FormAlert message={outcome.state === 'refused' ? outcome.message : null} />
      {outcome.state === 'refused' && outcome.retryable ? (
        <p>
          <button
            type="button"
            className="button button-secondary"
            onClick={() => {
              // The button goes while the link is tried again: the focus goes to the top of the page.
              document.getElementById(PAGE_HEADING_ID)?.focus();
              verify();
            }}
          >
            {words.verify.retry}
          </button>
        </p>
      ) : null}
      <p className="switch">
        <Link to="/account">{words.verify.toAccount}</Link>
      </p>
    </Page>
  );
}
