// The account's passkeys (shown only where the browser has WebAuthn): "Add a passkey" opens the
// browser's own prompt (POST /passkeys/register/options/, the prompt, POST
// /passkeys/register/verify/); each passkey is listed with its name, when it was added and last
// used, whether it is synced and how it connects, with "Rename" (a form in its place) and
// "Delete" (a confirmation in its place first). The API's sentences go in the section's status
// line, its refusals in the alert; a prompt the visitor dismissed is a calm word, no error.
// Focus: into the name field when renaming, on "Cancel" when asked to confirm, back on the
// passkey's button after either, on the heading after a deletion (the item is gone).
import { Code, type PasskeyView } from '@register/contracts';
import { useCallback, useEffect, useRef, useState } from 'react';
import { FormAlert } from '../../components/form-alert';
import { FormStatus } from '../../components/form-status';
import { useAccountLanguage } from '../../i18n/account-words';
import { ApiError, isAbortError } from '../../lib/api';
import { alertMessage } from '../../lib/form-errors';
import { passkeyApi } from '../../lib/passkey-api';
import { useFocusBack } from '../../lib/use-focus-back';
import { cancelPasskeyPrompt, ceremonyOutcome, createPasskey, preloadWebAuthn } from '../../lib/webauthn';
import type { AccountSectionProps } from './account-page';
import { PASSKEY_NAME_ID, PasskeyRenameForm } from './passkey-rename-form';

type ListState = { state: 'loading' } | { state: 'failed'; message: string } | { state: 'loaded'; passkeys: PasskeyView[] };
type Mode = { kind: 'rename' | 'delete'; id: string } | null;
interface Status {
  text: string;
  tone?: 'info';
}

/** Ids of each passkey's elements (focus targets, descriptions). */
const ids = (id: string) => ({
  name: `passkey-${id}-name`,
  rename: `passkey-${id}-rename`,
  remove: `passkey-${id}-delete`,
  keep: `passkey-${id}-keep`,
});

