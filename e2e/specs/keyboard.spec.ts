import { expect, test } from '@playwright/test';
import { CAPTCHA_ANSWER } from '../fixtures/env.ts';
import { tabTo, typeAccountByKeyboard } from '../fixtures/keyboard.ts';
import { newUser, readSmsCode } from '../fixtures/users.ts';

test('the whole registration works with the keyboard alone', async ({ page, request }) => {
  const user = newUser();
  await page.goto('/register');
  await typeAccountByKeyboard(page, user);

  // The captcha refresh is a real button: Enter loads a new image.
  const image = page.getByRole('img', { name: 'Image code: type the characters shown' });
  const before = await image.getAttribute('src');
  await tabTo(page, page.getByRole('button', { name: 'New image' }));
  await page.keyboard.press('Enter');
  await expect(image).not.toHaveAttribute('src', before ?? '');

  await tabTo(page, page.getByLabel('Image code'));
  await page.keyboard.type(CAPTCHA_ANSWER);
  const getCode = page.getByRole('button', { name: 'Get code' });
  await expect(getCode).toBeEnabled();
  await tabTo(page, getCode);
  await page.keyboard.press('Enter');
  await expect(page.getByRole('button', { name: /Resend in \d+ s/ })).toBeVisible();

  await tabTo(page, page.getByLabel('SMS code'));
  await page.keyboard.type(await readSmsCode(request, user.mobile));
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: `Welcome, ${user.username}` })).toBeVisible();
});
