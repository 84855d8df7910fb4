import type { Registered } from '@register/contracts';
import { Page } from '../../lib/page';
import { Link } from '../../lib/router';
import { RegisterForm } from './register-form';

export function RegisterPage({ onRegistered }: { onRegistered(result: Registered): void }) {
  return (
    <Page title="Create your account" intro="Register with a username and your mobile number.">
      <RegisterForm onRegistered={onRegistered} />
      <p className="switch">
        Already have an account? <Link to="/login">Log in</Link>
      </p>
    </Page>
  );
}
