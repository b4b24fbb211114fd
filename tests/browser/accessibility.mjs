// Margin's pages for everyone (WCAG 2.2, levels A and AA). Every page the Rust test lists
// is opened in English and in Arabic (left to right, right to left) and checked with
// axe-core: a serious or critical violation fails the test, with the rule, its impact
// and the elements at fault. Then, with the keyboard alone (no mouse, no script setting
// a selection): highlighted passages are reached with Tab and lead to their comments
// with Enter or Space, and a comment is anchored to words chosen in a paragraph's text
// and posted; and the mouse still selects words from inside a highlighted passage. Run
// by tests/it/accessibility.rs, which starts the nodes and passes what to open in the
// environment.

import { createRequire } from 'node:module';
import { join } from 'node:path';

import { artifactsDir, env, fail, launch, step } from './harness.mjs';

// { name: { url, token? } }: who opens the pages (a token logs the browser in).
const sites = JSON.parse(env('MARGIN_SITES'));
// [{ kind, site, path }]
const pages = JSON.parse(env('MARGIN_PAGES'));
const node = env('MARGIN_NODE');
const token = env('MARGIN_TOKEN');
const draft = env('MARGIN_DRAFT');
const pid = env('MARGIN_PARA');
const chosen = env('MARGIN_WORDS');
const artifacts = artifactsDir();

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
// WCAG 2.0, 2.1 and 2.2, levels A and AA.
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'];
const FAILING = ['serious', 'critical'];
const LANGUAGES = [{ code: 'en', dir: 'ltr' }, { code: 'ar', dir: 'rtl' }];

const browser = await launch();
const problems = [];
const errors = [];

// A browser for `site` in language `lang`: the language chosen as the switch chooses it
// (its cookie), logged in when the site has a token. The pages' Content-Security-Policy
// lets no other script run: bypassed here, for axe-core only.
async function browse(site, lang) {
  const { url, token } = sites[site];
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
  await context.addCookies([{ name: 'margin_lang', value: lang, url }]);
  if (token) {
    const login = await context.newPage();
    await login.goto(`${url}/login?token=${token}`);
    await login.close();
  }
  return context;
}

async function open(context, url, where) {
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(`script error on ${where}: ${e.message}`));
  await page.goto(url, { waitUntil: 'load' });
  return page;
}

