// "Forgot password?" in a real browser against the real API: the reset code read from the dev SMS
// outbox, the new password set, every session ended, the old password refused.
import AxeBuilder from '@axe-core/playwright';
import { expect, type Page, test } from '@playwright/test';
import { CAPTCHA_ANSWER, NEW_PASSWORD } from '../fixtures/env.ts';
import { logIn, spareCaptchaImages } from '../fixtures/session.ts';
import { lastSms, newUser, readSms, registerThroughApi } from '../fixtures/users.ts';

const axeViolations = async (page: Page) =>
  (await new AxeBuilder({ page }).analyze()).violations.map(
    (v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target).join(', ')})`,
  );

test('a user who forgot the password sets a new one with a code from the SMS outbox', async ({ page, request, browser }) => {
  // The account was made a moment ago, with a code to the same number: the number's resend wait
  // (SMS_RESEND_SECONDS, 60 s by default, one wait per number whatever the purpose) has to pass
  // before a reset code can go to it. The page counts it down; the test waits for it.
  test.setTimeout(120_000);
  const user = newUser();
  await registerThroughApi(request, user);
  // The registration's SMS is in the outbox: the reset code must be a new message.
  const registrationSms = await lastSms(request, user.mobile);
  expect(registrationSms?.purpose).toBe('register');

  // Logged in on another browser: the reset ends this session too.
  const other = await browser.newContext();
  const otherPage = await other.newPage();
  await logIn(otherPage, user);

  // Two images are typed (the first answer is spent on the refused request); later ones are not.
  await spareCaptchaImages(page, { real: 2 });
  await page.goto('/login');
  await page.getByRole('link', { name: 'Forgot password?' }).click();
  await expect(page).toHaveURL(/\/forgot-password$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Reset your password' })).toBeVisible();
  await expect(page).toHaveTitle('Reset your password · Register');
  await expect(page.getByRole('img', { name: 'Image code: type the characters shown' })).toBeVisible();
  expect(await axeViolations(page)).toEqual([]);

  await page.getByLabel('Mobile number').fill(user.mobile);
  await page.getByLabel('Image code').fill(CAPTCHA_ANSWER);
  const getCode = page.getByRole('button', { name: 'Get code' });
  await getCode.click();
  // Refused for the resend wait (nothing said about the account), counted down on the button.
  const countdown = page.getByRole('button', { name: /Resend in \d+ s/ });
  await expect(countdown).toBeDisabled();
  await expect(page.getByText(/^A code was just sent\. Please wait \d+ s before requesting another\.$/)).toBeVisible();
  await expect(page.getByText('If this number belongs to an account, a code is on its way.')).toHaveCount(0);
  await expect(countdown).toHaveCount(0, { timeout: 70_000 });

  // The refused request spent the image's answer: the new image's answer, then the code.
  await expect(page.getByLabel('Image code')).toHaveValue('');
  await page.getByLabel('Image code').fill(CAPTCHA_ANSWER);
  await getCode.click();
  await expect(page.getByText('If this number belongs to an account, a code is on its way.')).toBeVisible();
  await expect(page.getByRole('button', { name: /Resend in \d+ s/ })).toBeDisabled();
  await expect(page.getByLabel('SMS code')).toBeFocused();
  expect(await axeViolations(page)).toEqual([]);

  const sms = await readSms(request, user.mobile, registrationSms);
  expect(sms.purpose).toBe('reset');
  expect(sms.code).toMatch(/^\d{6}$/);
  expect(sms.text).toContain(`Your password reset code is ${sms.code}.`);

  await page.getByLabel('SMS code').fill(sms.code);
  await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
  await page.getByLabel('Repeat new password').fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Set new password' }).click();

  // On the login page, logged in nowhere, with the API's sentence.
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Log in' })).toBeVisible();
  await expect(
    page
      .getByRole('status')
      .filter({ hasText: 'Your password has been changed and every session signed out. Log in with the new password.' }),
  ).toBeVisible();
  expect(await axeViolations(page)).toEqual([]);
  expect((await page.request.get('/api/user/me/')).status()).toBe(401);

  // The other browser's session ended with the reset: its next page load is a visitor's.
  await otherPage.reload();
  await expect(otherPage).toHaveURL(/\/login$/);
  await other.close();

  // The old password no longer works; the new one does.
  await page.getByLabel('Username or mobile').fill(user.mobile);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('alert')).toContainText('Wrong username, mobile number or password.');
  await page.getByLabel('Password').fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('heading', { level: 1, name: `Welcome, ${user.username}` })).toBeVisible();
});
