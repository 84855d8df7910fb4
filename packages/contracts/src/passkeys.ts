// Passkeys (WebAuthn): the request and response shapes of their routes. The ceremonies' JSON is
// WebAuthn's own (what PublicKeyCredential.parseCreationOptionsFromJSON takes and
// credential.toJSON() gives, as @simplewebauthn/browser passes them on); the API checks it with
// @simplewebauthn/server. These schemas only bound it: every binary value base64url, every
// string and list limited, so any malformed shape is a PARAMERR before a library sees it.
import { type Static, Type } from 'typebox';
import {
  AssertionResponseField,
  AttestationResponseField,
  AuthenticatorAttachment,
  ClientExtensionResults,
  CredentialId,
  CredentialType,
  PasskeyName,
  PasskeyRef,
} from './fields.ts';

/** POST /passkeys/register/verify/: the new credential (startRegistration's result). */
export const PasskeyRegisterBody = Type.Object({
  id: CredentialId,
  rawId: CredentialId,
  type: CredentialType,
  response: AttestationResponseField,
  clientExtensionResults: Type.Optional(ClientExtensionResults),
  authenticatorAttachment: Type.Optional(AuthenticatorAttachment),
});
/** POST /passkeys/login/verify/: the assertion (startAuthentication's result). */
export const PasskeyLoginBody = Type.Object({
  id: CredentialId,
  rawId: CredentialId,
  type: CredentialType,
  response: AssertionResponseField,
  clientExtensionResults: Type.Optional(ClientExtensionResults),
  authenticatorAttachment: Type.Optional(AuthenticatorAttachment),
});
export const PasskeyParams = Type.Object({ id: PasskeyRef });
export const PasskeyRenameBody = Type.Object({ name: PasskeyName });

export type PasskeyRegisterBody = Static<typeof PasskeyRegisterBody>;
export type PasskeyLoginBody = Static<typeof PasskeyLoginBody>;
export type PasskeyParams = Static<typeof PasskeyParams>;
export type PasskeyRenameBody = Static<typeof PasskeyRenameBody>;

// ---- response data: WebAuthn's options in their JSON form (open objects: a newer library's keys pass) ----
const open = { additionalProperties: true } as const;
const Descriptor = Type.Object(
  { id: Type.String(), type: Type.String(), transports: Type.Optional(Type.Array(Type.String())) },
  open,
);
/** PublicKeyCredentialCreationOptionsJSON. */
export const PasskeyCreationOptions = Type.Object(
  {
    rp: Type.Object({ name: Type.String(), id: Type.Optional(Type.String()) }, open),
    user: Type.Object({ id: Type.String(), name: Type.String(), displayName: Type.String() }, open),
    challenge: Type.String(),
    pubKeyCredParams: Type.Array(Type.Object({ alg: Type.Integer(), type: Type.String() }, open)),
    timeout: Type.Optional(Type.Integer()),
    excludeCredentials: Type.Optional(Type.Array(Descriptor)),
    authenticatorSelection: Type.Optional(Type.Object({}, open)),
    hints: Type.Optional(Type.Array(Type.String())),
    attestation: Type.Optional(Type.String()),
    extensions: Type.Optional(Type.Object({}, open)),
  },
  open,
);
/** PublicKeyCredentialRequestOptionsJSON. */
export const PasskeyRequestOptions = Type.Object(
  {
    challenge: Type.String(),
    timeout: Type.Optional(Type.Integer()),
    rpId: Type.Optional(Type.String()),
    allowCredentials: Type.Optional(Type.Array(Descriptor)),
    userVerification: Type.Optional(Type.String()),
    hints: Type.Optional(Type.Array(Type.String())),
    extensions: Type.Optional(Type.Object({}, open)),
  },
  open,
);
/** One passkey of the account (GET /user/passkeys/): never its public key. */
export const PasskeyView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  transports: Type.Array(Type.String()),
  /** The credential is synced (iCloud Keychain, Google Password Manager): it survives losing the device. */
  backedUp: Type.Boolean(),
});
export const PasskeyList = Type.Object({ passkeys: Type.Array(PasskeyView) });

export type PasskeyCreationOptions = Static<typeof PasskeyCreationOptions>;
export type PasskeyRequestOptions = Static<typeof PasskeyRequestOptions>;
export type PasskeyView = Static<typeof PasskeyView>;
export type PasskeyList = Static<typeof PasskeyList>;
