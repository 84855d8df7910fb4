// The key derivations a browser can run with WebCrypto alone (altcha-lib's web algorithms):
// PBKDF2 (the API's default, ALTCHA_ALGORITHM) and iterated SHA. scrypt and Argon2id would need
// a WebAssembly module the SPA does not ship; a challenge using them is refused as unsupported.
import type { DeriveKeyFunction } from 'altcha-lib';
import { deriveKey as pbkdf2 } from 'altcha-lib/algorithms/web/pbkdf2';
import { deriveKey as sha } from 'altcha-lib/algorithms/web/sha';

export const SUPPORTED_ALGORITHMS = ['PBKDF2/SHA-256', 'PBKDF2/SHA-384', 'PBKDF2/SHA-512', 'SHA-256', 'SHA-384', 'SHA-512'];

export const deriveKey: DeriveKeyFunction = (parameters, salt, password) =>
  (parameters.algorithm.startsWith('PBKDF2/') ? pbkdf2 : sha)(parameters, salt, password);
