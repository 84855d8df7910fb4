import { Page } from '../../lib/page';
import { Link } from '../../lib/router';

export function NotFoundPage() {
  return (
    <Page title="Page not found" intro="There is nothing at this address.">
      <p>
        <Link to="/">Go to the home page</Link>
      </p>
    </Page>
  );
}
