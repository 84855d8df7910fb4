// The new-password pair of the forms after sign-up, as the register form treats it: the repeat is
// compared while it is typed (a correct beginning is not an error yet), and checked again when
// the first one changes once the visitor has been there.
import type { UseFormReturn } from 'react-hook-form';

interface PasswordPair {
  password: string;
  password_repeat: string;
}

export function passwordRepeatHandlers<T extends PasswordPair>(options: UseFormReturn<T, unknown, unknown>) {
  // Only the two fields above are read: any form that has them is, here, a form of just those.
  const form = options as unknown as UseFormReturn<PasswordPair, unknown, unknown>;
  const { getValues, getFieldState, clearErrors, trigger } = form;
  return {
    onPasswordChange() {
      if (getFieldState('password_repeat').isTouched && getValues('password_repeat') !== '') void trigger('password_repeat');
    },
    onRepeatChange() {
      const [first, repeat] = getValues(['password', 'password_repeat']);
      if (repeat === '') return;
      const stillTyping = first.startsWith(repeat) && repeat.length < first.length;
      if (stillTyping && !getFieldState('password_repeat').isTouched) clearErrors('password_repeat');
      else void trigger('password_repeat');
    },
  };
}
