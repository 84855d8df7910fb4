import { expect, test } from '@playwright/test';
import { newUser, registerThroughApi } from '../fixtures/users.ts';

test('a user logs in with the mobile number and logs out', async ({ page, request }) => {
  const user = newUser();
  await registerThroughApi(request, user);
  await page.goto('/login');
  await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible();
  await page.getByLabel('Username or mobile').fill(user.mobile);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('heading', { name: `Welcome, ${user.username}` })).toBeVisible();

  // Logged in, /login and /register lead home.
  await page.goto('/register');
  await expect(page).toHaveURL(/\/$/);

  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  expect((await page.request.get('/api/user/me/')).status()).toBe(401);
});

test('a wrong password is refused without saying which part was wrong', async ({ page, request }) => {
  const user = newUser();
  await registerThroughApi(request, user);
  await page.goto('/login');
  await page.getByLabel('Username or mobile').fill(user.username);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('alert')).toContainText('Wrong username, mobile number or password.');
  await expect(page).toHaveURL(/\/login$/);
});
