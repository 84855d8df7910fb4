// Logging in with a passkey alone, two ways. "Sign in with a passkey" opens the browser's prompt
// (POST /passkeys/login/options/, the prompt, POST /passkeys/login/verify/). And where the
// browser offers passkeys in the account field's autofill (conditional mediation), that request
// starts as the page opens and waits, silently, until the visitor picks a passkey there; the
// account field says `autocomplete="username webauthn"` for it. The button's prompt ends the
// waiting request (one ceremony at a time: the library aborts the one before) and, when it did
// not log the visitor in, the waiting request starts again; a pick the API refused does not
// start it again by itself; leaving the page ends either.
import type { PasskeyLoginBody, UserView } from '@register/contracts';
import { useEffect, useRef, useState } from 'react';
import { useLanguage } from '../../i18n/locale';
import { ApiError } from '../../lib/api';
import { alertMessage } from '../../lib/form-errors';
import { passkeyApi } from '../../lib/passkey-api';
import {
  cancelPasskeyPrompt,
  ceremonyOutcome,
  preloadWebAuthn,
  requestPasskey,
  supportsPasskeyAutofill,
  supportsWebAuthn,
} from '../../lib/webauthn';

/** The autofill request: not made (unsupported, or stopped), options asked for, waiting for a pick. */
export type PasskeyAutofill = 'off' | 'starting' | 'listening';

interface Options {
  onLoggedIn(user: UserView): void;
  /** A sentence for the form's alert, or null to clear it. */
  onProblem(message: string | null): void;
}

/** The verification, as for a password: the answer is the user, the session is new. False when refused (said). */
async function verify(assertion: PasskeyLoginBody, { onLoggedIn, onProblem }: Options): Promise<boolean> {
  try {
    const { data } = await passkeyApi.loginVerify(assertion);
    onLoggedIn(data);
    return true;
  } catch (error) {
    onProblem(alertMessage(error));
    return false;
  }
}

export function usePasskeyLogin({ onLoggedIn, onProblem }: Options) {
  const { ui } = useLanguage();
  const [supported] = useState(supportsWebAuthn);
  const [pending, setPending] = useState(false);
  /** A calm word after a prompt that was dismissed (no passkey used, nothing failed). */
  const [note, setNote] = useState<string | null>(null);
  const [autofill, setAutofill] = useState<PasskeyAutofill>('off');
  /** Bumped to start the autofill request again. */
  const [round, setRound] = useState(0);
  const stopAutofill = useRef<AbortController | null>(null);
  /** The autofill request's options while on their way (see signIn). */
  const autofillOptions = useRef<Promise<unknown> | null>(null);
  const callbacks = useRef({ onLoggedIn, onProblem });
  callbacks.current = { onLoggedIn, onProblem };

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new `round` is the reason to start again.
  useEffect(() => {
    if (!supported) return;
    const stop = new AbortController();
    stopAutofill.current = stop;
    const { signal } = stop;
    (async () => {
      if (!(await supportsPasskeyAutofill()) || signal.aborted) return;
      setAutofill('starting');
      // Not cancelled when stopped: signIn waits for the answer (see there).
      const asked = passkeyApi.loginOptions();
      autofillOptions.current = asked;
      const options = await asked;
      signal.throwIfAborted();
      setAutofill('listening');
      const assertion = await requestPasskey(options, { autofill: true, signal });
      // Picked in the autofill: from here it is the visitor's login, said like the button's.
      setAutofill('off');
      setPending(true);
      callbacks.current.onProblem(null);
      setNote(null);
      // Refused (a passkey deleted from the account, say): the autofill is not asked again by
      // itself. A browser that answers a conditional request without the visitor (Chromium's
      // virtual authenticator does) would otherwise loop, each round spending the login budget;
      // the button and the password stay, and the button starts the autofill again after it.
      if (!(await verify(assertion, callbacks.current))) setPending(false);
    })().catch((error: unknown) => {
      // Stopped (the button was used, the page left), dismissed, or unavailable: the autofill
      // simply offers nothing; the button still works, and says what goes wrong.
      if (signal.aborted) return;
      setAutofill('off');
      if (!(error instanceof ApiError) && ceremonyOutcome(error) === 'failed') console.warn(error);
    });
    return () => {
      stop.abort();
      cancelPasskeyPrompt();
    };
  }, [supported, round]);

  async function signIn() {
    // The waiting autofill request is not started now if it has not been yet; the library ends it if it has.
    stopAutofill.current?.abort();
    setAutofill('off');
    setPending(true);
    setNote(null);
    callbacks.current.onProblem(null);
    let loggedIn = false;
    try {
      // The session holds one login challenge: options the autofill asked for, arriving after
      // these, would replace this prompt's challenge. They are waited for (a click as the page opens).
      await autofillOptions.current?.catch(() => {});
      const assertion = await requestPasskey(await passkeyApi.loginOptions());
      loggedIn = await verify(assertion, callbacks.current);
    } catch (error) {
      if (error instanceof ApiError) callbacks.current.onProblem(alertMessage(error));
      else {
        const outcome = ceremonyOutcome(error);
        if (outcome === 'cancelled') setNote(ui.login.passkeyNotUsed);
        else if (outcome !== 'aborted') {
          // The browser could not do it: one sentence for the visitor, the details for the console.
          console.warn(error);
          callbacks.current.onProblem(ui.login.passkeyFailed);
        }
      }
    }
    if (loggedIn) return;
    setPending(false);
    setRound((r) => r + 1);
  }

  return { supported, pending, note, autofill, signIn, preload: preloadWebAuthn };
}
