// The language switch in the page header: a native select, so it works by keyboard and screen
// reader as any select does; each language is named in itself (and marked with its lang).
import { LOCALES } from '@register/contracts';
import { setLocale, useLanguage } from './locale';

export function LanguageSwitch() {
  const { locale, ui } = useLanguage();
  return (
    <label className="language-switch">
      <span>{ui.language.label}</span>
      <select
        value={locale}
        onChange={(event) => {
          const next = LOCALES.find((l) => l === event.target.value);
          if (next) setLocale(next).catch((error: unknown) => console.error(error));
        }}
      >
        {LOCALES.map((l) => (
          <option key={l} value={l} lang={l}>
            {ui.language.names[l]}
          </option>
        ))}
      </select>
    </label>
  );
}
