// Runs in the "phone" project (a Pixel 7 viewport, 412x915, touch).
import { expect, test } from '@playwright/test';

test('the register page fits a phone screen', async ({ page }) => {
  await page.goto('/register');
  for (const label of ['Username', 'Password', 'Repeat password', 'Mobile number', 'Image code', 'SMS code']) {
    const input = page.getByLabel(label, { exact: true });
    await input.scrollIntoViewIfNeeded();
    await expect(input).toBeInViewport();
    const box = await input.boundingBox();
    expect(box?.height ?? 0, `${label} is tall enough to tap`).toBeGreaterThanOrEqual(36);
  }
  // No horizontal scrolling.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await page.screenshot({ path: 'screenshots/register-phone.png', fullPage: true });
});
