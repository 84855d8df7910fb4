// Passkeys in a real browser against the real API: Chromium's virtual authenticator (a platform
// authenticator with resident keys and user verification, answering each prompt at once) stands
// in for the fingerprint sensor. A new user enrols a passkey on the account page, logs in with
// it alone (no username, no password), through the account field's autofill and through "Sign in
// with a passkey", renames and deletes it; the deleted passkey, still in the authenticator, no
// longer logs in. The SPA is at http://localhost:PORT: the RP ID is localhost.
//
// The virtual authenticator has no autofill menu to pick from: Chromium answers the login page's
// autofill request (mediation "conditional") at once, as if the visitor had picked the passkey
// there. To use the button alone, a test makes that request fail (refuseAutofill).
import AxeBuilder from '@axe-core/playwright';
import { expect, type Page, type Request, test } from '@playwright/test';
import { logIn, spareCaptchaImages } from '../fixtures/session.ts';
import { newUser, registerThroughApi } from '../fixtures/users.ts';
import { addVirtualAuthenticator } from '../fixtures/webauthn.ts';

const LOGIN_OPTIONS = '/api/passkeys/login/options/';
const LOGIN_VERIFY = '/api/passkeys/login/verify/';
const isPost = (path: string) => (r: Request) => r.method() === 'POST' && new URL(r.url()).pathname === path;

