// The mock API's stand-in for @simplewebauthn/server: a thin, honest simulation. It issues
// options with a random challenge (used once, see handlers.ts) and, on verify, reads what a
// browser's answer says in plain JSON (clientDataJSON: the ceremony's type, the challenge, the
// origin) and the authenticator data's flags and counter (fixed offsets, no CBOR). It does NOT
// check attestations or signatures: that needs the public key's COSE encoding and the
// signature algorithms, the server library's job (apps/web/README.md, The mock API).

export function toBase64url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The bytes of a base64url string (padding allowed), or null when it is not one. */
export function fromBase64url(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(text)) return null;
  try {
    const binary = atob(text.replace(/=+$/, '').replace(/-/g, '+').replace(/_/g, '/'));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

/** 32 random bytes, base64url: a challenge as random as the server library's. */
export function randomChallenge(): string {
  return toBase64url(crypto.getRandomValues(new Uint8Array(32)));
}

/** The WebAuthn user handle of a user (bytes the authenticator keeps with the passkey). */
export const userHandleOf = (userId: number) => toBase64url(new TextEncoder().encode(`mock-user-${userId}`));

export interface ClientData {
  type: string;
  challenge: string;
  origin: string;
}

/** What the browser signed about the ceremony (clientDataJSON), or null when it does not read as such. */
export function readClientData(encoded: string): ClientData | null {
  const bytes = fromBase64url(encoded);
  if (!bytes) return null;
  try {
    const value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as Record<string, unknown>;
    const { type, challenge, origin } = value;
    if (typeof type !== 'string' || typeof challenge !== 'string' || typeof origin !== 'string') return null;
    return { type, challenge, origin };
  } catch {
    return null;
  }
}

/** The authenticator data's flags byte and signature counter (rpIdHash[32] flags[1] counter[4] …). */
export function readAuthenticatorData(encoded: string | undefined): { backedUp: boolean; counter: number } | null {
  const bytes = encoded === undefined ? null : fromBase64url(encoded);
  if (!bytes || bytes.length < 37) return null;
  const flags = bytes[32] ?? 0;
  const counter = new DataView(bytes.buffer, bytes.byteOffset).getUint32(33);
  // BS (bit 4): the credential is backed up (synced).
  return { backedUp: (flags & 0x10) !== 0, counter };
}
