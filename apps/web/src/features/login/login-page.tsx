import '../../styles/login.css';
import type { UserView } from '@register/contracts';
import { useLanguage } from '../../i18n/locale';
import { Page } from '../../lib/page';
import { Link } from '../../lib/router';
import { LoginForm } from './login-form';

export function LoginPage({ onLoggedIn }: { onLoggedIn(user: UserView): void }) {
  const { ui } = useLanguage();
  return (
    <Page title={ui.login.title} intro={ui.login.intro}>
      <LoginForm onLoggedIn={onLoggedIn} />
      <p className="forgot">
        <Link to="/forgot-password">{ui.login.forgotPassword}</Link>
      </p>
      <p className="switch">
        {ui.login.newHere} <Link to="/register">{ui.login.createAccount}</Link>
      </p>
    </Page>
  );
}
