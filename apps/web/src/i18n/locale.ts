// The visitor's language: English is in the first chunk, Chinese is a chunk of its own loaded
// only when chosen (the initial bundle stays small). The choice comes from the visitor's switch
// (remembered in localStorage), else from the browser's languages. Components read it with
// useLanguage(); the API client and the form checks read it with language(), so every request
// asks the API for answers in the same language (Accept-Language).
import { type Catalog, en, isLocale, type Locale, negotiateLocale } from '@register/contracts';
import { useSyncExternalStore } from 'react';
import { type UiCatalog, uiEn } from './ui.en';

export interface Language {
  locale: Locale;
  /** The contracts' catalog: what the API and the form's rules say. */
  messages: Catalog;
  /** The SPA's own words. */
  ui: UiCatalog;
}

const ENGLISH: Language = { locale: 'en', messages: en, ui: uiEn };
const STORAGE_KEY = 'locale';

const LOADERS: Record<Locale, () => Promise<Language>> = {
  en: async () => ENGLISH,
  'zh-CN': () => import('./zh-CN').then((module) => module.chinese),
};

let current = ENGLISH;
const listeners = new Set<() => void>();

/** The remembered choice, else the browser's preference among ours, else English. */
export function preferredLocale(): Locale {
  try {
    const stored = localStorage.getItem(STORAGE_KEY);
    if (isLocale(stored)) return stored;
  } catch {
    // Storage refused (private mode, blocked cookies): the browser's languages still say.
  }
  const languages = navigator.languages?.length ? navigator.languages.join(',') : navigator.language;
  return negotiateLocale(languages, 'en');
}

/**
 * Switches every page to `locale` once its catalogs are loaded; `remember` keeps the choice for
 * the next visit. A catalog that cannot be loaded (offline) leaves the current language.
 */
let latest = 0;
export async function setLocale(locale: Locale, { remember = true } = {}): Promise<void> {
  const asked = ++latest;
  const next = await LOADERS[locale]();
  // A later choice made while this one's catalog was on its way wins, whichever loads last.
  if (asked !== latest) return;
  current = next;
  document.documentElement.lang = locale;
  if (remember) {
    try {
      localStorage.setItem(STORAGE_KEY, locale);
    } catch {
      // Not remembered; this visit still switches.
    }
  }
  for (const listener of listeners) listener();
}

export function language(): Language {
  return current;
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useLanguage(): Language {
  return useSyncExternalStore(subscribe, language, language);
}
