// The app shell and its routes. Which page a path shows depends on the session: a logged-in
// visitor is sent from /login and /register to /, an anonymous one from / and /account to /login.
import type { Registered, UserView } from '@register/contracts';
import { lazy, type ReactNode, Suspense } from 'react';
import { NotFoundPage } from './features/not-found/not-found-page';
import { RegisterPage } from './features/register/register-page';
import { LanguageSwitch } from './i18n/language-switch';
import { language, useLanguage } from './i18n/locale';
import { Link, navigate, Redirect, returnPath, usePathname } from './lib/router';
import { SESSION_NOTICE_ID, SessionProvider, useSession } from './lib/session';
import { takeFragmentToken } from './lib/url-token';

// /register is where visitors arrive: it is in the first chunk. The other pages are chunks of
// their own, fetched when first shown.
const HomePage = lazy(() => import('./features/home/home-page').then((m) => ({ default: m.HomePage })));
const LoginPage = lazy(() => import('./features/login/login-page').then((m) => ({ default: m.LoginPage })));
const ResetPage = lazy(() => import('./features/reset/reset-page').then((m) => ({ default: m.ResetPage })));
const AccountPage = lazy(() => import('./features/account/account-page').then((m) => ({ default: m.AccountPage })));
const VerifyEmailPage = lazy(() =>
  import('./features/verify-email/verify-email-page').then((m) => ({ default: m.VerifyEmailPage })),
);

/** Pages shown at once, before the session's answer (the others need to know who is here). */
const NO_WAIT = ['/register', '/login', '/forgot-password', '/verify-email'];

function Loading() {
  const { ui } = useLanguage();
  return (
    <p className="loading" role="status">
      {ui.loading}
    </p>
  );
}

/** "/register/" and "/register" are the same page. */
const normalise = (path: string) => (path.length > 1 ? path.replace(/\/+$/, '') : path);

function Routes(): ReactNode {
  const path = normalise(usePathname());
  const { session, signedIn, signedOut } = useSession();

  // The register, login, reset and verification pages need no answer to show: a visitor sees
  // them at once (one round trip sooner, the captcha image requested meanwhile), and is sent on
  // if it turns out to be logged in. The home and account pages wait for the session.
  // The verification link's token leaves the address bar before anything else happens.
  const token = path === '/verify-email' ? takeFragmentToken() : null;
  if (session.status === 'loading' && !NO_WAIT.includes(path)) return <Loading />;
  const user = session.status === 'authenticated' ? session.user : null;
  // Back to the page that sent the visitor to log in (the account page), else home.
  const enter = (next: UserView) => {
    signedIn(next);
    navigate(returnPath() ?? '/', { replace: true });
  };
  // The account exists but the session could not be started: the visitor logs in.
  const registered = ({ loggedIn, ...next }: Registered) => {
    if (loggedIn) return enter(next);
    signedOut(language().messages.user.registeredNotLoggedIn);
    navigate('/login', { replace: true });
  };

  switch (path) {
    case '/':
      return user ? (
        <HomePage
          user={user}
          onLoggedOut={() => {
            signedOut();
            navigate('/login', { replace: true });
          }}
        />
      ) : (
        <Redirect to="/login" />
      );
    case '/login':
      return user ? <Redirect to="/" /> : <LoginPage onLoggedIn={enter} />;
    case '/register':
      return user ? <Redirect to="/" /> : <RegisterPage onRegistered={registered} />;
    case '/forgot-password':
      // Open to a logged-in visitor too: who has forgotten the password cannot use the account
      // page's change (it asks for the current one).
      return (
        <ResetPage
          user={user}
          onReset={(message) => {
            // Every session of the account has ended: the visitor logs in with the new password.
            signedOut(message, 'success');
            navigate('/login', { replace: true });
          }}
        />
      );
    case '/account':
      return user ? <AccountPage user={user} /> : <Redirect to="/login" returnTo="/account" />;
    case '/verify-email':
      return <VerifyEmailPage token={token} />;
    default:
      return <NotFoundPage />;
  }
}

function SessionProblem() {
  const { session } = useSession();
  if (session.status !== 'anonymous' || !session.problem) return null;
  return (
    <p id={SESSION_NOTICE_ID} className="banner" role="status" data-tone={session.tone}>
      {session.problem}
    </p>
  );
}

export function App() {
  const { ui } = useLanguage();
  return (
    <SessionProvider>
      <header className="site-header">
        <Link to="/" className="brand">
          <svg className="brand-mark" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
            <rect width="24" height="24" rx="6" />
            <path d="M7 12.5l3.2 3.2L17 9" />
          </svg>
          {ui.siteName}
        </Link>
        <LanguageSwitch />
      </header>
      <main className="site-main">
        <SessionProblem />
        <Suspense fallback={<Loading />}>
          <Routes />
        </Suspense>
      </main>
    </SessionProvider>
  );
}
