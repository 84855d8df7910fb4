import { useLanguage } from '../../i18n/locale';
import { Page } from '../../lib/page';
import { Link } from '../../lib/router';

export function NotFoundPage() {
  const { ui } = useLanguage();
  return (
    <Page title={ui.notFound.title} intro={ui.notFound.intro}>
      <p>
        <Link to="/">{ui.notFound.home}</Link>
      </p>
    </Page>
  );
}
