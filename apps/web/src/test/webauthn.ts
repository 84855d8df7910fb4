// A fake authenticator for the component tests: window.PublicKeyCredential and
// navigator.credentials.create/get, answering as a browser with a platform passkey would, in
// the shapes @simplewebauthn/browser reads (ArrayBuffers, getTransports(), …), so the real
// library runs between the page and the mock API. Its client data is honest (the options'
// challenge, this page's origin) unless a test says otherwise; it signs nothing (the mock API
// checks no signatures).
import { db, type MockPasskey, newPasskeyId } from '../mocks/db';
import { toBase64url } from '../mocks/webauthn';

interface HeldCredential {
  rawId: Uint8Array<ArrayBuffer>;
  userHandle: Uint8Array<ArrayBuffer>;
  counter: number;
}

/** What the next modal prompt does: answer, or fail with a DOMException of that name ("NotAllowedError": dismissed). */
export type PromptOutcome = 'answer' | 'NotAllowedError' | 'InvalidStateError' | 'NotSupportedError';

export interface FakeAuthenticator {
  held: HeldCredential[];
  next: PromptOutcome;
  /** The origin its client data names (this page's unless changed: a phishing page's, say). */
  origin: string;
  /** Every call the page made, in order. */
  calls: { kind: 'create' | 'get'; mediation?: string; signal?: AbortSignal }[];
  /** The pending autofill request, if one is waiting. */
  readonly autofill: { signal?: AbortSignal } | null;
  /** The visitor picks the first held passkey in the account field's autofill. */
  pickFromAutofill(): void;
}

const bytes = (length: number) => crypto.getRandomValues(new Uint8Array(length));
const utf8 = (text: string) => new TextEncoder().encode(text);
const buffer = (array: Uint8Array<ArrayBuffer>) => array.buffer.slice(array.byteOffset, array.byteOffset + array.byteLength);
const encodeChallenge = (challenge: BufferSource) =>
  toBase64url(challenge instanceof ArrayBuffer ? new Uint8Array(challenge) : new Uint8Array(challenge.buffer as ArrayBuffer));

/** rpIdHash (not checked by the mock), flags UP UV BE BS (synced), the counter. */
function authenticatorData(counter: number): Uint8Array<ArrayBuffer> {
  const data = new Uint8Array(37);
  data[32] = 0x01 | 0x04 | 0x08 | 0x10;
  new DataView(data.buffer).setUint32(33, counter);
  return data;
}

let installed: FakeAuthenticator | null = null;
let autofillOffered = false;

/** window.PublicKeyCredential: a function, as the library tests (`typeof … === 'function'`). */
const fakePublicKeyCredential = Object.assign(function publicKeyCredential() {}, {
  isConditionalMediationAvailable: async () => autofillOffered,
});

/**
 * Gives the page WebAuthn; `autofill`: the browser offers passkeys in autofill
 * (isConditionalMediationAvailable resolves true). Removed after each test (setup.ts).
 */
