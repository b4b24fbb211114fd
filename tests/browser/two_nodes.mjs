// Two Margin nodes, two browsers: a participant on node 1 selects a passage of the
// fixture draft and posts an objection; node 2's page shows it beside the same passage
// without a reload; an editor on node 2 disposes of it; node 1's page shows the
// disposition, again without a reload. Run by tests/it/web.rs, which starts the nodes and
// passes their addresses and tokens in the environment.

import { join } from 'node:path';

import { artifactsDir, env, fail, launch, selectPassage, step } from './harness.mjs';

const node1 = env('MARGIN_NODE1');
const node2 = env('MARGIN_NODE2');
const draft = env('MARGIN_DRAFT');
const quote = env('MARGIN_QUOTE');
const artifacts = artifactsDir();

const browser = await launch();
const errors = [];
const pages = [];
try {
  async function open(base, token) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(`script error on ${base}: ${e.message}`));
    await page.goto(`${base}/login?token=${token}`);
    await page.goto(`${base}/drafts/${draft}`);
    pages.push(page);
    return page;
  }
  const reader = await open(node1, env('MARGIN_TOKEN1'));
  const editor = await open(node2, env('MARGIN_TOKEN2'));
  // Marks that vanish on a reload.
  await reader.evaluate(() => { window.notReloaded = true; });
  await editor.evaluate(() => { window.notReloaded = true; });

  step('node 1: select the passage and post an objection');
  const pid = await selectPassage(reader, quote);
  await reader.locator('button.selb').click();
  const panel = reader.locator('#respond');
  if ((await panel.locator('#rq').inputValue()) !== quote) fail('the selection did not fill the passage');
  if ((await panel.locator('#rstart').inputValue()) === '') fail('the selection gave no offset');
  if ((await reader.locator(`#${pid} + #respond`).count()) !== 1) fail('the form did not open under the paragraph');
  const objection = 'Twelve is not what the contributions say: please recount before the second round.';
  await panel.getByLabel('Kind').selectOption('objection');
  await panel.getByLabel('Your comment').fill(objection);
  await panel.getByRole('button', { name: 'Post comment' }).click();
  await reader.waitForURL(/#c-[0-9a-f]{12}$/);
  const short = reader.url().split('#c-')[1];
  // Posting the form loaded the page again; from here on it must not reload.
  await reader.evaluate(() => { window.notReloaded = true; });
  const mine = reader.locator(`#${pid} #c-${short}`);
  await mine.waitFor();
  if (!(await mine.textContent()).includes(objection)) fail('node 1 does not show the objection');
  const mark = reader.locator(`#${pid} mark[data-c~="${short}"]`);
  if ((await mark.allTextContents()).join('') !== quote) fail('node 1 does not highlight the passage');

  step('node 2: the objection appears beside the same passage, without a reload');
  const theirs = editor.locator(`#${pid} #c-${short}`);
  await theirs.waitFor({ timeout: 30000 });
  if (!(await theirs.textContent()).includes(objection)) fail('node 2 shows another text');
  if (!(await theirs.getAttribute('class')).includes('k-objection')) fail('node 2 does not show it as an objection');
  if ((await editor.locator(`#${pid} mark[data-c~="${short}"]`).allTextContents()).join('') !== quote) {
    fail('node 2 does not highlight the same passage');
  }
  if (!(await editor.evaluate(() => window.notReloaded === true))) fail('node 2 reloaded the page');
  await editor.screenshot({ path: join(artifacts, 'node2-objection-arrived.png'), fullPage: false });

  step('node 2: the editor disposes of it');
  await theirs.getByRole('link', { name: 'Reply or act' }).click();
  const actions = editor.locator(`#c-${short} + .acts`);
  await actions.waitFor();
  await actions.getByLabel('Answer').selectOption('partly');
  const note = 'Recounted: fourteen contributions; the figure is corrected in v2.';
  await actions.getByLabel(/^Note/).fill(note);
  await actions.getByRole('button', { name: 'Record disposition' }).click();
  await editor.waitForURL(new RegExp(`#c-${short}$`));
  await editor.locator(`#c-${short} .dp`).waitFor();

  step('node 1: the disposition appears, without a reload');
  const disposition = reader.locator(`#${pid} #c-${short} .dp`);
  await disposition.waitFor({ timeout: 30000 });
  const said = await disposition.textContent();
  if (!said.includes('partly accepted') || !said.includes(note)) fail(`node 1 shows "${said}"`);
  if (!(await reader.evaluate(() => window.notReloaded === true))) fail('node 1 reloaded the page');

  step('every control has a label; right-to-left text runs right to left');
  for (const page of [reader, editor]) {
    const unlabelled = await page.evaluate(() => Array.from(
      document.querySelectorAll('input:not([type=hidden]), select, textarea'))
      .filter((e) => e.labels.length === 0 && !e.getAttribute('aria-label'))
      .map((e) => e.outerHTML.slice(0, 80)));
    if (unlabelled.length) fail(`controls without labels: ${unlabelled.join(', ')}`);
  }
  const arabic = reader.locator('article.p .t', { hasText: 'تم استلام' });
  if ((await arabic.evaluate((e) => getComputedStyle(e).direction)) !== 'rtl') fail('the Arabic paragraph is not right-to-left');

  step('screenshots');
  await reader.locator(`#${pid}`).scrollIntoViewIfNeeded();
  await reader.screenshot({ path: join(artifacts, 'draft-with-comments.png'), fullPage: true });
  await reader.setViewportSize({ width: 360, height: 780 });
  await reader.locator(`#${pid}`).scrollIntoViewIfNeeded();
  await reader.screenshot({ path: join(artifacts, 'draft-360px.png') });
  const overflow = await reader.evaluate(() => document.documentElement.scrollWidth);
  if (overflow > 360) fail(`the page is ${overflow} px wide on a 360 px screen`);
  await arabic.scrollIntoViewIfNeeded();
  await reader.screenshot({ path: join(artifacts, 'draft-360px-rtl.png') });

  step('the language switch: French, remembered after a reload; Arabic, the whole page right to left');
  await reader.locator('nav.langs').getByRole('link', { name: 'Français' }).click();
  await reader.waitForURL(new RegExp(`/drafts/${draft}$`));
  if ((await reader.evaluate(() => document.documentElement.lang)) !== 'fr') fail('the switch did not lead to French');
  await reader.reload();
  if ((await reader.evaluate(() => document.documentElement.lang)) !== 'fr') fail('French was not remembered');
  await reader.locator('#peers', { hasText: /pair/ }).waitFor();
  if ((await reader.locator(`#${pid} #c-${short} .dp`).textContent()).indexOf('accepté en partie') < 0) {
    fail('the disposition is not in French');
  }
  await reader.locator('nav.langs').getByRole('link', { name: 'العربية' }).click();
  await reader.waitForURL(new RegExp(`/drafts/${draft}$`));
  const layout = await reader.evaluate((pid) => ({
    lang: document.documentElement.lang,
    page: getComputedStyle(document.body).direction,
    english: getComputedStyle(document.querySelector(`#${pid} .t`)).direction,
    width: document.documentElement.scrollWidth,
  }), pid);
  if (layout.lang !== 'ar' || layout.page !== 'rtl') fail(`the Arabic page is ${JSON.stringify(layout)}`);
  if (layout.english !== 'ltr') fail('an English paragraph on the Arabic page is not left-to-right');
  if (layout.width > 360) fail(`the Arabic page is ${layout.width} px wide on a 360 px screen`);
  await reader.screenshot({ path: join(artifacts, 'draft-360px-arabic-page.png') });
  if (errors.length) fail(errors.join('\n'));
  console.log('ok');
} catch (e) {
  // Leave what each browser showed, for whoever reads the failure.
  for (const [i, page] of pages.entries()) {
    console.log(`node ${i + 1} was at ${page.url()}:`);
    console.log((await page.locator('main').innerText().catch(() => '')).slice(0, 1500));
    await page.screenshot({ path: join(artifacts, `failure-node${i + 1}.png`), fullPage: true }).catch(() => {});
  }
  throw e;
} finally {
  await browser.close();
}
