// Who is logged in, and the way out.
import { Code, type UserView } from '@register/contracts';
import { useState } from 'react';
import { FormAlert } from '../../components/form-alert';
import { useLanguage } from '../../i18n/locale';
import { ApiError, api } from '../../lib/api';
import { maskMobile } from '../../lib/format';
import { Page } from '../../lib/page';
import { Link } from '../../lib/router';
import { useFocusBack } from '../../lib/use-focus-back';

export function HomePage({ user, onLoggedOut }: { user: UserView; onLoggedOut(): void }) {
  const [pending, setPending] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const { ui } = useLanguage();
  useFocusBack(pending);

  async function logOut() {
    setPending(true);
    setProblem(null);
    try {
      await api.logout();
      onLoggedOut();
    } catch (error) {
      // The session is already gone (expired, or logged out in another tab): so much the better.
      if (error instanceof ApiError && error.errno === Code.SESSIONERR) return onLoggedOut();
      setProblem(error instanceof ApiError ? error.message : ui.home.logOutFailed);
      setPending(false);
    }
  }

  return (
    <Page title={ui.home.title} heading={ui.home.welcome(user.username)}>
      <FormAlert message={problem} />
      <dl className="profile">
        <div>
          <dt>{ui.home.username}</dt>
          <dd>{user.username}</dd>
        </div>
        <div>
          <dt>{ui.home.mobile}</dt>
          <dd>{maskMobile(user.mobile)}</dd>
        </div>
      </dl>
      <p className="home-actions">
        <Link to="/account" className="button button-primary">
          {ui.home.account}
        </Link>
        <button type="button" className="button button-secondary" onClick={() => void logOut()} disabled={pending}>
          {ui.home.logOut}
        </button>
      </p>
    </Page>
  );
}
