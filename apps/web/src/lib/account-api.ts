// The calls of the pages after sign-up (password reset, account, email verification), by name.
// A module of its own, imported only by those lazily loaded pages: the first chunk stays as it
// was. Each resolves with the data and the API's sentence about it (what the page then says).
import type { ChangeMobileBody, ChangePasswordBody, PasswordResetBody, SetEmailBody, VerifyEmailBody } from '@register/contracts';
import { answer, type RequestOptions, request } from './api';

export const accountApi = {
  resetPassword: (body: PasswordResetBody, options?: RequestOptions) => answer('passwordReset', { body }, options),
  changePassword: (body: ChangePasswordBody, options?: RequestOptions) => answer('changePassword', { body }, options),
  changeMobile: (body: ChangeMobileBody, options?: RequestOptions) => answer('changeMobile', { body }, options),
  sessions: (options?: RequestOptions) => request('sessions', {}, options),
  endSession: (id: string, options?: RequestOptions) => answer('endSession', { params: { id } }, options),
  logoutAll: (options?: RequestOptions) => answer('logoutAll', {}, options),
  setEmail: (body: SetEmailBody, options?: RequestOptions) => answer('setEmail', { body }, options),
  verifyEmail: (body: VerifyEmailBody, options?: RequestOptions) => answer('verifyEmail', { body }, options),
};
