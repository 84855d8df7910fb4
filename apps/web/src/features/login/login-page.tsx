import type { UserView } from '@register/contracts';
import { Page } from '../../lib/page';
import { Link } from '../../lib/router';
import { LoginForm } from './login-form';

export function LoginPage({ onLoggedIn }: { onLoggedIn(user: UserView): void }) {
  return (
    <Page title="Log in" intro="Use your username or mobile number.">
      <LoginForm onLoggedIn={onLoggedIn} />
      <p className="switch">
        New here? <Link to="/register">Create an account</Link>
      </p>
    </Page>
  );
}
