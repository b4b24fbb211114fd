// What the pages where a visitor takes part weigh, on a 360 px phone screen: every byte
// each page loads from a cold cache (the page, its stylesheet and scripts, its icon; as
// the site sends them, compressed, headers included), counted by Chromium itself
// (Network.loadingFinished), in a browser that holds a key, so that every form shows.
// Each page, its forms shown, also passes axe-core (WCAG 2.2, A and AA: a serious or
// critical violation fails). Run by tests/it/take_part.rs, which holds the budget; this
// script writes, for each page in MARGIN_PAGES, its bytes, its requests and its width to
// MARGIN_OUT.

import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { env, fail, launch, step } from './harness.mjs';

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'];

const site = env('MARGIN_PUBLIC');
const pages = env('MARGIN_PAGES').split(' ');
const out = env('MARGIN_OUT');

const browser = await launch();
try {
  // No service worker: it would fetch pages of its own, in the background. The pages'
  // Content-Security-Policy lets no other script run: bypassed, for axe-core only.
  const context = await browser.newContext({
    viewport: { width: 360, height: 780 }, serviceWorkers: 'block', bypassCSP: true,
  });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));

  step('a key in this browser, so that every form shows');
  await page.goto(`${site}/participate`);
  await page.getByLabel('Name').fill('Phone Visitor');
  await page.getByLabel('Stakeholder group').selectOption('civil-society');
  await page.getByRole('button', { name: 'Create my identity in this browser' }).click();
  await page.locator('#pstatus').filter({ hasText: /created|Refused/ }).waitFor();
  if (!(await page.locator('#pstatus').textContent()).includes('created')) fail(await page.locator('#pstatus').textContent());

  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  let bytes = 0;
  let requests = 0;
  cdp.on('Network.loadingFinished', (e) => { bytes += e.encodedDataLength; requests++; });

  const measured = [];
  for (const path of pages) {
    step(`${path}: every byte it loads`);
    bytes = 0;
    requests = 0;
    await page.goto(`${site}${path}`, { waitUntil: 'load' });
    await page.waitForFunction(() => document.body.dataset.key);
    // What the scripts fetch once the page is there (nothing, unless asked).
    await page.waitForTimeout(1000);
    const loaded = { path, bytes, requests };
    // The form open under a paragraph, on a draft's page: the widest it gets.
    const respond = page.locator('button.rs').first();
    if (await respond.count()) {
      await respond.click();
      await page.locator('#respond').waitFor();
    }
    // Under a comment, the forms to reply (and, on one's own, to edit and retract).
    const act = page.locator('a.ca:visible').first();
    if (await act.count()) {
      await act.click();
      await page.locator('.acts:visible').first().waitFor();
    }
    loaded.width = await page.evaluate(() => document.documentElement.scrollWidth);
    await page.addScriptTag({ path: axePath });
    const result = await page.evaluate((tags) => window.axe.run(document, {
      runOnly: { type: 'tag', values: tags },
    }), TAGS);
    loaded.violations = result.violations
      .filter((v) => ['serious', 'critical'].includes(v.impact))
      .map((v) => `${v.id} (${v.impact}) on ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    measured.push(loaded);
    console.log(`  ${loaded.bytes} bytes in ${loaded.requests} requests, ${loaded.width} px wide, ${result.passes.length} axe rules passed`);
    for (const v of loaded.violations) console.log(`  FAIL ${v}`);
  }
  if (errors.length) fail(errors.join('\n'));
  writeFileSync(out, JSON.stringify(measured));
  console.log('ok');
} finally {
  await browser.close();
}
