import '../../styles/account.css';
import type { UserView } from '@register/contracts';
import { useAccountLanguage } from '../../i18n/account-words';
import { Page } from '../../lib/page';
import { Link } from '../../lib/router';
import { ResetForm } from './reset-form';

export function ResetPage({ user, onReset }: { user: UserView | null; onReset(message: string): void }) {
  const { words } = useAccountLanguage();
  return (
    <Page title={words.reset.title} intro={words.reset.intro}>
      <ResetForm user={user} onReset={onReset} />
      <p className="switch">
        {words.reset.remembered} <Link to="/login">{words.reset.logIn}</Link>
      </p>
    </Page>
  );
}
