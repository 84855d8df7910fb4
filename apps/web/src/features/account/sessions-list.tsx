// Where the account is signed in: each live session with its device, network, when it signed in
// and when it was last active, "This device" on the visitor's own; "Sign out" ends one, "Sign
// out everywhere else" all but this one. After either, the focus goes to the section's heading
// (the button pressed is gone) and the answer is said in the status line; when "everywhere else"
// ended this session too (its new one could not be saved), the visitor logs in again.
import type { SessionView } from '@register/contracts';
import { useCallback, useEffect, useRef, useState } from 'react';
import { FormAlert } from '../../components/form-alert';
import { FormStatus } from '../../components/form-status';
import { useAccountLanguage } from '../../i18n/account-words';
import { accountApi } from '../../lib/account-api';
import { isAbortError } from '../../lib/api';
import { alertMessage } from '../../lib/form-errors';
import type { AccountSectionProps } from './account-page';

type ListState = { state: 'loading' } | { state: 'failed'; message: string } | { state: 'loaded'; sessions: SessionView[] };

interface Props extends Pick<AccountSectionProps, 'onSessionLost' | 'keptSession'> {
  /** Changes when another form ended sessions: the list is loaded again. */
  version: number;
}

export function SessionsList({ version, onSessionLost, keptSession }: Props) {
  const { locale, messages, words } = useAccountLanguage();
  const a = words.account;
  const [list, setList] = useState<ListState>({ state: 'loading' });
  const [status, setStatus] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [pending, setPending] = useState<string | null>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const lost = useRef(onSessionLost);
  lost.current = onSessionLost;
  const kept = useRef(keptSession);
  kept.current = keptSession;

  const load = useCallback((signal?: AbortSignal) => {
    accountApi.sessions({ signal }).then(
      ({ sessions }) => setList({ state: 'loaded', sessions }),
      (error: unknown) => {
        if (isAbortError(error) || lost.current(error)) return;
        setList({ state: 'failed', message: alertMessage(error) });
      },
    );
  }, []);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` is the reason to load again.
  useEffect(() => {
    const controller = new AbortController();
    load(controller.signal);
    return () => controller.abort();
  }, [load, version]);

  /** `endsOthers`: the answer may have ended this session too (see keptSession). */
  async function act(key: string, action: () => Promise<{ message: string }>, endsOthers = false) {
    setPending(key);
    setStatus(null);
    setProblem(null);
    try {
      const { message } = await action();
      if (endsOthers && !(await kept.current(message))) return;
      setStatus(message);
    } catch (error) {
      if (lost.current(error)) return;
      setProblem(alertMessage(error));
    } finally {
      setPending(null);
    }
    headingRef.current?.focus();
    load();
  }

  const time = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' });
  const sessions = list.state === 'loaded' ? list.sessions : [];
  const others = sessions.filter((s) => !s.current).length;

  return (
    <section className="account-section" aria-labelledby="sessions-heading" aria-busy={list.state === 'loading' || undefined}>
      <h2 id="sessions-heading" ref={headingRef} tabIndex={-1}>
        {a.sessionsHeading}
      </h2>
      <FormAlert
        message={problem ?? (list.state === 'failed' ? [a.sessionsFailed, list.message].join(messages.sentenceGap) : null)}
      />
      <FormStatus message={status ?? (list.state === 'loading' ? a.sessionsLoading : null)} />
      {list.state === 'failed' ? (
        <button type="button" className="button button-secondary" onClick={() => load()}>
          {a.reload}
        </button>
      ) : null}
      {sessions.length > 0 ? (
        <ul className="sessions" aria-labelledby="sessions-heading">
          {sessions.map((session) => (
            <li key={session.id} className="session" data-current={session.current || undefined}>
              <p className="session-device" id={`session-${session.id}`}>
                <strong>{session.device}</strong>
                {session.current ? <span className="badge">{a.thisDevice}</span> : null}
              </p>
              <dl className="session-facts">
                <div>
                  <dt>{a.signedIn}</dt>
                  <dd>
                    <time dateTime={session.createdAt}>{time.format(new Date(session.createdAt))}</time>
                  </dd>
                </div>
                <div>
                  <dt>{a.lastSeen}</dt>
                  <dd>
                    <time dateTime={session.lastSeenAt}>{time.format(new Date(session.lastSeenAt))}</time>
                  </dd>
                </div>
                <div>
                  <dt>{a.network}</dt>
                  <dd>{session.client}</dd>
                </div>
              </dl>
              {session.current ? null : (
                <button
                  type="button"
                  className="button button-secondary"
                  aria-describedby={`session-${session.id}`}
                  disabled={pending !== null}
                  aria-busy={pending === session.id || undefined}
                  onClick={() => void act(session.id, () => accountApi.endSession(session.id))}
                >
                  {a.signOut}
                </button>
              )}
            </li>
          ))}
        </ul>
      ) : null}
      {list.state === 'loaded' && others === 0 ? <p className="form-note">{a.onlyThisOne}</p> : null}
      {others > 0 ? (
        <button
          type="button"
          className="button button-primary"
          disabled={pending !== null}
          aria-busy={pending === 'others' || undefined}
          onClick={() => void act('others', accountApi.logoutAll, true)}
        >
          {a.signOutOthers}
        </button>
      ) : null}
    </section>
  );
}
