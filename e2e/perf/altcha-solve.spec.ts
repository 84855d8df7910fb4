// `pnpm --filter e2e bench:altcha`: how long a visitor waits for the proof of work, in a real
// Chromium against the real API (started by playwright.perf.config.ts, as the e2e suite does).
// A measurement, not a test: it prints its figures (they go to the README) and asserts nothing
// about time. Kept out of `pnpm test`, whose one client address has captcha budgets to spend.
import { expect, test } from '@playwright/test';
import { uiEn as ui } from '../../apps/web/src/i18n/ui.en.ts';
import { liveRegionSaid, recordLiveRegion } from '../fixtures/live-region.ts';

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
