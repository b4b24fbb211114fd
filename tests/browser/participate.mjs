// A visitor takes part through a mirror's public site: creates an identity whose key is
// made and kept in the browser, comments on a paragraph and objects to it, every entry
// signed in the page. Run by tests/it/take_part.rs, which starts the mirror and a second
// node and checks what reached it; this script writes the visitor's key and the bytes
// the browser posted to MARGIN_OUT.

import { writeFileSync } from 'node:fs';
import { env, fail, launch, recordPosts, step } from './harness.mjs';

const site = env('MARGIN_PUBLIC');
const para = env('MARGIN_PARA');
const out = env('MARGIN_OUT');
const draft = env('MARGIN_DRAFT');

const browser = await launch();
try {
  const context = await browser.newContext({ viewport: { width: 360, height: 780 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const sent = recordPosts(page);
  await page.goto(`${site}/participate`);
  const status = page.locator('#pstatus');

  step('the visitor creates an identity held in the browser');
  await page.getByLabel('Name').fill('Visitor From Afar');
  await page.getByLabel('Stakeholder group').selectOption('civil-society');
  await page.getByLabel('Region (optional)').fill('Pacific');
  await page.getByRole('button', { name: 'Create my identity in this browser' }).click();
  await page.locator('#pkey').waitFor();
  await status.filter({ hasText: /created|Refused/ }).waitFor();
  if (!(await status.textContent()).includes('created')) fail(await status.textContent());
  const key = await page.evaluate(() => document.body.dataset.key);
  const did = await page.locator('#pkey code').textContent();
  if (!did.startsWith('did:key:z6Mk')) fail(`the page shows ${did}`);

  step('a comment on a paragraph, signed in the browser');
  await page.getByLabel('Paragraph number').fill(para);
  await page.locator('#pk').selectOption('objection');
  await page.getByLabel('Your comment').fill('Posted from a browser: please recount the contributions.');
  await page.getByRole('button', { name: 'Post comment' }).click();
  await status.filter({ hasText: /Posted|Refused/ }).waitFor();
  if (!(await status.textContent()).includes('Posted')) fail(await status.textContent());
  const comment = await status.getAttribute('data-entry');

  step('an objection to the same paragraph');
  await page.locator('#pv').selectOption('object');
  await page.getByLabel('Reason (needed to object)').fill('The figure is wrong.');
  await page.getByRole('button', { name: 'Sign and post my stance' }).click();
  await page.waitForFunction((c) => document.querySelector('#pstatus').dataset.entry !== c, comment);
  const stance = await status.getAttribute('data-entry');
  if ((await status.getAttribute('class') || '').includes('err')) fail(await status.textContent());

  step('after a reload the browser still holds the identity');
  await page.reload();
  await page.locator('#pkey').waitFor();
  if ((await page.evaluate(() => document.body.dataset.key)) !== key) fail('the key changed');
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  if (width > 360) fail(`the page is ${width} px wide on a 360 px screen`);

  step('offline: a draft once opened stays readable, and a comment signed offline waits');
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.goto(`${site}/drafts/${draft}`);
  await page.goto(`${site}/participate`);
  await page.locator('#pkey').waitFor();
  await context.setOffline(true);
  await page.goto(`${site}/drafts/${draft}`);
  if ((await page.locator('article.p').count()) < 10) fail('the draft is not readable offline');
  await page.goto(`${site}/participate`);
  await page.locator('#pkey').waitFor();
  await page.getByLabel('Paragraph number').fill(para);
  await page.getByLabel('Your comment').fill('Written on a train without a connection.');
  await page.getByRole('button', { name: 'Post comment' }).click();
  await status.filter({ hasText: /^Signed, and kept in this browser/ }).waitFor();
  if ((await status.getAttribute('data-waiting')) !== '1') fail(`waiting: ${await status.getAttribute('data-waiting')}`);
  const offline = await status.getAttribute('data-entry');
  await context.setOffline(false);
  // A regular expression: a plain string would also match "…it will be sent then".
  await status.filter({ hasText: /^Sent:/ }).waitFor();
  await page.waitForFunction(() => document.querySelector('#pstatus').dataset.waiting === '0');
  if (errors.length) fail(errors.join('\n'));
  writeFileSync(out, JSON.stringify({ key, did, comment, stance, offline, posted: sent.posted, other_posts: sent.others }));
  console.log('ok');
} finally {
  await browser.close();
}
