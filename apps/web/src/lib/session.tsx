// Who is logged in, fetched once at start-up (GET /user/session/: a visitor is a 200 with null,
// so an ordinary page load logs no error) and then kept up to date by the pages that log in,
// register and log out. Guards read it to send visitors to the right page.
import type { UserView } from '@register/contracts';
import { createContext, type ReactNode, useContext, useEffect, useMemo, useState } from 'react';
import { language } from '../i18n/locale';
import { ApiError, api, isAbortError } from './api';

export type SessionState =
  | { status: 'loading' }
  | { status: 'anonymous'; problem?: string; tone?: 'success' }
  | { status: 'authenticated'; user: UserView };

interface SessionContextValue {
  session: SessionState;
  signedIn(user: UserView): void;
  /**
   * `notice`: a word for the visitor on the next page (e.g. "your account was created, log in");
   * `tone` success when it is good news (a password reset).
   */
  signedOut(notice?: string, tone?: 'success'): void;
}

const SessionContext = createContext<SessionContextValue | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<SessionState>({ status: 'loading' });

  useEffect(() => {
    const controller = new AbortController();
    api.session({ signal: controller.signal }).then(
      (user) => setSession(user ? { status: 'authenticated', user } : { status: 'anonymous' }),
      (error: unknown) => {
        if (isAbortError(error)) return;
        const problem = error instanceof ApiError ? error.message : language().ui.session.checkFailed;
        setSession({ status: 'anonymous', problem });
      },
    );
    return () => controller.abort();
  }, []);

  const value = useMemo<SessionContextValue>(
    () => ({
      session,
      signedIn: (user) => setSession({ status: 'authenticated', user }),
      signedOut: (notice, tone) => setSession(notice ? { status: 'anonymous', problem: notice, tone } : { status: 'anonymous' }),
    }),
    [session],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

/** The element that shows the session's notice (app.tsx): each page's heading is described by it. */
export const SESSION_NOTICE_ID = 'session-notice';

/**
 * The notice shown above the page (a reset done, a session ended), or null. The page's heading,
 * focused when the visitor is sent to it, is described by it: read with it, not left to a live
 * region that appeared in the same moment as the page.
 */
export function useSessionNotice(): string | null {
  const session = useContext(SessionContext)?.session;
  return session?.status === 'anonymous' && session.problem ? session.problem : null;
}

export function useSession(): SessionContextValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession() needs a <SessionProvider> above it');
  return value;
}