// axe-core on the page as it is now; the violations are printed, and the serious and
// critical ones kept.
async function audit(page, where) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) {
    await page.addScriptTag({ path: axePath });
  }
  const result = await page.evaluate((tags) => window.axe.run(document, {
    runOnly: { type: 'tag', values: tags },
    resultTypes: ['violations', 'incomplete'],
  }), TAGS);
  console.log(`  ${where}: ${result.passes.length} rules passed, ${result.violations.length} violated, ${result.incomplete.length} left to check by eye`);
  for (const v of result.incomplete) {
    console.log(`    to check by eye: ${v.id} (${v.impact}): ${v.nodes.slice(0, 4).map((n) => n.target.join(' ')).join(', ')}${v.nodes.length > 4 ? ` … ${v.nodes.length} in all` : ''}`);
  }
  for (const v of result.violations) {
    const failing = FAILING.includes(v.impact);
    const lines = [`${failing ? 'FAIL' : 'note'} ${where}: ${v.id} (${v.impact}): ${v.help}`];
    for (const n of v.nodes.slice(0, 8)) {
      lines.push(`    ${n.target.join(' ')}  ${(n.failureSummary || '').split('\n').slice(1, 2).join('').trim()}`);
    }
    if (v.nodes.length > 8) lines.push(`    … and ${v.nodes.length - 8} more`);
    console.log(lines.join('\n'));
    if (failing) problems.push(`${where}: ${v.id} (${v.impact}) on ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  }
}

try {
  for (const lang of LANGUAGES) {
    const contexts = {};
    for (const p of pages) {
      const where = `${p.kind} [${lang.code}] ${p.path}`;
      contexts[p.site] ??= await browse(p.site, lang.code);
      const page = await open(contexts[p.site], sites[p.site].url + p.path, where);
      const html = await page.evaluate(() => ({ lang: document.documentElement.lang, dir: document.documentElement.dir }));
      if (html.lang !== lang.code || html.dir !== lang.dir) {
        problems.push(`${where}: the page is <html lang="${html.lang}" dir="${html.dir}">`);
      }
      await audit(page, where);
      await page.close();
    }
    for (const context of Object.values(contexts)) await context.close();
  }

  // ---- the keyboard alone -------------------------------------------------------
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
  await context.addCookies([{ name: 'margin_lang', value: 'en', url: node }]);
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(`script error on the keyboard's page: ${e.message}`));
  await page.goto(`${node}/login?token=${token}`);
  await page.goto(`${node}/drafts/${draft}`);
  try {
    const focused = () => page.evaluate(() => {
      const e = document.activeElement;
      const style = getComputedStyle(e);
      return {
        tag: e.tagName.toLowerCase(), id: e.id, c: e.dataset.c || '', text: e.textContent,
        outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
      };
    });
    // Presses Tab (or Shift+Tab) until the element in focus matches `selector`.
    const tabTo = async (selector, { back = false, limit = 800 } = {}) => {
      for (let i = 0; i < limit; i++) {
        await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
        if (await page.evaluate((s) => document.activeElement.matches(s), selector)) return focused();
      }
      return fail(`${back ? 'Shift+Tab' : 'Tab'} never reached ${selector}`);
    };

    step('keyboard: Tab reaches a highlighted passage, with visible focus; Enter shows its comment');
    const first = await tabTo('mark[data-c]');
    if (!first.outline) fail('a highlighted passage in focus shows no outline');
    await page.screenshot({ path: join(artifacts, 'keyboard-passage-in-focus.png') });
    await page.keyboard.press('Enter');
    const one = first.c.split(' ')[0];
    if ((await focused()).id !== `c-${one}`) fail(`Enter on a passage did not lead to comment ${one}`);
    await page.keyboard.press('Escape');
    const back = await focused();
    if (back.tag !== 'mark' || back.c !== first.c) fail('Escape on the comment did not come back to its passage');

    step('keyboard: Space on another highlighted passage shows its comment');
    const other = await tabTo(`mark[data-c]:not([data-c~="${one}"])`);
    await page.keyboard.press(' ');
    const two = other.c.split(' ')[0];
    if ((await focused()).id !== `c-${two}`) fail(`Space on a passage did not lead to comment ${two}`);

    step('keyboard: respond to a paragraph, choose words of its text, post');
    await page.goto(`${node}/drafts/${draft}`);
    await tabTo(`#p-${pid} .meta button.rs`);
    await page.keyboard.press('Enter');
    if ((await page.locator(`#p-${pid} + #respond`).count()) !== 1) fail('the form did not open under the paragraph');
    if ((await focused()).id !== 'rb') fail('the form did not take the focus');
    const pick = await tabTo('#rpick', { back: true, limit: 4 });
    await page.keyboard.press('Enter');
    const box = await focused();
    if (box.id !== 'rwt') fail(`choosing words put the focus on ${box.tag}#${box.id}`);
    const text = await page.locator('#rwt').inputValue();
    if (text !== (await page.locator(`#p-${pid} .t`).textContent())) fail('the words to choose from are not the paragraph\'s');
    await audit(page, `the form with the words to choose from [en] (${pick.text.trim()})`);
    await page.keyboard.type('x');
    await page.keyboard.press('Delete');
    if ((await page.locator('#rwt').inputValue()) !== text) fail('the words to choose from can be changed');
    // Word by word: past the words before those chosen, then selecting them.
    const words = text.split(/\s+/);
    const want = chosen.split(' ');
    const skip = words.findIndex((_, i) => words.slice(i, i + want.length).join(' ') === chosen);
    if (skip < 0) fail(`"${chosen}" is not in the paragraph`);
    for (let i = 0; i < skip; i++) await page.keyboard.press('Control+ArrowRight');
    for (let i = 0; i < want.length; i++) await page.keyboard.press('Control+Shift+ArrowRight');
    await page.screenshot({ path: join(artifacts, 'keyboard-words-chosen.png') });
    await page.keyboard.press('Enter');
    if ((await page.locator('#rq').inputValue()) !== chosen) {
      fail(`the passage is "${await page.locator('#rq').inputValue()}", not "${chosen}"`);
    }
    if ((await focused()).id !== 'rq') fail('taking the words did not lead back to the passage');
    const body = 'Which smaller economies? The annex could name them.';
    await tabTo('#rb', { limit: 4 });
    await page.keyboard.type(body);
    await tabTo('#rf > button:not([type])', { limit: 3 });
    await page.keyboard.press('Enter');
    await page.waitForURL(/#c-[0-9a-f]{12}$/);
    const short = page.url().split('#c-')[1];
    const mark = page.locator(`#p-${pid} mark[data-c~="${short}"]`);
    if ((await mark.allTextContents()).join('') !== chosen) fail('the posted comment does not highlight the words chosen');
    if (!(await page.locator(`#c-${short}`).textContent()).includes(body)) fail('the comment is not beside its paragraph');

    step('the mouse: words selected from inside a highlighted passage');
    await page.goto(`${node}/drafts/${draft}`);
    const highlighted = page.locator('#doc mark[data-c]').first();
    await highlighted.scrollIntoViewIfNeeded();
    const line = await highlighted.evaluate((m) => {
      const r = m.getClientRects()[0];
      return { left: r.left, right: r.right, y: (r.top + r.bottom) / 2 };
    });
    await page.mouse.move(line.left + 2, line.y);
    await page.mouse.down();
    await page.mouse.move(line.right - 2, line.y, { steps: 8 });
    await page.mouse.up();
    const selected = (await page.evaluate(() => getSelection().toString())).trim();
    if (!selected || !(await highlighted.textContent()).includes(selected)) {
      fail(`a press on a highlighted passage does not start a selection there ("${selected}")`);
    }
    await page.locator('button.selb').click();
    if ((await page.locator('#rq').inputValue()) !== selected) fail(`the mouse's selection "${selected}" did not fill the passage`);

    step('keyboard: the form with the words to choose from, right to left');
    await context.addCookies([{ name: 'margin_lang', value: 'ar', url: node }]);
    await page.goto(`${node}/drafts/${draft}`);
    await tabTo(`#p-${pid} .meta button.rs`);
    await page.keyboard.press('Enter');
    await tabTo('#rpick', { back: true, limit: 4 });
    await page.keyboard.press('Enter');
    if ((await focused()).id !== 'rwt') fail('choosing words on the Arabic page did not open them');
    await audit(page, 'the form with the words to choose from [ar]');
    // Nothing selected: Enter takes the word at the caret, and the field opened again
    // shows it selected.
    const firstWord = (await page.locator('#rwt').inputValue()).split(/\s+/)[0];
    await page.keyboard.press('Enter');
    if ((await page.locator('#rq').inputValue()) !== firstWord) fail('Enter without a selection did not take the word at the caret');
    await tabTo('#rpick', { limit: 1 });
    await page.keyboard.press('Enter');
    const again = await page.locator('#rwt').evaluate((t) => t.value.slice(t.selectionStart, t.selectionEnd));
    if (again !== firstWord) fail(`the words opened again show "${again}" selected, not "${firstWord}"`);
    await page.keyboard.press('Escape');
    if ((await focused()).id !== 'rpick') fail('Escape did not close the words to choose from');
  } catch (e) {
    problems.push(`in the browser: ${e.message}`);
    await page.screenshot({ path: join(artifacts, 'keyboard-failure.png'), fullPage: true }).catch(() => {});
  }
  await context.close();
} finally {
  await browser.close();
}
problems.push(...errors);
if (problems.length) {
  console.log(`\n${problems.length} problems:\n${problems.join('\n')}`);
  process.exit(1);
}
console.log('ok');
