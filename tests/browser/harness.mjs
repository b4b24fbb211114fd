// What every browser script of Margin's tests needs: its settings from the environment
// (set by the Rust test that runs it), Debian's chromium, and how it reports.

import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';

// A variable the Rust test must have set.
export const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

// Where the script leaves its screenshots (made if missing).
export const artifactsDir = () => {
  const dir = env('MARGIN_ARTIFACTS');
  mkdirSync(dir, { recursive: true });
  return dir;
};

export const step = (what) => console.log(`- ${what}`);
export const fail = (what) => { throw new Error(what); };

// Debian's chromium (or MARGIN_CHROMIUM), headless, without any of its own traffic.
export const launch = () => chromium.launch({
  executablePath: process.env.MARGIN_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

// Selects `quote` in the draft paragraph of `page` that holds it, as a reader does with
// the mouse; returns the paragraph's element id.
export async function selectPassage(page, quote) {
  const paragraph = page.locator('article.p', { has: page.locator('.t', { hasText: quote }) });
  const pid = await paragraph.getAttribute('id');
  await page.evaluate(({ pid, quote }) => {
    const el = document.querySelector(`#${pid} .t`);
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const at = node.data.indexOf(quote);
      if (at >= 0) {
        const range = document.createRange();
        range.setStart(node, at);
        range.setEnd(node, at + quote.length);
        const selection = getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        return;
      }
    }
    throw new Error('the quote is not in one text node');
  }, { pid, quote });
  return pid;
}

// What `page` sends other than GET: the bytes of each entry posted to /api/entries (hex),
// and how many other requests it made.
export function recordPosts(page) {
  const record = { posted: [], others: 0 };
  page.on('request', (r) => {
    if (r.method() === 'GET') return;
    if (r.url().endsWith('/api/entries') && r.method() === 'POST') record.posted.push(Buffer.from(r.postDataBuffer()).toString('hex'));
    else record.others++;
  });
  return record;
}
