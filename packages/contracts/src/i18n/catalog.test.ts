import { describe, expect, it } from 'vitest';
import { Code } from '../codes.ts';
import { type Catalog, LOCALES, negotiateLocale, render, text } from './catalog.ts';
import { en } from './en.ts';
import { zhCN } from './zh-CN.ts';

const CATALOGS: Record<(typeof LOCALES)[number], Catalog> = { en, 'zh-CN': zhCN };

/** Every leaf of a catalog as `path: kind` (a function's kind says how many parameters it takes). */
function shape(node: unknown, path = ''): string[] {
  if (typeof node === 'string') return [`${path}: string`];
  if (typeof node === 'function') return [`${path}: function/${node.length}`];
  if (Array.isArray(node)) return [`${path}: array/${node.length}`, ...node.flatMap((item, i) => shape(item, `${path}[${i}]`))];
  return Object.entries(node as object).flatMap(([key, value]) => shape(value, path ? `${path}.${key}` : key));
}

function strings(node: unknown, path = ''): [string, string][] {
  if (typeof node === 'string') return [[path, node]];
  if (typeof node !== 'object' || node === null) return [];
  return Object.entries(node).flatMap(([key, value]) => strings(value, path ? `${path}.${key}` : key));
}

describe('the message catalogs', () => {
  it('have every key of the English one, with the same parameters, and nothing else', () => {
    const english = shape(en).sort();
    for (const locale of LOCALES) expect(shape(CATALOGS[locale]).sort(), locale).toEqual(english);
  });

  it('a catalog missing a key is caught by the comparison', () => {
    const { failed: _dropped, ...auth } = zhCN.auth;
    expect(shape({ ...zhCN, auth }).sort()).not.toEqual(shape(en).sort());
  });

  it('give every errno an errmsg in every language, none empty, and the Chinese one is Chinese', () => {
    for (const locale of LOCALES) {
      for (const code of Object.values(Code)) expect(CATALOGS[locale].codes[code], `${locale} ${code}`).toMatch(/\S/);
    }
  });

  it('leave no English sentence untranslated in Chinese', () => {
    const english = new Map(strings(en));
    // A query parameter's name is the same in every language.
    const sameInEvery = new Set(['fields.rand.title']);
    const untranslated = strings(zhCN).filter(([path, value]) => value === english.get(path) && !sameInEvery.has(path));
    expect(untranslated).toEqual([]);
  });

  it('fill in parameters in both languages', () => {
    expect(en.sms.cooldown(42)).toContain('42');
    expect(zhCN.sms.cooldown(42)).toContain('42');
    expect(en.sms.wrong(1)).toBe('The SMS code is wrong. 1 attempt left.');
    expect(zhCN.request.methodNotAllowed(['GET', 'HEAD'])).toBe('方法错误：请使用 GET 或 HEAD。');
  });
});

describe('text: sentences whose language is chosen later', () => {
  it('renders the same sentence in the catalog it is given', () => {
    expect(render(text.auth.failed, en)).toBe(en.auth.failed);
    expect(render(text.auth.failed, zhCN)).toBe(zhCN.auth.failed);
    expect(text.sms.cooldown(7)(zhCN)).toBe(zhCN.sms.cooldown(7));
    expect(text.codes[Code.LOGINERR](zhCN)).toBe('用户登录失败');
    expect(render('13800138000', zhCN)).toBe('13800138000');
  });
});

describe('negotiateLocale', () => {
  it.each([
    [undefined, 'en'],
    ['', 'en'],
    ['zh-CN,zh;q=0.9,en;q=0.8', 'zh-CN'],
    ['zh', 'zh-CN'],
    ['zh-TW', 'zh-CN'],
    ['en-US,en;q=0.9', 'en'],
    ['fr-FR,fr;q=0.9', 'en'],
    ['fr, zh;q=0.5', 'zh-CN'],
    ['en;q=0.5, zh;q=0.8', 'zh-CN'],
    ['zh;q=0, en', 'en'],
    ['*', 'en'],
    ['ZH-cn', 'zh-CN'],
    ['zh;q=abc', 'en'],
    [`${'x,'.repeat(500)}zh`, 'en'],
  ] as const)('%s -> %s', (header, locale) => {
    expect(negotiateLocale(header, 'en')).toBe(locale);
  });

  it('falls back to the default it is given', () => {
    expect(negotiateLocale(undefined, 'zh-CN')).toBe('zh-CN');
    expect(negotiateLocale('de', 'zh-CN')).toBe('zh-CN');
    expect(negotiateLocale('en', 'zh-CN')).toBe('en');
  });
});
