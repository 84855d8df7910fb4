// The words of the pages after sign-up, in the visitor's language. Both languages are in this
// module, which only those lazily loaded pages import: a few kB in their shared chunk instead of
// in the first one (or a second language chunk to wait for).
import type { Locale } from '@register/contracts';
import { type Language, language, useLanguage } from './locale';
import { type AccountUi, accountUiEn } from './ui-account.en';
import { accountUiZhCN } from './ui-account.zh-CN';

const WORDS: Record<Locale, AccountUi> = { en: accountUiEn, 'zh-CN': accountUiZhCN };

export interface AccountLanguage extends Language {
  words: AccountUi;
}

/** The current language with these pages' words; re-renders on a switch like useLanguage(). */
export function useAccountLanguage(): AccountLanguage {
  const current = useLanguage();
  return { ...current, words: WORDS[current.locale] };
}

/** The same outside rendering (in an event handler). */
export function accountWords(): AccountUi {
  return WORDS[language().locale];
}
