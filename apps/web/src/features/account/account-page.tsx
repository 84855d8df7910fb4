// /account (logged in): the profile, the email address and its verification, the password and
// mobile changes, and the sessions. Each section is a form of its own with its own messages;
// an answer that says the session is gone sends the visitor to log in again.
import '../../styles/account.css';
import type { UserView } from '@register/contracts';
import { useEffect, useState } from 'react';
import { accountWords, useAccountLanguage } from '../../i18n/account-words';
import { api, isAbortError } from '../../lib/api';
import { isSessionLost } from '../../lib/form-errors';
import { maskMobile } from '../../lib/format';
import { Page } from '../../lib/page';
import { Link, navigate } from '../../lib/router';
import { useSession } from '../../lib/session';
import { ChangeMobileForm } from './change-mobile-form';
import { ChangePasswordForm } from './change-password-form';
import { EmailForm } from './email-form';
import { SessionsList } from './sessions-list';

export interface AccountSectionProps {
  user: UserView;
  /** The API answered with the user as it is now. */
  onUser(user: UserView): void;
  /** Handles a refusal that means the session is gone; true when it was one. */
  onSessionLost(error: unknown): boolean;
}

export function AccountPage({ user }: { user: UserView }) {
  const { words } = useAccountLanguage();
  const { signedIn, signedOut } = useSession();
  // Bumped when an answer ended other sessions: the list is loaded again.
  const [sessionsVersion, setSessionsVersion] = useState(0);

  function onSessionLost(error: unknown): boolean {
    if (!isSessionLost(error)) return false;
    signedOut(accountWords().account.sessionLost);
    navigate('/login', { replace: true });
    return true;
  }

  // The session's copy of the user may be old (the email verified in another tab): asked again once.
  // biome-ignore lint/correctness/useExhaustiveDependencies: once per visit of the page, not per render.
  useEffect(() => {
    const controller = new AbortController();
    api.me({ signal: controller.signal }).then(signedIn, (error: unknown) => {
      if (!isAbortError(error)) onSessionLost(error);
    });
    return () => controller.abort();
  }, []);

  const section = { user, onUser: signedIn, onSessionLost };
  const a = words.account;
  return (
    <Page title={a.title}>
      <section className="account-section" aria-labelledby="profile-heading">
        <h2 id="profile-heading">{a.profile}</h2>
        <dl className="profile">
          <div>
            <dt>{a.username}</dt>
            <dd>{user.username}</dd>
          </div>
          <div>
            <dt>{a.mobile}</dt>
            <dd>{maskMobile(user.mobile)}</dd>
          </div>
          <div>
            <dt>{a.email}</dt>
            <dd>
              {user.email === '' ? (
                a.noEmail
              ) : (
                <>
                  {user.email}{' '}
                  <span className="badge" data-tone={user.emailActive ? 'success' : 'warning'}>
                    {user.emailActive ? a.verified : a.unverified}
                  </span>
                </>
              )}
            </dd>
          </div>
        </dl>
      </section>

      <EmailForm {...section} />
      <ChangePasswordForm {...section} onOthersEnded={() => setSessionsVersion((v) => v + 1)} />
      <ChangeMobileForm {...section} />
      <SessionsList version={sessionsVersion} onSessionLost={onSessionLost} />

      <p className="switch">
        <Link to="/">{a.home}</Link>
      </p>
    </Page>
  );
}