const axeViolations = async (page: Page) =>
  (await new AxeBuilder({ page }).analyze()).violations.map(
    (v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target).join(', ')})`,
  );

async function openAccount(page: Page) {
  await page.goto('/');
  await page.getByRole('link', { name: 'Your account' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Your account' })).toBeVisible();
}

async function logOut(page: Page) {
  await page.goto('/');
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/login$/);
}

/**
 * From now on the login page's autofill request fails at once, its options request refused on
 * the way (as if the API were out of reach): the autofill then offers nothing, silently, and the
 * login page has the button alone. `button()` waits for the page to have asked, then lets the
 * next options request through: the button's own.
 */
async function refuseAutofill(page: Page) {
  let refused = 0;
  let refusedBefore = 0;
  let letThrough = 0;
  await page.route(`**${LOGIN_OPTIONS}`, (route) => {
    if (letThrough > 0) {
      letThrough--;
      return route.fallback();
    }
    refused++;
    return route.abort();
  });
  return {
    /** Uses "Sign in with a passkey" once the autofill has given up; its options request is let through. */
    async button() {
      await expect.poll(() => refused, { message: "the login page's autofill request" }).toBeGreaterThan(refusedBefore);
      refusedBefore = refused;
      letThrough++;
      const asked = page.waitForRequest(isPost(LOGIN_OPTIONS));
      await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
      expect((await (await asked).response())?.status()).toBe(200);
    },
  };
}

test("the login page offers passkeys in the account field's autofill: it asks for the options as it opens", async ({ page }) => {
  await addVirtualAuthenticator(page);
  const asked = page.waitForRequest(isPost(LOGIN_OPTIONS));
  await page.goto('/login');
  const response = await (await asked).response();
  if (!response) throw new Error('the options request had no answer');
  expect(response.status()).toBe(200);
  // Discoverable credentials, nobody named: any passkey of this site may answer, for localhost.
  expect((await response.json()).data).toMatchObject({ rpId: 'localhost', allowCredentials: [], userVerification: 'preferred' });
  await expect(page.getByLabel('Username or mobile')).toHaveAttribute('autocomplete', 'username webauthn');
  await expect(page.getByRole('button', { name: 'Sign in with a passkey' })).toBeEnabled();
  // The authenticator holds no passkey of this site: nothing happens, nobody is logged in; the
  // button's prompt, refused at once, says so calmly (no alert).
  await expect(page.getByRole('alert')).toHaveCount(0);
  await expect(page).toHaveURL(/\/login$/);
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await expect(page.getByRole('status')).toHaveText('No passkey was used. Try again, or log in with your password.');
  await expect(page.getByRole('alert')).toHaveCount(0);
  await expect(page).toHaveURL(/\/login$/);
});

test('a new user enrols a passkey, logs in with it alone, renames and deletes it', async ({ page, request }) => {
  test.slow(); // a dozen requests, two logins and a registration: more than most tests
  const authenticator = await addVirtualAuthenticator(page);
  const user = newUser();
  await registerThroughApi(request, user, { loggedIn: false });
  // The account page shows an image code for the mobile change, which this test never types.
  await spareCaptchaImages(page);
  await logIn(page, user);
  await openAccount(page);

  const section = page.getByRole('region', { name: 'Passkeys' });
  const status = section.getByRole('status');
  await expect(section.getByText('You have no passkeys yet.')).toBeVisible();
  await section.getByRole('button', { name: 'Add a passkey' }).click();
  await expect(status).toHaveText('Passkey added. You can now log in with it.');
  const item = section.getByRole('list', { name: 'Passkeys' }).getByRole('listitem');
  await expect(item).toHaveCount(1);
  await expect(item).toContainText(/Passkey \d{4}-\d{2}-\d{2}/);
  await expect(item).toContainText('Never used');
  await expect(item).toContainText('built into the device');
  await expect(section.getByText('You have no passkeys yet.')).toHaveCount(0);

  // The authenticator keeps it as a discoverable credential of localhost, under an opaque user
  // handle: neither the mobile number nor the username.
  const [credential, ...others] = await authenticator.credentials();
  expect(others).toEqual([]);
  expect(credential).toMatchObject({ isResidentCredential: true, rpId: 'localhost' });
  const handle = Buffer.from(credential?.userHandle ?? '', 'base64');
  expect(handle.length).toBeGreaterThan(0);
  for (const form of [handle.toString('utf8'), handle.toString('hex'), handle.toString('base64url')]) {
    expect(form).not.toContain(user.mobile);
    expect(form).not.toContain(user.username);
  }
  // The list says what the account page shows, never the public key.
  const listed = (await (await page.request.get('/api/user/passkeys/')).json()).data.passkeys;
  expect(listed).toHaveLength(1);
  expect(Object.keys(listed[0]).sort()).toEqual(['backedUp', 'createdAt', 'id', 'lastUsedAt', 'name', 'transports']);
  expect(await axeViolations(page)).toEqual([]);

  const verifications: Request[] = [];
  page.on('request', (r) => {
    if (isPost(LOGIN_VERIFY)(r)) verifications.push(r);
  });
  const loggedIn = async (logins: number) => {
    await expect(page.getByRole('heading', { level: 1, name: `Welcome, ${user.username}` })).toBeVisible();
    await expect(page).toHaveURL(/\/$/);
    expect(verifications).toHaveLength(logins);
    expect((await (await page.request.get('/api/user/me/')).json()).data).toMatchObject({ username: user.username });
  };

  // Logged out, the passkey alone logs in, nothing typed: first through the account field's
  // autofill, as the login page opens.
  const autofilled = page.waitForResponse((r) => isPost(LOGIN_VERIFY)(r.request()));
  await page.goto('/');
  await page.getByRole('button', { name: 'Log out' }).click();
  expect((await autofilled).status()).toBe(200);
  await loggedIn(1);
  const used = (await authenticator.credentials())[0]?.signCount ?? 0;
  expect(used).toBeGreaterThan(credential?.signCount ?? 0);

  // Then with "Sign in with a passkey" alone.
  const autofill = await refuseAutofill(page);
  await logOut(page);
  await expect(page.getByLabel('Username or mobile')).toHaveValue('');
  await expect(page.getByLabel('Password')).toHaveValue('');
  await autofill.button();
  await loggedIn(2);
  expect((await authenticator.credentials())[0]?.signCount).toBeGreaterThan(used);

  await openAccount(page);
  await expect(item).toHaveCount(1);
  await expect(item).not.toContainText('Never used');
  await expect(item.locator('time')).toHaveCount(2); // added, last used

  // Renamed in place: the field is focused, "Save name" keeps it, focus returns to "Rename".
  await item.getByRole('button', { name: 'Rename' }).click();
  const name = section.getByLabel('Passkey name');
  await expect(name).toBeFocused();
  await name.fill('  Work laptop  ');
  await section.getByRole('button', { name: 'Save name' }).click();
  await expect(status).toHaveText('Passkey renamed.');
  await expect(item.getByText('Work laptop', { exact: true })).toBeVisible();
  await expect(item.getByRole('button', { name: 'Rename' })).toBeFocused();

  // Deleted after a confirmation that offers to keep it first.
  await item.getByRole('button', { name: 'Delete', exact: true }).click();
  await expect(item.getByText('Delete “Work laptop”? You will no longer be able to log in with it.')).toBeVisible();
  await expect(item.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await item.getByRole('button', { name: 'Delete passkey' }).click();
  await expect(status).toHaveText('Passkey deleted.');
  await expect(section.getByText('You have no passkeys yet.')).toBeVisible();
  await expect(item).toHaveCount(0);
  expect((await (await page.request.get('/api/user/passkeys/')).json()).data.passkeys).toEqual([]);

  // The authenticator still holds it; the API no longer knows it: refused, said in one sentence.
  expect(await authenticator.credentials()).toHaveLength(1);
  await logOut(page);
  await autofill.button();
  await expect(page.getByRole('alert')).toHaveText(
    'The passkey could not be verified. If it was removed from your account, log in with your password or use another passkey.',
  );
  await expect(page).toHaveURL(/\/login$/);
  expect(verifications).toHaveLength(3);
  expect((await page.request.get('/api/user/me/')).status()).toBe(401);
  await expect(page.getByRole('button', { name: 'Sign in with a passkey' })).toBeEnabled();
});
