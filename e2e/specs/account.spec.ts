// The account page in a real browser against the real API: a mobile change with a code from the
// dev SMS outbox, an email verified through the dev mail outbox's link, a password change, and
// "Sign out everywhere else", the last two seen from a second browser logged in as the same user.
import AxeBuilder from '@axe-core/playwright';
import { expect, type Page, test } from '@playwright/test';
import { CAPTCHA_ANSWER, NEW_PASSWORD } from '../fixtures/env.ts';
import { logIn, spareCaptchaImages } from '../fixtures/session.ts';
import { lastSms, newUser, readMail, readSms, registerThroughApi } from '../fixtures/users.ts';

const axeViolations = async (page: Page) =>
  (await new AxeBuilder({ page }).analyze()).violations.map(
    (v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target).join(', ')})`,
  );
const masked = (mobile: string) => `${mobile.slice(0, 3)}****${mobile.slice(7)}`;
const section = (page: Page, heading: string) => page.getByRole('region', { name: heading });

/** Opens /account from the home page, as a visitor does. */
async function openAccount(page: Page) {
  await page.goto('/');
  await page.getByRole('link', { name: 'Your account' }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Your account' })).toBeVisible();
}

test('a user changes the mobile number with a code sent to the new one, and logs in with it', async ({ page, request }) => {
  const user = newUser();
  await registerThroughApi(request, user);
  // The first image is the one typed; the one shown after "Get code" is not used.
  await spareCaptchaImages(page, { real: 1 });
  await logIn(page, user);
  await openAccount(page);
  const profile = section(page, 'Profile');
  await expect(profile.getByText(masked(user.mobile))).toBeVisible();

  const newMobile = newUser().mobile;
  const form = section(page, 'Change mobile number');
  await form.getByLabel('New mobile number').fill(newMobile);
  await expect(form.getByText(`${newMobile} is available.`)).toBeVisible();
  await form.getByLabel('Image code').fill(CAPTCHA_ANSWER);
  await form.getByRole('button', { name: 'Get code' }).click();
  await expect(form.getByRole('button', { name: /Resend in \d+ s/ })).toBeDisabled();

  const sms = await readSms(request, newMobile);
  expect(sms.purpose).toBe('change_mobile');
  expect(sms.code).toMatch(/^\d{6}$/);
  // Nothing went to the old number.
  expect((await lastSms(request, user.mobile))?.purpose).toBe('register');

  await form.getByLabel('SMS code').fill(sms.code);
  await form.getByLabel('Current password').fill(user.password);
  await form.getByRole('button', { name: 'Change mobile number' }).click();
  await expect(form.getByRole('status').filter({ hasText: 'Your mobile number has been changed.' })).toBeVisible();
  await expect(profile.getByText(masked(newMobile))).toBeVisible();
  await expect(profile.getByText(masked(user.mobile))).toHaveCount(0);
  await expect(form.getByLabel('New mobile number')).toHaveValue('');

  // Logged out, the new number logs in.
  await page.goto('/');
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await logIn(page, user, { as: newMobile });
});

test('a user verifies the email address through the link of the verification email', async ({ page, request }) => {
  const user = newUser();
  await registerThroughApi(request, user);
  await spareCaptchaImages(page);
  await logIn(page, user);
  await openAccount(page);
  const profile = section(page, 'Profile');
  await expect(profile.getByText('None yet')).toBeVisible();

  const email = `${user.username}@example.com`;
  const form = section(page, 'Email');
  // Typed in capitals: kept in lower case.
  await form.getByLabel('Email address').fill(email.toUpperCase());
  await form.getByRole('button', { name: 'Save email address' }).click();
  await expect(
    form.getByRole('status').filter({ hasText: `We sent a verification link to ${email}. It is valid for 24 hours.` }),
  ).toBeVisible();
  await expect(profile.getByText(email)).toBeVisible();
  await expect(profile.getByText('not verified', { exact: true })).toBeVisible();
  await expect(form.getByRole('button', { name: 'Resend verification email' })).toBeVisible();

  const mail = await readMail(request, email);
  expect(mail.to).toBe(email);
  expect(mail.subject).toBe('Verify your email address');
  const href = mail.link ?? '';
  const token = mail.token ?? '';
  expect(token).toMatch(/^[\w-]{22,}$/);
  const link = new URL(href);
  expect(`${link.origin}${link.pathname}`).toBe(new URL('/verify-email', page.url()).href);
  expect(link.search).toBe('');
  expect(link.hash).toBe(`#token=${token}`);
  expect(mail.text).toContain(href);

  await page.goto(href);
  await expect(page.getByRole('heading', { level: 1, name: 'Verify your email' })).toBeVisible();
  await expect(page.getByRole('status').filter({ hasText: 'Your email address is verified.' })).toBeVisible();
  // The token is gone from the address bar.
  expect(new URL(page.url()).pathname).toBe('/verify-email');
  expect(new URL(page.url()).hash).toBe('');
  expect(await page.evaluate(() => location.href)).not.toContain(token);
  expect(await axeViolations(page)).toEqual([]);

  await page.getByRole('link', { name: 'Go to your account' }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(profile.getByText(email)).toBeVisible();
  await expect(profile.getByText('verified', { exact: true })).toBeVisible();
  await expect(form.getByRole('button', { name: 'Resend verification email' })).toHaveCount(0);
  // And so after a new page load, from the API.
  await page.reload();
  await expect(profile.getByText('verified', { exact: true })).toBeVisible();
  const me = await page.request.get('/api/user/me/');
  expect((await me.json()).data).toMatchObject({ email, emailActive: true });

  // The link is single-use.
  await page.goto(href);
  await expect(page.getByRole('alert')).toContainText('This verification link is invalid, used or expired.');
});

