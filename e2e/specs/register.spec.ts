import { expect, test } from '@playwright/test';
import { CAPTCHA_ANSWER } from '../fixtures/env.ts';
import { STAND_IN_PNG } from '../fixtures/session.ts';
import { fillRegisterForm, newUser, readSmsCode, registerThroughApi } from '../fixtures/users.ts';

test.describe('registration', () => {
  test('a visitor registers through the form and lands on / logged in', async ({ page, request }) => {
    const user = newUser();
    const images: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/api/image_code/')) images.push(new URL(r.url()).searchParams.get('rand') ?? '');
    });
    await page.goto('/register');
    await expect(page.getByRole('heading', { name: 'Create your account' })).toBeVisible();
    const image = page.getByRole('img', { name: 'Image code: type the characters shown' });
    await expect(image).toBeVisible();
    // The image the early script fetched beside the app's (index.html), shown without asking again.
    await expect(image).toHaveAttribute('src', /^data:image\/png;base64,/);
    expect(images).toEqual([expect.stringMatching(/^early-/)]);
    await page.screenshot({ path: 'screenshots/register-empty.png', fullPage: true });

    await fillRegisterForm(page, user);
    await expect(page.getByText(/is available/)).toHaveCount(2);
    await page.getByRole('button', { name: 'Get code' }).click();
    await expect(page.getByRole('button', { name: /Resend in \d+ s/ })).toBeDisabled();

    await page.getByLabel('SMS code').fill(await readSmsCode(request, user.mobile));
    await page.screenshot({ path: 'screenshots/register-completed.png', fullPage: true });
    await page.getByRole('button', { name: 'Create account' }).click();

    await expect(page).toHaveURL(/\/$/);
    await expect(page.getByRole('heading', { name: `Welcome, ${user.username}` })).toBeVisible();
    // Logged in for real: the session cookie works for the API too.
    const me = await page.request.get('/api/user/me/');
    expect((await me.json()).data).toMatchObject({ username: user.username, mobile: user.mobile });
  });

  test('when the early image cannot be fetched, the form asks for one itself', async ({ page }) => {
    const images: string[] = [];
    await page.route(/\/api\/image_code\//, (route) => {
      const rand = new URL(route.request().url()).searchParams.get('rand') ?? '';
      images.push(rand);
      if (rand.startsWith('early-')) {
        return route.fulfill({
          status: 503,
          contentType: 'application/json',
          body: '{"errno":"4001","errmsg":"down","data":{}}',
        });
      }
      return route.fulfill({ status: 200, contentType: 'image/png', body: STAND_IN_PNG });
    });
    await page.goto('/register');
    const image = page.getByRole('img', { name: 'Image code: type the characters shown' });
    await expect(image).toHaveAttribute('src', /^\/api\/image_code\/\?rand=(?!early-)/);
    await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(1);
    expect(images).toEqual([expect.stringMatching(/^early-/), expect.not.stringMatching(/^early-/)]);
    await expect(page.getByText(/could not be loaded/i)).toHaveCount(0);
  });

  test('shows validation errors next to each field', async ({ page }) => {
    await page.goto('/register');
    await page.getByRole('button', { name: 'Create account' }).click();
    const username = page.getByLabel('Username', { exact: true });
    await expect(username).toHaveAttribute('aria-invalid', 'true');
    const describedBy = await username.getAttribute('aria-describedby');
    expect(describedBy).toBeTruthy();
    await expect(page.locator(`[id="${describedBy?.split(' ')[0]}"]`)).toContainText(/required|Username/);
    await page.getByLabel('Password', { exact: true }).fill('12345678');
    await page.getByLabel('Repeat password').fill('12345679');
    await expect(page.getByText('This password is entirely numeric.')).toBeVisible();
    await expect(page.getByText('The two passwords do not match.')).toBeVisible();
    await page.screenshot({ path: 'screenshots/register-errors.png', fullPage: true });
  });

  test('a guessable password is explained as it is typed, by the estimator loaded on demand', async ({ page }) => {
    const strengthChunk: string[] = [];
    page.on('request', (r) => {
      if (/password-strength-.*\.js$/.test(r.url())) strengthChunk.push(r.url());
    });
    await page.goto('/register');
    await expect(page.getByRole('heading', { name: 'Create your account' })).toBeVisible();
    expect(strengthChunk).toEqual([]); // not part of the page
    await page.getByLabel('Password', { exact: true }).fill('Password2026');
    await expect(
      page.getByText(/Strength: Weak \(too easy to guess\)\. This is similar to a commonly used password/),
    ).toBeVisible();
    expect(strengthChunk).toHaveLength(1);
    await page.getByLabel('Password', { exact: true }).fill('correct horse battery');
    await expect(page.getByText('Strength: Very strong')).toBeVisible();
  });

  test('shows that a username and a mobile are already registered', async ({ page, request }) => {
    const taken = newUser();
    await registerThroughApi(request, taken);
    await page.goto('/register');
    await page.getByLabel('Username', { exact: true }).fill(taken.username.toUpperCase());
    await page.getByLabel('Mobile number').fill(taken.mobile);
    await page.getByLabel('Image code').focus();
    await expect(page.getByText(/already (taken|registered)/)).toHaveCount(2);
    await expect(page.getByRole('button', { name: 'Get code' })).toBeDisabled();
  });

  test('a wrong image code is reported and a new image is loaded', async ({ page }) => {
    const user = newUser();
    await page.goto('/register');
    await fillRegisterForm(page, { ...user });
    await page.getByLabel('Image code').fill('WXYZ');
    const image = page.getByRole('img', { name: 'Image code: type the characters shown' });
    const before = await image.getAttribute('src');
    await page.getByRole('button', { name: 'Get code' }).click();
    await expect(page.getByText(/image code is wrong/i)).toBeVisible();
    await expect(page.getByLabel('Image code')).toHaveAttribute('aria-invalid', 'true');
    await expect(image).not.toHaveAttribute('src', before ?? '');
  });

  test('a wrong SMS code is reported with the attempts left', async ({ page, request }) => {
    const user = newUser();
    await page.goto('/register');
    await fillRegisterForm(page, user);
    await page.getByRole('button', { name: 'Get code' }).click();
    const code = await readSmsCode(request, user.mobile);
    await page.getByLabel('SMS code').fill(code === '000000' ? '111111' : '000000');
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect(page.getByText('The SMS code is wrong. 4 attempts left.')).toBeVisible();
    await expect(page.getByLabel('SMS code')).toHaveAttribute('aria-invalid', 'true');
    await expect(page).toHaveURL(/\/register$/);
  });

  test('"Get code" counts down after a send', async ({ page }) => {
    const user = newUser();
    await page.goto('/register');
    await fillRegisterForm(page, user);
    await page.getByRole('button', { name: 'Get code' }).click();
    const button = page.getByRole('button', { name: /Resend in \d+ s/ });
    await expect(button).toBeDisabled();
    // The dev outbox note exists in development builds only; this is the production build.
    await expect(page.getByText(/dev outbox/)).toHaveCount(0);
    const first = Number((await button.textContent())?.match(/\d+/)?.[0]);
    expect(first).toBeGreaterThan(50);
    expect(first).toBeLessThanOrEqual(60);
    await expect.poll(async () => Number((await button.textContent())?.match(/\d+/)?.[0])).toBeLessThan(first);
    // The captcha is single-use: after the send the answer box is empty for a new image.
    await expect(page.getByLabel('Image code')).toHaveValue('');
    await page.getByLabel('Image code').fill(CAPTCHA_ANSWER);
    await expect(button).toBeDisabled();
  });
});
