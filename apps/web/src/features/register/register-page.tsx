import type { Registered } from '@register/contracts';
import { useLanguage } from '../../i18n/locale';
import { Page } from '../../lib/page';
import { Link } from '../../lib/router';
import { RegisterForm } from './register-form';

export function RegisterPage({ onRegistered }: { onRegistered(result: Registered): void }) {
  const { ui } = useLanguage();
  return (
    <Page title={ui.register.title} intro={ui.register.intro}>
      <RegisterForm onRegistered={onRegistered} />
      <p className="switch">
        {ui.register.haveAccount} <Link to="/login">{ui.register.logIn}</Link>
      </p>
    </Page>
  );
}
