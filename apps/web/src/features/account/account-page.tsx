// /account (logged in): the profile, the email address and its verification, the password
// change, the passkeys (where the browser has WebAuthn), the mobile change, and the sessions. Each section is a form of its own with its own messages;
// an answer that says the session is gone sends the visitor to log in again, and back here after.
import '../../styles/account.css';
import type { UserView } from '@register/contracts';
import { useEffect, useState } from 'react';
import { accountWords, useAccountLanguage } from '../../i18n/account-words';
import { api } from '../../lib/api';
import { isSessionLost } from '../../lib/form-errors';
import { maskMobile } from '../../lib/format';
import { Page } from '../../lib/page';
import { Link, navigate } from '../../lib/router';
import { useSession } from '../../lib/session';
import { supportsWebAuthn } from '../../lib/webauthn';
import { ChangeMobileForm } from './change-mobile-form';
import { ChangePasswordForm } from './change-password-form';
import { EmailForm } from './email-form';
import { PasskeysSection } from './passkeys-section';
import { SessionsList } from './sessions-list';

export interface AccountSectionProps {
  user: UserView;
  /** The API answered with the user as it is now. */
  onUser(user: UserView): void;
  /** Handles a refusal that means the session is gone; true when it was one. */
  onSessionLost(error: unknown): boolean;
  /**
   * After an answer that ended the account's other sessions: false when this one ended too (the
   * API could not save its new session and said "log in again"), and the visitor was sent to
   * log in with that sentence.
   */
  keptSession(message: string): Promise<boolean>;
}

export function AccountPage({ user }: { user: UserView }) {
  const { words } = useAccountLanguage();
  const { signedIn, signedOut } = useSession();
  // Bumped when an answer ended other sessions: the list is loaded again.
  const [sessionsVersion, setSessionsVersion] = useState(0);
  // Asked once, synchronously: the passkey library itself loads only when a passkey is used.
  const [webAuthn] = useState(supportsWebAuthn);

  /** The session is gone: the login page says `notice`, and leads back here. */
  function toLogin(notice: string, tone?: 'success') {
    signedOut(notice, tone);
    navigate('/login', { replace: true, returnTo: '/account' });
  }

  function onSessionLost(error: unknown): boolean {
    if (!isSessionLost(error)) return false;
    toLogin(accountWords().account.sessionLost);
    return true;
  }

  // The answer says "changed" either way; whether this browser is still logged in, the session
  // says (a 200 either way, so nothing is logged as an error). No answer: as if kept, and the
  // next request tells.
  async function keptSession(message: string): Promise<boolean> {
    const now = await api.session().catch(() => undefined);
    if (now !== null) return true;
    toLogin(message, 'success');
    return false;
  }

  // The session's copy of the user may be old (the email verified in another tab): asked again
  // once, by the question that answers a visitor with null rather than a 401.
  // biome-ignore lint/correctness/useExhaustiveDependencies: once per visit of the page, not per render.
  useEffect(() => {
    const controller = new AbortController();
    api.session({ signal: controller.signal }).then(
      (now) => (now ? signedIn(now) : toLogin(accountWords().account.sessionLost)),
      () => {}, // aborted, or no answer: the copy stays, and the next request tells
    );
    return () => controller.abort();
  }, []);

  const section = { user, onUser: signedIn, onSessionLost, keptSession };
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
      {webAuthn ? <PasskeysSection onSessionLost={onSessionLost} /> : null}
      <ChangeMobileForm {...section} />
      <SessionsList version={sessionsVersion} onSessionLost={onSessionLost} keptSession={keptSession} />

      <p className="switch">
        <Link to="/">{a.home}</Link>
      </p>
    </Page>
  );
}
