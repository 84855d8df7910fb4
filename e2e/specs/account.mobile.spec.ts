// Runs in the "phone" project (a Pixel 7 viewport, 412x915, touch): the file name matches its
// /mobile\.spec/ (and the desktop project ignores it).
import { expect, test } from '@playwright/test';
import { logIn, spareCaptchaImages } from '../fixtures/session.ts';
import { newUser, registerThroughApi } from '../fixtures/users.ts';

test('the account page fits a phone screen', async ({ page, request }) => {
  const user = newUser();
  await registerThroughApi(request, user, { loggedIn: false });
  await spareCaptchaImages(page);
  await logIn(page, user);
  await page.goto('/account');
  await expect(page.getByRole('heading', { level: 1, name: 'Your account' })).toBeVisible();
  const sessions = page.getByRole('region', { name: 'Where you are signed in' });
  await expect(sessions.getByRole('listitem')).toHaveCount(1);

  const fields: [string, string][] = [
    ['Email', 'Email address'],
    ['Change password', 'Current password'],
    ['Change password', 'New password'],
    ['Change password', 'Repeat new password'],
    ['Change mobile number', 'New mobile number'],
    ['Change mobile number', 'Image code'],
    ['Change mobile number', 'SMS code'],
    ['Change mobile number', 'Current password'],
  ];
  for (const [region, label] of fields) {
    const input = page.getByRole('region', { name: region }).getByLabel(label, { exact: true });
    await input.scrollIntoViewIfNeeded();
    await expect(input).toBeInViewport();
    const box = await input.boundingBox();
    expect(box?.height ?? 0, `${region}: ${label} is tall enough to tap`).toBeGreaterThanOrEqual(36);
  }
  for (const name of ['Save email address', 'Change password', 'Get code', 'Change mobile number']) {
    const button = page.getByRole('button', { name, exact: true });
    await button.scrollIntoViewIfNeeded();
    await expect(button).toBeInViewport();
  }
  // No horizontal scrolling.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await page.screenshot({ path: 'screenshots/account-phone.png', fullPage: true });
});
