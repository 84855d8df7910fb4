// Languages: the catalog shape, choosing a locale from Accept-Language, and sentences chosen
// before the locale is known. A service refusing a request knows what to say but not to whom,
// so it says it as a Text (`text.sms.cooldown(30)`), a function of the catalog that the one
// place writing the answer (the API's sendError, the mock's refuse) renders in the visitor's
// language. The English catalog is the shape; others are checked against it.
import { en } from './en.ts';

export const LOCALES = ['en', 'zh-CN'] as const;
export type Locale = (typeof LOCALES)[number];
export type Catalog = typeof en;

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

/** A sentence whose language is chosen when it is written: render it with a catalog. */
export type Text = (catalog: Catalog) => string;

type Deferred<T> = {
  [K in keyof T]: T[K] extends string
    ? Text
    : T[K] extends (...args: infer A) => string
      ? (...args: A) => Text
      : T[K] extends readonly unknown[]
        ? never
        : Deferred<T[K]>;
};

// biome-ignore lint/suspicious/noExplicitAny: walks the catalog's shape, whatever it holds.
type Node = Record<string, any>;

function defer(node: Node, at: (catalog: Catalog) => Node): Node {
  const out: Node = {};
  for (const [key, value] of Object.entries(node)) {
    const pick = (catalog: Catalog) => at(catalog)[key];
    if (typeof value === 'string') out[key] = pick;
    else if (typeof value === 'function')
      out[key] =
        (...args: unknown[]) =>
        (catalog: Catalog) =>
          pick(catalog)(...args);
    else if (!Array.isArray(value)) out[key] = defer(value, pick);
  }
  return out;
}

/** Every sentence of the catalog, deferred: `text.auth.failed` is a Text, rendered later. */
export const text = /* @__PURE__ */ defer(en, (catalog) => catalog) as Deferred<Catalog>;

/** A Text, or a sentence that is the same in every language (an id, a number). */
export function render(value: Text | string, catalog: Catalog): string {
  return typeof value === 'string' ? value : value(catalog);
}

/** Long enough for any real browser's list; the rest of a hostile header is not read. */
const MAX_ACCEPT_LANGUAGE = 256;

function localeOfTag(tag: string): Locale | null {
  // Every Chinese variant gets the Simplified catalog, the only Chinese one: closer than English
  // for a reader of Traditional characters too.
  if (tag === 'zh' || tag.startsWith('zh-')) return 'zh-CN';
  if (tag === 'en' || tag.startsWith('en-')) return 'en';
  return null;
}

/**
 * The catalog's locale an Accept-Language header prefers (RFC 9110 §12.5.4: by q, then order),
 * or `fallback` when it names none of ours (or is absent, malformed or `*`).
 */
export function negotiateLocale(header: string | null | undefined, fallback: Locale): Locale {
  if (!header) return fallback;
  let best: Locale | null = null;
  let bestQ = 0;
  for (const part of header.slice(0, MAX_ACCEPT_LANGUAGE).split(',')) {
    const [rawTag = '', ...params] = part.split(';');
    const tag = rawTag.trim().toLowerCase();
    let q = 1;
    for (const param of params) {
      const [name, value] = param.split('=').map((s) => s.trim());
      if (name === 'q') q = value !== undefined && /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/.test(value) ? Number(value) : 0;
    }
    const locale = localeOfTag(tag);
    if (locale && q > bestQ) {
      best = locale;
      bestQ = q;
    }
  }
  return best ?? fallback;
}
