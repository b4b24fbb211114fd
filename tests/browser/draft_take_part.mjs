// A visitor takes part from a mirror's public draft page, with a key held in the browser:
// without a key the page only reads; with one, they comment on a selected passage, on a
// sentence the next version deletes, reply, take a stance, edit their comment and retract
// another, with the forms of the node's own pages, every entry signed in the page. Run by
// tests/it/take_part.rs, which checks what reached a second node; this script writes the
// visitor's key and the bytes the browser posted to MARGIN_OUT.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { artifactsDir, env, fail, launch, recordPosts, selectPassage, step } from './harness.mjs';

const site = env('MARGIN_PUBLIC');
const draft = env('MARGIN_DRAFT');
const out = env('MARGIN_OUT');
const twelve = env('MARGIN_QUOTE');
const workshops = env('MARGIN_DELETED');
const others = env('MARGIN_OTHERS_COMMENT');
const artifacts = artifactsDir();

const browser = await launch();
try {
  const context = await browser.newContext({ viewport: { width: 360, height: 780 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const sent = recordPosts(page);
  const posted = sent.posted;
  const status = page.locator('#pstatus');
  const narrow = async (what) => {
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    if (width > 360) fail(`${what} is ${width} px wide on a 360 px screen`);
  };

  step('without a key, the draft page reads and offers no form');
  await page.goto(`${site}/drafts/${draft}`);
  await page.locator('.nokey').waitFor();
  if (await page.locator('#respond').isVisible()) fail('the response form shows without a key');
  if (await page.locator('button.rs').count()) fail('respond buttons show without a key');
  if (await page.locator('a.ca:visible').count()) fail('"Reply or act" shows without a key');

  step('the visitor creates an identity held in the browser');
  await page.goto(`${site}/participate`);
  await page.getByLabel('Name').fill('Visitor From Afar');
  await page.getByLabel('Stakeholder group').selectOption('civil-society');
  await page.getByLabel('Region (optional)').fill('Pacific');
  await page.getByRole('button', { name: 'Create my identity in this browser' }).click();
  await status.filter({ hasText: /created|Refused/ }).waitFor();
  if (!(await status.textContent()).includes('created')) fail(await status.textContent());
  const key = await page.evaluate(() => document.body.dataset.key);
  const did = await page.locator('#pkey code').textContent();

  // Does `act`, which posts, and waits for the page to load again (or the refusal).
  async function loads(act) {
    const loaded = page.waitForEvent('load', { timeout: 60000 }).catch(() => {});
    const refused = page.locator('#pstatus.err').waitFor({ timeout: 60000 }).catch(() => {});
    await act();
    await Promise.race([loaded, refused]);
    if (await page.locator('#pstatus.err').count()) fail(await status.textContent());
    await page.waitForFunction(() => document.body.dataset.key);
  }

  // Selects `quote` inside the paragraph that holds it and opens the form on it.
  async function select(quote) {
    const pid = await selectPassage(page, quote);
    await page.locator('button.selb').click();
    if ((await page.locator('#rq').inputValue()) !== quote) fail('the selection did not fill the passage');
    return pid;
  }

  // Posts what the open form says and waits for the page to show it again.
  async function posts(button, where) {
    const before = posted.length;
    await loads(() => button.click());
    await page.waitForURL(/#c-[0-9a-f]{12}$/);
    if (posted.length === before) fail('nothing was posted');
    const short = page.url().split('#c-')[1];
    if (where) await page.locator(`#${where} #c-${short}`).waitFor();
    return short;
  }

  step('with the key, a comment on a selected passage');
  await page.goto(`${site}/drafts/${draft}`);
  await page.locator('button.rs').first().waitFor();
  if (await page.locator('.nokey').isVisible()) fail('the page asks for a key it has');
  const pid = await select(twelve);
  const panel = page.locator('#respond');
  await panel.getByLabel('Kind').selectOption('question');
  await panel.getByLabel('Your comment').fill('Which twelve? Posted from a browser on a passage.');
  await narrow('the draft page with the form open');
  const passage = await posts(panel.getByRole('button', { name: 'Post comment' }), pid);
  const mark = page.locator(`#${pid} mark[data-c~="${passage}"]`);
  if ((await mark.allTextContents()).join('') !== twelve) fail('the passage is not highlighted');
  await page.screenshot({ path: join(artifacts, 'browser-passage-comment.png') });

  step('a comment on a sentence the next version deletes');
  const gonePid = await select(workshops);
  await panel.getByLabel('Kind').selectOption('objection');
  await panel.getByLabel('Your comment').fill('Workshops had lasting effects where we work.');
  await posts(panel.getByRole('button', { name: 'Post comment' }), gonePid);

  step('an objection to the paragraph, from its respond button');
  await page.locator(`#${pid} button.rs`).click();
  await panel.getByLabel('Reason (needed to object)').fill('Twelve is not what was counted.');
  const stanceBefore = posted.length;
  await loads(() => panel.getByRole('button', { name: 'Object', exact: true }).click());
  await page.waitForURL(new RegExp(`#${pid}$`));
  if (posted.length !== stanceBefore + 1) fail(`the stance was not posted: ${await status.textContent()}`);

  step('a reply, from "Reply or act" under the comment');
  await page.goto(`${site}/drafts/${draft}#c-${passage}`);
  await page.locator(`#c-${passage}`).getByRole('link', { name: 'Reply or act' }).click();
  let actions = page.locator(`#c-${passage} + .acts`);
  await actions.waitFor();
  await actions.locator('form', { has: page.getByRole('button', { name: 'Post reply' }) })
    .getByLabel('Your comment').fill('And where were they counted?');
  const reply = await posts(actions.getByRole('button', { name: 'Post reply' }));
  await page.locator(`#c-${reply}`).waitFor();

  step("someone else's comment offers a reply, never an edit");
  await page.locator(`#c-${others}`).getByRole('link', { name: 'Reply or act' }).click();
  const theirs = page.locator(`#c-${others} + .acts`);
  await theirs.getByRole('button', { name: 'Post reply' }).waitFor();
  if (await theirs.getByRole('button', { name: 'Save' }).isVisible()) fail("an edit form on another's comment");
  if (await theirs.getByRole('button', { name: 'Retract' }).isVisible()) fail("a retract form on another's comment");

  step('the visitor edits their comment');
  await page.locator(`#c-${passage}`).getByRole('link', { name: 'Reply or act' }).click();
  actions = page.locator(`#c-${passage} + .acts`);
  const editForm = actions.locator('form[action$="/edit"]');
  await editForm.waitFor();
  await editForm.getByLabel('Your comment').fill('Which twelve contributions? Edited in the browser.');
  await posts(editForm.getByRole('button', { name: 'Save' }));
  await page.locator(`#c-${passage}`, { hasText: 'Edited in the browser' }).waitFor();

  step('and retracts the reply');
  await page.locator(`#c-${reply}`).getByRole('link', { name: 'Reply or act' }).click();
  const replyActions = page.locator(`#c-${reply} + .acts`);
  await posts(replyActions.getByRole('button', { name: 'Retract' }));
  await page.locator(`#c-${reply}.rt`).waitFor();
  await narrow('the draft page');

  if (errors.length) fail(errors.join('\n'));
  writeFileSync(out, JSON.stringify({ key, did, passage, reply, posted, other_posts: sent.others }));
  console.log('ok');
} finally {
  await browser.close();
}
