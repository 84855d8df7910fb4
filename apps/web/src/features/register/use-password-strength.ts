// zxcvbn's estimate of the password being typed, by the very module the API refuses weak
// passwords with (@register/contracts/password-strength). Its dictionaries weigh about a
// megabyte, so the module is fetched the first time a password is typed, never with the page.
import { useEffect, useMemo, useState } from 'react';
import { useLanguage } from '../../i18n/locale';

type StrengthModule = typeof import('@register/contracts/password-strength');

export type { PasswordStrength } from '@register/contracts/password-strength';

let loading: Promise<StrengthModule> | null = null;
export function loadPasswordStrength(): Promise<StrengthModule> {
  loading ??= import('@register/contracts/password-strength').catch((error: unknown) => {
    loading = null; // a failed download (offline) may be retried at the next keystroke
    throw error;
  });
  return loading;
}

/** The estimate, or null while the password is empty or the module is still on its way. */
export function usePasswordStrength(password: string, inputs: { username?: string; mobile?: string }) {
  const [module, setModule] = useState<StrengthModule | null>(null);
  useEffect(() => {
    if (password === '' || module) return;
    let current = true;
    loadPasswordStrength().then(
      (loaded) => current && setModule(loaded),
      () => {},
    );
    return () => {
      current = false;
    };
  }, [password, module]);
  const { username, mobile } = inputs;
  const { messages } = useLanguage();
  return useMemo(
    () => (module && password !== '' ? module.passwordStrength(password, { username, mobile }, messages) : null),
    [module, password, username, mobile, messages],
  );
}
