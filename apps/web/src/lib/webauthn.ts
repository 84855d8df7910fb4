// The browser's side of passkeys (WebAuthn). @simplewebauthn/browser turns the API's options
// JSON into the browser's prompt and the authenticator's answer back into JSON; it is loaded
// only when a passkey is about to be used (a chunk of its own, never in the first one: fetched
// when a passkey button is pointed at or focused, or when the login page starts the autofill).
// Whether the browser has WebAuthn at all is asked synchronously, without loading it, so the
// passkey controls are shown only where they can work.
import type { PasskeyCreationOptions, PasskeyLoginBody, PasskeyRegisterBody, PasskeyRequestOptions } from '@register/contracts';
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/browser';

type Library = typeof import('./webauthn-library');
let library: Library | null = null;

async function load(): Promise<Library> {
  library ??= await import('./webauthn-library');
  return library;
}

/** Starts fetching the library ahead of its use (a button pointed at or focused). */
export function preloadWebAuthn(): void {
  load().catch(() => {}); // offline: the action itself will say so
}

/** The browser has WebAuthn (what @simplewebauthn/browser's browserSupportsWebAuthn asks). */
export function supportsWebAuthn(): boolean {
  return typeof window.PublicKeyCredential === 'function';
}

/**
 * The browser offers passkeys in the account field's autofill (conditional mediation). False
 * where it cannot say; never throws.
 */
export async function supportsPasskeyAutofill(): Promise<boolean> {
  if (!supportsWebAuthn()) return false;
  try {
    return (await window.PublicKeyCredential.isConditionalMediationAvailable?.()) === true;
  } catch {
    return false;
  }
}

// The API's options are WebAuthn's JSON; the contracts bound them loosely (open objects, enums as
// strings), so they are handed to the library as the types it declares.

/** The browser's "create a passkey" prompt; resolves with the credential's JSON form. */
export async function createPasskey(options: PasskeyCreationOptions): Promise<PasskeyRegisterBody> {
  const { startRegistration } = await load();
  return startRegistration({ optionsJSON: options as unknown as PublicKeyCredentialCreationOptionsJSON });
}

export interface RequestPasskeyOptions {
  /** Offered in the account field's autofill instead (mediation "conditional"): pending until one is picked. */
  autofill?: boolean;
  /** Given up before the prompt started (while the library loaded): it never starts. */
  signal?: AbortSignal;
}

/**
 * The browser's "use a passkey" prompt; resolves with the assertion's JSON form. Starting a
 * ceremony aborts the one before (the library allows one at a time): a button's prompt ends a
 * pending autofill request, which then rejects with an AbortError.
 */
export async function requestPasskey(
  options: PasskeyRequestOptions,
  { autofill = false, signal }: RequestPasskeyOptions = {},
): Promise<PasskeyLoginBody> {
  const { startAuthentication } = await load();
  signal?.throwIfAborted();
  return startAuthentication({
    optionsJSON: options as unknown as PublicKeyCredentialRequestOptionsJSON,
    useBrowserAutofill: autofill,
  });
}

/** Ends the pending ceremony, if any (the page that started it is going away). */
export function cancelPasskeyPrompt(): void {
  library?.WebAuthnAbortService.cancelCeremony();
}

/** What became of the browser's prompt, when it did not give a credential. */
export type CeremonyOutcome =
  /** Dismissed, timed out, or no passkey to offer: nothing happened, nothing to alarm about. */
  | 'cancelled'
  /** Stopped by the page (another ceremony started, the page was left): nothing to say. */
  | 'aborted'
  /** The authenticator already holds a passkey of this account (excludeCredentials matched). */
  | 'duplicate'
  /** The browser or authenticator could not do it (an RP ID it refuses, no common algorithm, …). */
  | 'failed';

/** Sorts an error of the prompt: the library's WebAuthnError keeps the DOMException's name. */
export function ceremonyOutcome(error: unknown): CeremonyOutcome {
  const name = typeof error === 'object' && error !== null ? (error as { name?: unknown }).name : undefined;
  if (name === 'NotAllowedError') return 'cancelled';
  if (name === 'AbortError') return 'aborted';
  if (name === 'InvalidStateError') return 'duplicate';
  return 'failed';
}
