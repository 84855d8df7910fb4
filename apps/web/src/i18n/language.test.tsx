// The language switch: every word of the page, the form's rules and the API's answers follow it,
// it is remembered, and the browser's languages choose it on a first visit.
import { en } from '@register/contracts';
import { zhCN } from '@register/contracts/i18n/zh-CN';
import { screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MOCK_SEED_USERS } from '../mocks/db';
import { renderApp } from '../test/render-app';
import { language, preferredLocale, setLocale } from './locale';
import { uiEn } from './ui.en';
import { uiZhCN } from './ui.zh-CN';
import { accountUiEn } from './ui-account.en';
import { accountUiZhCN } from './ui-account.zh-CN';

afterEach(() => vi.restoreAllMocks());

describe('the language switch', () => {
  it('switches the page, its title, its labels and <html lang> to Chinese, and remembers it', async () => {
    const { user } = renderApp('/register');
    await screen.findByRole('heading', { level: 1, name: uiEn.register.title });
    await user.selectOptions(screen.getByRole('combobox', { name: uiEn.language.label }), 'zh-CN');

    expect(await screen.findByRole('heading', { level: 1, name: uiZhCN.register.title })).toBeInTheDocument();
    expect(document.documentElement.lang).toBe('zh-CN');
    expect(document.title).toBe(uiZhCN.pageTitle(uiZhCN.register.title));
    expect(screen.getByLabelText(uiZhCN.register.username)).toBeInTheDocument();
    expect(screen.getByRole('img', { name: uiZhCN.captcha.alt })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: uiZhCN.sms.getCode })).toBeInTheDocument();
    expect(screen.getByText(zhCN.fields.username.invalid)).toBeInTheDocument();
    expect(localStorage.getItem('locale')).toBe('zh-CN');
    expect(preferredLocale()).toBe('zh-CN');
  });

  it('says the form rules in Chinese, and says again in English the ones on screen after switching back', async () => {
    await setLocale('zh-CN');
    const { user } = renderApp('/register');
    await user.click(await screen.findByRole('button', { name: uiZhCN.register.submit }));
    const required = zhCN.check.required(zhCN.fields.username.title);
    expect(await screen.findByText(required)).toBeInTheDocument();

    await user.selectOptions(screen.getByRole('combobox', { name: uiZhCN.language.label }), 'en');
    expect(await screen.findByText(en.check.required(en.fields.username.title))).toBeInTheDocument();
    expect(screen.queryByText(required)).not.toBeInTheDocument();
  });

  it('asks the API for Chinese, so its refusals arrive in Chinese', async () => {
    await setLocale('zh-CN');
    const { user } = renderApp('/login');
    await user.type(await screen.findByLabelText(uiZhCN.login.account), MOCK_SEED_USERS[1].username);
    await user.type(screen.getByLabelText(uiZhCN.login.password), 'not the password');
    await user.click(screen.getByRole('button', { name: uiZhCN.login.submit }));
    const alert = await screen.findByRole('alert');
    expect(within(alert).getByText(zhCN.auth.failed)).toBeInTheDocument();
  });

  it('on a first visit follows the browser: Chinese for zh-*, English for anything else', () => {
    vi.spyOn(navigator, 'languages', 'get').mockReturnValue(['zh-TW', 'en']);
    expect(preferredLocale()).toBe('zh-CN');
    vi.spyOn(navigator, 'languages', 'get').mockReturnValue(['fr-FR', 'de']);
    expect(preferredLocale()).toBe('en');
    localStorage.setItem('locale', 'zh-CN');
    expect(preferredLocale()).toBe('zh-CN');
  });

  it('keeps the last choice when an earlier one loads after it', async () => {
    const chinese = setLocale('zh-CN'); // its chunk is still on its way
    await setLocale('en');
    await chinese;
    expect(language().locale).toBe('en');
    expect(localStorage.getItem('locale')).toBe('en');
  });

  it('names each language in itself, marked with its lang', async () => {
    renderApp('/register');
    const chinese = await screen.findByRole('option', { name: '简体中文' });
    expect(chinese).toHaveAttribute('lang', 'zh-CN');
    expect(screen.getByRole('option', { name: 'English' })).toHaveAttribute('lang', 'en');
  });
});

describe('the SPA catalogs', () => {
  /** Every leaf as `path: kind`, functions by their parameter count. */
  function shape(node: unknown, path = ''): string[] {
    if (typeof node === 'string') return [`${path}: string`];
    if (typeof node === 'function') return [`${path}: function/${node.length}`];
    return Object.entries(node as object).flatMap(([key, value]) => shape(value, path ? `${path}.${key}` : key));
  }
  it('have the same keys and parameters in Chinese as in English', () => {
    expect(shape(uiZhCN).sort()).toEqual(shape(uiEn).sort());
    expect(shape(accountUiZhCN).sort()).toEqual(shape(accountUiEn).sort());
  });
  it('say every sentence of the account pages in Chinese, not in English', () => {
    const english = new Set(shape(accountUiEn).map((leaf) => leaf.split(': ')[0]));
    for (const path of english) {
      const read = (root: unknown) => path?.split('.').reduce((node, key) => (node as Record<string, unknown>)[key], root);
      expect({ path, zh: read(accountUiZhCN) }).not.toEqual({ path, zh: read(accountUiEn) });
    }
  });
});