export function installFakeAuthenticator({ autofill = false } = {}): FakeAuthenticator {
  let waiting: { signal?: AbortSignal; resolve: (credential: unknown) => void } | null = null;

  function assertion(publicKey: PublicKeyCredentialRequestOptions) {
    const credential = fake.held[0];
    if (!credential) throw new DOMException('No passkey for this site.', 'NotAllowedError');
    credential.counter += 1;
    const clientData = { type: 'webauthn.get', challenge: encodeChallenge(publicKey.challenge), origin: fake.origin };
    return {
      id: toBase64url(credential.rawId),
      rawId: buffer(credential.rawId),
      type: 'public-key',
      authenticatorAttachment: 'platform',
      response: {
        clientDataJSON: buffer(utf8(JSON.stringify(clientData))),
        authenticatorData: buffer(authenticatorData(credential.counter)),
        signature: buffer(bytes(64)),
        userHandle: buffer(credential.userHandle),
      },
      getClientExtensionResults: () => ({}),
    };
  }

  const fake: FakeAuthenticator = {
    held: [],
    next: 'answer',
    origin: window.location.origin,
    calls: [],
    get autofill() {
      return waiting && { signal: waiting.signal };
    },
    pickFromAutofill() {
      if (!waiting) throw new Error('no autofill request is waiting');
      const { resolve } = waiting;
      waiting = null;
      resolve(undefined); // get() then answers with the held passkey
    },
  };

  const credentials = {
    async create({ publicKey, signal }: CredentialCreationOptions) {
      fake.calls.push({ kind: 'create', signal: signal ?? undefined });
      if (!publicKey) throw new TypeError('publicKey options needed');
      if (fake.next !== 'answer') throw new DOMException('The prompt did not give a credential.', fake.next);
      const rawId = bytes(16);
      const userHandle = new Uint8Array(buffer(new Uint8Array(publicKey.user.id as ArrayBuffer)));
      fake.held.push({ rawId, userHandle, counter: 0 });
      const clientData = { type: 'webauthn.create', challenge: encodeChallenge(publicKey.challenge), origin: fake.origin };
      return {
        id: toBase64url(rawId),
        rawId: buffer(rawId),
        type: 'public-key',
        authenticatorAttachment: 'platform',
        response: {
          clientDataJSON: buffer(utf8(JSON.stringify(clientData))),
          attestationObject: buffer(new Uint8Array([0xa0])), // not read by the mock
          getTransports: () => ['internal', 'hybrid'],
          getAuthenticatorData: () => buffer(authenticatorData(0)),
          getPublicKey: () => null,
          getPublicKeyAlgorithm: () => -7,
        },
        getClientExtensionResults: () => ({ credProps: { rk: true } }),
      };
    },

    async get({ publicKey, mediation, signal }: CredentialRequestOptions) {
      fake.calls.push({ kind: 'get', mediation, signal: signal ?? undefined });
      if (!publicKey) throw new TypeError('publicKey options needed');
      if (mediation === 'conditional') {
        // Waits for the visitor's pick in the autofill, or for the page to abort it.
        await new Promise((resolve, reject) => {
          waiting = { signal: signal ?? undefined, resolve };
          signal?.addEventListener('abort', () => {
            waiting = null;
            reject(signal.reason);
          });
        });
        return assertion(publicKey);
      }
      if (fake.next !== 'answer') throw new DOMException('The prompt did not give a credential.', fake.next);
      return assertion(publicKey);
    },
  };

  autofillOffered = autofill;
  for (const target of new Set<object>([window, globalThis])) {
    Object.defineProperty(target, 'PublicKeyCredential', { value: fakePublicKeyCredential, configurable: true, writable: true });
  }
  Object.defineProperty(navigator, 'credentials', { value: credentials, configurable: true });
  installed = fake;
  return fake;
}

export function removeFakeAuthenticator(): void {
  if (!installed) return;
  installed = null;
  for (const target of new Set<object>([window, globalThis])) Reflect.deleteProperty(target, 'PublicKeyCredential');
  Reflect.deleteProperty(navigator, 'credentials');
}

/** A passkey of the user, held by the fake authenticator and known to the mock API (as if enrolled). */
export function seedPasskey(fake: FakeAuthenticator, userId: number, passkey: Partial<MockPasskey> = {}): MockPasskey {
  const rawId = bytes(16);
  // The user handle the mock's options give this user (mocks/webauthn.ts userHandleOf).
  fake.held.push({ rawId, userHandle: new Uint8Array(utf8(`mock-user-${userId}`)), counter: 0 });
  const seeded: MockPasskey = {
    id: newPasskeyId(),
    userId,
    credentialId: toBase64url(rawId),
    name: 'Chrome on Linux',
    createdAt: new Date(Date.now() - 86_400_000).toISOString(),
    lastUsedAt: null,
    transports: ['internal'],
    backedUp: true,
    counter: 0,
    ...passkey,
  };
  db.passkeys.push(seeded);
  return seeded;
}