export function PasskeysSection({ onSessionLost }: Pick<AccountSectionProps, 'onSessionLost'>) {
  const { locale, messages, words } = useAccountLanguage();
  const a = words.account;
  const [list, setList] = useState<ListState>({ state: 'loading' });
  const [status, setStatus] = useState<Status | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [pending, setPending] = useState<'add' | 'delete' | null>(null);
  const [mode, setMode] = useState<Mode>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);
  /** The element to focus once the next render is on screen (by id: it may be new). */
  const focusNext = useRef<string | null>(null);
  const lost = useRef(onSessionLost);
  lost.current = onSessionLost;
  useFocusBack(pending !== null);

  useEffect(() => {
    const id = focusNext.current;
    if (!id) return;
    focusNext.current = null;
    document.getElementById(id)?.focus();
  });

  const load = useCallback((signal?: AbortSignal) => {
    passkeyApi.list({ signal }).then(
      ({ passkeys }) => setList({ state: 'loaded', passkeys }),
      (error: unknown) => {
        if (isAbortError(error) || lost.current(error)) return;
        setList({ state: 'failed', message: alertMessage(error) });
      },
    );
  }, []);

  useEffect(() => {
    const controller = new AbortController();
    load(controller.signal);
    return () => {
      controller.abort();
      cancelPasskeyPrompt(); // the page is left while the browser's prompt is open
    };
  }, [load]);

  function begin() {
    setStatus(null);
    setProblem(null);
  }

  /** A refusal: the session gone (to log in), the passkey gone meanwhile (the list again), or said in the alert. */
  function failed(error: unknown) {
    if (lost.current(error)) return;
    setProblem(alertMessage(error));
    if (error instanceof ApiError && error.errno === Code.NODATA) {
      setMode(null);
      headingRef.current?.focus();
      load();
    }
  }

  async function add() {
    begin();
    setMode(null);
    setPending('add');
    try {
      const options = await passkeyApi.registerOptions();
      const { message } = await passkeyApi.registerVerify(await createPasskey(options));
      setStatus({ text: message });
      load();
    } catch (error) {
      if (error instanceof ApiError) failed(error);
      else {
        const outcome = ceremonyOutcome(error);
        if (outcome === 'cancelled') setStatus({ text: a.passkeyNotAdded, tone: 'info' });
        else if (outcome === 'duplicate') setProblem(messages.passkeys.duplicate);
        else if (outcome === 'failed') {
          console.warn(error); // the details, for whoever looks; the visitor gets one sentence
          setProblem(a.passkeyBrowserFailed);
        }
      }
    } finally {
      setPending(null);
    }
  }

  function startRename(id: string) {
    begin();
    setMode({ kind: 'rename', id });
    focusNext.current = PASSKEY_NAME_ID;
  }

  function renamed(next: PasskeyView, message: string) {
    setList((current) =>
      current.state === 'loaded'
        ? { state: 'loaded', passkeys: current.passkeys.map((p) => (p.id === next.id ? next : p)) }
        : current,
    );
    setMode(null);
    setStatus({ text: message });
    focusNext.current = ids(next.id).rename;
  }

  function stopRename(id: string) {
    setMode(null);
    focusNext.current = ids(id).rename;
  }

  function askDelete(id: string) {
    begin();
    setMode({ kind: 'delete', id });
    // The harmless choice first: Enter pressed twice keeps the passkey.
    focusNext.current = ids(id).keep;
  }

  function keep(id: string) {
    setMode(null);
    focusNext.current = ids(id).remove;
  }

  async function remove(id: string) {
    begin();
    setPending('delete');
    try {
      const { message } = await passkeyApi.remove(id);
      setStatus({ text: message });
      setMode(null);
      headingRef.current?.focus();
      load();
    } catch (error) {
      failed(error);
    } finally {
      setPending(null);
    }
  }

  const time = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' });
  const passkeys = list.state === 'loaded' ? list.passkeys : [];
  const busy = pending !== null;

  return (
    <section className="account-section" aria-labelledby="passkeys-heading" aria-busy={list.state === 'loading' || undefined}>
      <h2 id="passkeys-heading" ref={headingRef} tabIndex={-1}>
        {a.passkeysHeading}
      </h2>
      <p className="intro">{a.passkeysIntro}</p>
      <FormAlert
        message={problem ?? (list.state === 'failed' ? [a.passkeysFailed, list.message].join(messages.sentenceGap) : null)}
      />
      <FormStatus message={status?.text ?? (list.state === 'loading' ? a.passkeysLoading : null)} tone={status?.tone} />
      {list.state === 'failed' ? (
        <button type="button" className="button button-secondary" onClick={() => load()}>
          {a.reload}
        </button>
      ) : null}
      {passkeys.length > 0 ? (
        <ul className="sessions" aria-labelledby="passkeys-heading">
          {passkeys.map((passkey) => {
            const id = ids(passkey.id);
            const renaming = mode?.kind === 'rename' && mode.id === passkey.id;
            const confirming = mode?.kind === 'delete' && mode.id === passkey.id;
            return (
              <li key={passkey.id} className="session">
                <p className="session-device" id={id.name}>
                  <strong>{passkey.name}</strong>
                  <span className="badge" data-tone={passkey.backedUp ? 'success' : undefined}>
                    {passkey.backedUp ? a.passkeySynced : a.passkeyDeviceBound}
                  </span>
                </p>
                <dl className="session-facts">
                  <div>
                    <dt>{a.passkeyCreated}</dt>
                    <dd>
                      <time dateTime={passkey.createdAt}>{time.format(new Date(passkey.createdAt))}</time>
                    </dd>
                  </div>
                  <div>
                    <dt>{a.passkeyLastUsed}</dt>
                    <dd>
                      {passkey.lastUsedAt ? (
                        <time dateTime={passkey.lastUsedAt}>{time.format(new Date(passkey.lastUsedAt))}</time>
                      ) : (
                        a.passkeyNeverUsed
                      )}
                    </dd>
                  </div>
                  {passkey.transports.length > 0 ? (
                    <div>
                      <dt>{a.passkeyTransports}</dt>
                      <dd>{passkey.transports.map((t) => a.transports[t] ?? t).join(a.listGap)}</dd>
                    </div>
                  ) : null}
                </dl>
                {renaming ? (
                  <PasskeyRenameForm
                    passkey={passkey}
                    onRenamed={renamed}
                    onCancel={() => stopRename(passkey.id)}
                    onFailed={failed}
                  />
                ) : confirming ? (
                  <fieldset className="passkey-confirm">
                    <legend>{a.confirmDelete(passkey.name)}</legend>
                    <div className="passkey-actions">
                      <button
                        type="button"
                        className="button button-danger"
                        disabled={busy}
                        aria-busy={pending === 'delete' || undefined}
                        onClick={() => void remove(passkey.id)}
                      >
                        {a.deletePasskey}
                      </button>
                      <button
                        type="button"
                        id={id.keep}
                        className="button button-secondary"
                        disabled={busy}
                        onClick={() => keep(passkey.id)}
                      >
                        {a.cancel}
                      </button>
                    </div>
                  </fieldset>
                ) : (
                  <div className="passkey-actions">
                    <button
                      type="button"
                      id={id.rename}
                      className="button button-secondary"
                      aria-describedby={id.name}
                      disabled={busy}
                      onClick={() => startRename(passkey.id)}
                    >
                      {a.rename}
                    </button>
                    <button
                      type="button"
                      id={id.remove}
                      className="button button-secondary"
                      aria-describedby={id.name}
                      disabled={busy}
                      onClick={() => askDelete(passkey.id)}
                    >
                      {a.delete}
                    </button>
                  </div>
                )}
              </li>
            );
          })}
        </ul>
      ) : null}
      {list.state === 'loaded' && passkeys.length === 0 ? <p className="form-note">{a.noPasskeys}</p> : null}
      <button
        type="button"
        className="button button-primary"
        disabled={busy}
        aria-busy={pending === 'add' || undefined}
        onClick={() => void add()}
        onPointerEnter={preloadWebAuthn}
        onFocus={preloadWebAuthn}
      >
        {a.addPasskey}
      </button>
    </section>
  );
}
