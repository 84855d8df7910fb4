// The parts of @simplewebauthn/browser the SPA uses, imported lazily by webauthn.ts: named here,
// the bundler leaves out the rest of the library (its index re-exports every helper).
export { startAuthentication, startRegistration, WebAuthnAbortService } from '@simplewebauthn/browser';
