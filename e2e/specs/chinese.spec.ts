// The whole registration once in Chinese: a browser whose language is Chinese gets the page in
// Chinese on its first visit, the API's answers in Chinese, and the page passes axe again.
import AxeBuilder from '@axe-core/playwright';
import { expect, test } from '@playwright/test';
import { uiZhCN as ui } from '../../apps/web/src/i18n/ui.zh-CN.ts';
import { zhCN } from '../../packages/contracts/src/i18n/zh-CN.ts';
import { CAPTCHA_ANSWER } from '../fixtures/env.ts';
import { newUser, readSmsCode } from '../fixtures/users.ts';

test.use({ locale: 'zh-CN' });

test('a Chinese-speaking visitor registers in Chinese, and the page passes axe', async ({ page, request }) => {
  // The whole registration and three axe scans: longer than one spec's usual 30 s on 2 cores.
  test.setTimeout(60_000);
  const user = newUser();
  await page.goto('/register');
  await expect(page.getByRole('heading', { level: 1, name: ui.register.title })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
  await expect(page).toHaveTitle(ui.pageTitle(ui.register.title));
  await expect(page.getByRole('img', { name: ui.captcha.alt })).toBeVisible();
  const axe = async () => (await new AxeBuilder({ page }).analyze()).violations.map((v) => `${v.id}: ${v.help}`);
  expect(await axe()).toEqual([]);

  await page.getByLabel(ui.register.username, { exact: true }).fill(user.username);
  await page.getByLabel(ui.register.password, { exact: true }).fill(user.password);
  await page.getByLabel(ui.register.passwordRepeat).fill(user.password);
  await page.getByLabel(ui.register.mobile).fill(user.mobile);
  await expect(page.getByText(ui.register.available(user.username))).toBeVisible();

  // A wrong image code: the API's refusal, in Chinese, beside the field.
  await page.getByLabel(ui.captcha.label).fill('WXYZ');
  await page.getByRole('button', { name: ui.sms.getCode }).click();
  await expect(page.getByText(zhCN.captcha.wrong)).toBeVisible();
  expect(await axe()).toEqual([]);

  await page.getByLabel(ui.captcha.label).fill(CAPTCHA_ANSWER);
  await page.getByRole('button', { name: ui.sms.getCode }).click();
  await expect(page.getByRole('button', { name: /秒后重新发送/ })).toBeDisabled();
  await page.getByLabel(ui.sms.label).fill(await readSmsCode(request, user.mobile));
  await page.screenshot({ path: 'screenshots/register-chinese.png', fullPage: true });
  await page.getByRole('button', { name: ui.register.submit }).click();

  await expect(page.getByRole('heading', { level: 1, name: ui.home.welcome(user.username) })).toBeVisible();
  expect(await axe()).toEqual([]);
});

test('the switch turns a Chinese page into English and back, remembered across a reload', async ({ page }) => {
  await page.goto('/register');
  await page.getByRole('combobox', { name: ui.language.label }).selectOption('en');
  await expect(page.getByRole('heading', { level: 1, name: 'Create your account' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await page.reload();
  await expect(page.getByRole('heading', { level: 1, name: 'Create your account' })).toBeVisible();
});
