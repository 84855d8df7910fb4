// The image code's alternative in a real browser against the real API: a visitor who cannot read
// the image registers with the keyboard alone, the browser solving the proof of work in Web
// Workers (a chunk fetched only then); the page passes axe and says what happens in its live
// region. The last test measures the solve, as a visitor waits for it, at the API's ALTCHA_COST.
import AxeBuilder from '@axe-core/playwright';
import { expect, type Page, test } from '@playwright/test';
import { uiEn as ui } from '../../apps/web/src/i18n/ui.en.ts';
import { tabTo, typeAccountByKeyboard } from '../fixtures/keyboard.ts';
import { newUser, readSmsCode } from '../fixtures/users.ts';

/** Everything the live region says, in order, with when (performance.now()), from now on. */
async function recordLiveRegion(page: Page) {
  await page.evaluate(() => {
    const region = document.getElementById('altcha-status');
    if (!region) throw new Error('no live region in the page');
    const said: { text: string; at: number }[] = [];
    (window as unknown as { liveRegion: typeof said }).liveRegion = said;
    new MutationObserver(() => {
      const text = region.textContent ?? '';
      if (text && said.at(-1)?.text !== text) said.push({ text, at: performance.now() });
    }).observe(region, { childList: true, subtree: true, characterData: true });
  });
}
const liveRegionSaid = (page: Page) =>
  page.evaluate(() => (window as unknown as { liveRegion: { text: string; at: number }[] }).liveRegion);

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

/**
 * Not a check but a measurement (its figures go to the README): from pressing the switch to
 * "Verified." (the challenge fetched, then solved by the workers) and the solve alone (the
 * Performance API entry the solver leaves), five times each, without and with Chrome's 4x CPU
 * slowdown, at the API's default ALTCHA_COST. A solve's length is chance (the counter that
 * works is geometric, 256 keys on average), so the time per derived key is told too.
 */
test('measure: how long the visitor waits for the proof of work', async ({ page }, testInfo) => {
  test.setTimeout(180_000);
  await page.goto('/register');
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
  const cdp = await page.context().newCDPSession(page);
  const { parameters } = (await (await page.request.get('/api/captcha/altcha/')).json()).data;
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  const lines = [`${parameters.algorithm}, cost ${parameters.cost}, key prefix ${parameters.keyPrefix}; ${cores} cores`];
  for (const rate of [1, 4]) {
    await cdp.send('Emulation.setCPUThrottlingRate', { rate });
    const waits: number[] = [];
    const solves: number[] = [];
    const perKey: number[] = [];
    for (let run = 0; run < 5; run++) {
      await recordLiveRegion(page);
      await page.getByRole('button', { name: ui.altcha.switchOn }).click();
      await expect(page.getByRole('status')).toHaveText(ui.altcha.verified, { timeout: 60_000 });
      const [verifying, verified] = await liveRegionSaid(page);
      waits.push(Math.round((verified?.at ?? 0) - (verifying?.at ?? 0)));
      const solve = await page.evaluate(() => {
        const entry = performance.getEntriesByName('altcha-solve').at(-1) as PerformanceMeasure | undefined;
        const detail = (entry?.detail ?? {}) as { counter?: number; workers?: number };
        return { ms: entry?.duration ?? -1, keys: (detail.counter ?? 0) + 1, workers: detail.workers ?? 1 };
      });
      solves.push(Math.round(solve.ms));
      // Keys derived one after another by each worker: the solve's time over its share.
      perKey.push(solve.ms / (solve.keys / Math.max(1, solve.workers)));
      await page.getByRole('button', { name: ui.altcha.switchOff }).click();
    }
    const msPerKey = median(perKey);
    lines.push(
      `${rate}x CPU: wait median ${median(waits)} ms (${waits.join(', ')}); solve median ${median(solves)} ms ` +
        `(${solves.join(', ')}); ${msPerKey.toFixed(2)} ms per key and worker`,
    );
  }
  const report = lines.join('\n');
  console.log(`[altcha] ${report}`);
  await testInfo.attach('altcha-solve-times', { body: report, contentType: 'text/plain' });
});
