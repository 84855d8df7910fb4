// The image code's alternative in a real browser against the real API: a visitor who cannot read
// the image registers with the keyboard alone, the browser solving the proof of work in Web
// Workers (a chunk fetched only then); the page passes axe and says what happens in its live
// region. (How long the solve takes is measured by `pnpm --filter e2e bench:altcha`, not here.)
import AxeBuilder from '@axe-core/playwright';
import { expect, type Page, test } from '@playwright/test';
import { uiEn as ui } from '../../apps/web/src/i18n/ui.en.ts';
import { tabTo, typeAccountByKeyboard } from '../fixtures/keyboard.ts';
import { liveRegionSaid, recordLiveRegion } from '../fixtures/live-region.ts';
import { newUser, readSmsCode } from '../fixtures/users.ts';

const axeViolations = async (page: Page) =>
  (await new AxeBuilder({ page }).analyze()).violations.map(
    (v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target).join(', ')})`,
  );

test('a visitor who cannot read the image registers with the keyboard alone, through the proof of work', async ({
  page,
  request,
}) => {
  test.setTimeout(60_000);
  const user = newUser();
  const solverScripts: string[] = [];
  page.on('request', (r) => {
    if (/\/assets\/solver[.-].*\.js$/.test(r.url())) solverScripts.push(r.url());
  });
  await page.goto('/register');
  await typeAccountByKeyboard(page, user);
  await expect(page.getByText(`${user.mobile} is available.`)).toBeVisible();
  expect(solverScripts).toEqual([]); // not part of the page

  const toggle = page.getByRole('button', { name: ui.altcha.switchOn });
  await recordLiveRegion(page);
  await tabTo(page, toggle);
  await page.keyboard.press('Enter');
  const liveRegion = page.getByRole('status');
  await expect(liveRegion).toHaveText(ui.altcha.verified, { timeout: 20_000 });
  expect((await liveRegionSaid(page)).map((m) => m.text)).toEqual([ui.altcha.verifying, ui.altcha.verified]);
  // The image field is gone, the same button now leads back to it, and it kept the focus.
  await expect(page.getByLabel('Image code')).toHaveCount(0);
  await expect(page.getByRole('button', { name: ui.altcha.switchOff })).toBeFocused();
  // The solver and its worker: two scripts of their own, fetched now (the worker once per core).
  expect(new Set(solverScripts).size).toBe(2);
  await page.screenshot({ path: 'screenshots/register-altcha.png', fullPage: true });
  expect(await axeViolations(page)).toEqual([]);

  const sent = page.waitForRequest((r) => r.url().endsWith('/api/sms_code/') && r.method() === 'POST');
  const getCode = page.getByRole('button', { name: 'Get code' });
  await expect(getCode).toBeEnabled();
  await tabTo(page, getCode);
  await page.keyboard.press('Enter');
  const body = (await sent).postDataJSON();
  expect(Object.keys(body).sort()).toEqual(['altcha', 'mobile']);
  expect(JSON.parse(Buffer.from(body.altcha, 'base64').toString())).toMatchObject({
    challenge: { parameters: { algorithm: 'PBKDF2/SHA-256' }, signature: expect.any(String) },
    solution: { counter: expect.any(Number), derivedKey: expect.any(String) },
  });
  await expect(page.getByRole('button', { name: /Resend in \d+ s/ })).toBeVisible();
  await expect(page.getByLabel('SMS code')).toBeFocused();
  await expect(page.getByText(ui.altcha.spent)).toBeVisible();
  expect(await axeViolations(page)).toEqual([]);

  await page.keyboard.type(await readSmsCode(request, user.mobile));
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: `Welcome, ${user.username}` })).toBeVisible();
});

test('the switch brings the image code back, focused, and the page passes axe', async ({ page }) => {
  await page.goto('/register');
  const toggle = page.getByRole('button', { name: ui.altcha.switchOn });
  await toggle.click();
  await expect(page.getByRole('status')).toHaveText(ui.altcha.verified, { timeout: 20_000 });
  await page.getByRole('button', { name: ui.altcha.switchOff }).click();
  await expect(page.getByLabel('Image code')).toBeFocused();
  await expect(page.getByRole('img', { name: ui.captcha.alt })).toBeVisible();
  await expect(page.getByRole('status')).toBeEmpty();
  expect(await axeViolations(page)).toEqual([]);
});
