import { expect, type Locator, type Page, test } from '@playwright/test';
import { CAPTCHA_ANSWER } from '../fixtures/env.ts';
import { newUser, readSmsCode } from '../fixtures/users.ts';

/** Presses Tab until the target has focus: proves it is reachable by keyboard, in any tab order. */
async function tabTo(page: Page, target: Locator) {
  for (let i = 0; i < 25; i++) {
    if (await target.evaluate((el) => el === document.activeElement)) return;
    await page.keyboard.press('Tab');
  }
  await expect(target).toBeFocused();
}

test('the whole registration works with the keyboard alone', async ({ page, request }) => {
  const user = newUser();
  await page.goto('/register');
  await tabTo(page, page.getByLabel('Username', { exact: true }));
  await page.keyboard.type(user.username);
  await tabTo(page, page.getByLabel('Password', { exact: true }));
  await page.keyboard.type(user.password);
  await tabTo(page, page.getByLabel('Repeat password'));
  await page.keyboard.type(user.password);
  await tabTo(page, page.getByLabel('Mobile number'));
  await page.keyboard.type(user.mobile);

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
