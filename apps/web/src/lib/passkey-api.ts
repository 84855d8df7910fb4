// The passkey calls (enrol, log in, list, rename, delete), by name. A module of its own,
// imported by the lazily loaded login and account pages only: the first chunk stays as it was.
// The ceremonies' JSON is WebAuthn's own, passed between the API and @simplewebauthn/browser as
// it is; the API checks it (the contracts only bound its shape).
import type { PasskeyLoginBody, PasskeyRegisterBody, PasskeyRenameBody } from '@register/contracts';
import { answer, type RequestOptions, request } from './api';

export const passkeyApi = {
  registerOptions: (options?: RequestOptions) => request('passkeyRegisterOptions', {}, options),
  registerVerify: (body: PasskeyRegisterBody, options?: RequestOptions) => answer('passkeyRegisterVerify', { body }, options),
  loginOptions: (options?: RequestOptions) => request('passkeyLoginOptions', {}, options),
  loginVerify: (body: PasskeyLoginBody, options?: RequestOptions) => answer('passkeyLoginVerify', { body }, options),
  list: (options?: RequestOptions) => request('passkeys', {}, options),
  rename: (id: string, body: PasskeyRenameBody, options?: RequestOptions) =>
    answer('renamePasskey', { params: { id }, body }, options),
  remove: (id: string, options?: RequestOptions) => answer('deletePasskey', { params: { id } }, options),
};
