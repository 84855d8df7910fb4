// Who is logged in, and the way out.
import { Code, type UserView } from '@register/contracts';
import { useState } from 'react';
import { FormAlert } from '../../components/form-alert';
import { ApiError, api } from '../../lib/api';
import { maskMobile } from '../../lib/format';
import { Page } from '../../lib/page';

export function HomePage({ user, onLoggedOut }: { user: UserView; onLoggedOut(): void }) {
  const [pending, setPending] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);

  async function logOut() {
    setPending(true);
    setProblem(null);
    try {
      await api.logout();
      onLoggedOut();
    } catch (error) {
      // The session is already gone (expired, or logged out in another tab): so much the better.
      if (error instanceof ApiError && error.errno === Code.SESSIONERR) return onLoggedOut();
      setProblem(error instanceof ApiError ? error.message : 'Could not log out. Please try again.');
      setPending(false);
    }
  }

  return (
    <Page title="Home" heading={`Welcome, ${user.username}`}>
      <FormAlert message={problem} />
      <dl className="profile">
        <div>
          <dt>Username</dt>
          <dd>{user.username}</dd>
        </div>
        <div>
          <dt>Mobile number</dt>
          <dd>{maskMobile(user.mobile)}</dd>
        </div>
      </dl>
      <button type="button" className="button button-secondary" onClick={() => void logOut()} disabled={pending}>
        Log out
      </button>
    </Page>
  );
}
