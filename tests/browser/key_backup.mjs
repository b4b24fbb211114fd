// A backup of the browser's key, and the key of a node restored in a browser: on
// /participate, one browser makes an identity and saves a backup (which the Rust test
// imports with `margin key import`); another browser restores the file `margin key
// export` wrote, and then signs a comment as that key. Run by tests/it/take_part.rs; this
// script writes what it saw and the bytes the second browser posted to MARGIN_OUT.

import { writeFileSync } from 'node:fs';
import { env, fail, launch, step } from './harness.mjs';

const site = env('MARGIN_PUBLIC');
const para = env('MARGIN_PARA');
const passphrase = env('MARGIN_PASSPHRASE');
const exported = env('MARGIN_CLI_EXPORT');
const exportedKey = env('MARGIN_CLI_KEY');
const backupFile = env('MARGIN_BACKUP');
const out = env('MARGIN_OUT');

const browser = await launch();
try {
  const errors = [];
  async function visitor() {
    const context = await browser.newContext({ viewport: { width: 360, height: 780 }, acceptDownloads: true });
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${site}/participate`);
    return page;
  }
  const said = async (page, pattern) => {
    const status = page.locator('#pstatus');
    await status.filter({ hasText: pattern }).waitFor({ timeout: 60000 });
    return status.textContent();
  };
  const loaded = [];

  step('a browser makes an identity and saves a backup of its key');
  const first = await visitor();
  first.on('request', (r) => loaded.push(new URL(r.url()).pathname));
  await first.getByLabel('Name').fill('Backup Visitor');
  await first.getByLabel('Stakeholder group').selectOption('academia');
  await first.getByRole('button', { name: 'Create my identity in this browser' }).click();
  await said(first, /created|Refused/);
  const made = await first.locator('#pkey code').textContent();
  if (loaded.some((p) => p.includes('/vendor/'))) fail('the age library loaded before it was needed');
  await first.locator('#pbp').fill(passphrase);
  await first.locator('#pbq').fill(`${passphrase}!`);
  await first.getByRole('button', { name: 'Save a backup of my key' }).click();
  await said(first, /differ/);
  await first.locator('#pbq').fill(passphrase);
  const download = first.waitForEvent('download', { timeout: 120000 });
  await first.getByRole('button', { name: 'Save a backup of my key' }).click();
  const file = await download;
  await file.saveAs(backupFile);
  await said(first, /Backup saved|Refused/);
  if (!loaded.some((p) => p === '/static/vendor/age.js')) fail('the age library was not loaded');
  const width = await first.evaluate(() => document.documentElement.scrollWidth);
  if (width > 360) fail(`the page is ${width} px wide on a 360 px screen`);

  step("another browser restores the key that margin key export wrote");
  const second = await visitor();
  const posted = [];
  second.on('request', (r) => {
    if (r.url().endsWith('/api/entries') && r.method() === 'POST') posted.push(Buffer.from(r.postDataBuffer()).toString('hex'));
  });
  await second.locator('#prf').setInputFiles(exported);
  await second.locator('#prp').fill('not the passphrase');
  await second.getByRole('button', { name: 'Restore my key' }).click();
  const wrong = await said(second, /Refused/);
  if (!wrong.includes('wrong passphrase')) fail(`a wrong passphrase says: ${wrong}`);
  await second.locator('#prp').fill(passphrase);
  await second.getByRole('button', { name: 'Restore my key' }).click();
  await said(second, /restored|Refused/);
  const restored = await second.locator('#pkey code').textContent();
  if (restored !== exportedKey) fail(`the browser holds ${restored}, not ${exportedKey}`);

  step('and signs a comment as that key');
  await second.getByLabel('Paragraph number').fill(para);
  await second.getByLabel('Your comment').fill('Signed in a browser with the key from margin key export.');
  await second.getByRole('button', { name: 'Post comment' }).click();
  const posting = await said(second, /Posted|Refused/);
  if (!posting.includes('Posted')) fail(posting);

  if (errors.length) fail(errors.join('\n'));
  writeFileSync(out, JSON.stringify({ made, restored, posted }));
  console.log('ok');
} finally {
  await browser.close();
}