test('a password change keeps this browser logged in and logs the other one out', async ({ page, request, browser }) => {
  const user = newUser();
  await registerThroughApi(request, user);
  const other = await browser.newContext();
  const otherPage = await other.newPage();
  await spareCaptchaImages(otherPage);
  await logIn(otherPage, user);
  await openAccount(otherPage);

  await spareCaptchaImages(page);
  await logIn(page, user);
  await openAccount(page);
  const form = section(page, 'Change password');
  await form.getByLabel('Current password').fill(user.password);
  await form.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
  await form.getByLabel('Repeat new password').fill(NEW_PASSWORD);
  await form.getByRole('button', { name: 'Change password' }).click();
  await expect(
    form.getByRole('status').filter({ hasText: 'Password changed. Your other sessions have been signed out.' }),
  ).toBeVisible();
  await expect(form.getByLabel('Current password')).toHaveValue('');
  // The sessions list, loaded again, has this browser alone.
  const sessions = section(page, 'Where you are signed in');
  await expect(sessions.getByRole('listitem')).toHaveCount(1);
  await expect(sessions.getByText('You are signed in on this device only.')).toBeVisible();

  // This browser stays logged in, across a page load too.
  await page.reload();
  await expect(page.getByRole('heading', { level: 1, name: 'Your account' })).toBeVisible();
  expect((await page.request.get('/api/user/me/')).status()).toBe(200);

  // The other browser's next page load is a visitor's, on the login page.
  await otherPage.reload();
  await expect(otherPage).toHaveURL(/\/login$/);
  await expect(otherPage.getByRole('heading', { level: 1, name: 'Log in' })).toBeVisible();
  expect((await otherPage.request.get('/api/user/me/')).status()).toBe(401);
  // There the old password is refused; the new one works, back to the account page it was sent from.
  await otherPage.getByLabel('Username or mobile').fill(user.username);
  await otherPage.getByLabel('Password').fill(user.password);
  await otherPage.getByRole('button', { name: 'Log in' }).click();
  await expect(otherPage.getByRole('alert')).toContainText('Wrong username, mobile number or password.');
  await otherPage.getByLabel('Password').fill(NEW_PASSWORD);
  await otherPage.getByRole('button', { name: 'Log in' }).click();
  await expect(otherPage).toHaveURL(/\/account$/);
  await expect(otherPage.getByRole('heading', { level: 1, name: 'Your account' })).toBeVisible();
  await other.close();
});

test('"Sign out everywhere else" ends the session of the other browser and keeps this one', async ({
  page,
  request,
  browser,
}) => {
  const user = newUser();
  // Registering logged the API's visitor in: it leaves, so the user has the two browsers' sessions alone.
  await registerThroughApi(request, user, { loggedIn: false });
  const other = await browser.newContext();
  const otherPage = await other.newPage();
  await logIn(otherPage, user);

  await spareCaptchaImages(page);
  await logIn(page, user);
  await openAccount(page);
  const sessions = section(page, 'Where you are signed in');
  const items = sessions.getByRole('listitem');
  await expect(items).toHaveCount(2);
  const mine = items.filter({ hasText: 'This device' });
  await expect(mine).toHaveCount(1);
  await expect(mine.getByRole('button', { name: 'Sign out' })).toHaveCount(0);
  const theirs = items.filter({ hasNotText: 'This device' });
  await expect(theirs.getByRole('button', { name: 'Sign out' })).toBeVisible();
  for (const term of ['Signed in', 'Last active', 'Network']) await expect(theirs.getByText(term)).toBeVisible();
  // The page as loaded, with two sessions, passes axe.
  expect(await axeViolations(page)).toEqual([]);

  await sessions.getByRole('button', { name: 'Sign out everywhere else' }).click();
  await expect(sessions.getByRole('status').filter({ hasText: 'Signed out 1 other session.' })).toBeVisible();
  await expect(items).toHaveCount(1);
  await expect(items.filter({ hasText: 'This device' })).toHaveCount(1);
  await expect(sessions.getByText('You are signed in on this device only.')).toBeVisible();
  await expect(sessions.getByRole('button', { name: 'Sign out everywhere else' })).toHaveCount(0);
  await expect(sessions.getByRole('heading', { name: 'Where you are signed in' })).toBeFocused();

  // The other browser, still showing the home page, learns at its next step that it is signed out.
  await spareCaptchaImages(otherPage);
  await otherPage.getByRole('link', { name: 'Your account' }).click();
  await expect(otherPage).toHaveURL(/\/login$/);
  await expect(otherPage.getByRole('status').filter({ hasText: 'Your session has ended. Please log in again.' })).toBeVisible();
  expect((await otherPage.request.get('/api/user/me/')).status()).toBe(401);
  await other.close();

  // This one is still logged in, with one session.
  await page.reload();
  await expect(page.getByRole('heading', { level: 1, name: 'Your account' })).toBeVisible();
  await expect(items).toHaveCount(1);
  await expect(items.filter({ hasText: 'This device' })).toHaveCount(1);
});
