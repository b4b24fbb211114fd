// The forms of a draft's pages on a mirror's public site that takes part, signed in the
// browser: a comment on a passage or a paragraph, a reply, a stance, an edit or a
// retraction of one's own comment, with the fields of the node's own interface. Shown
// only when this browser holds a key (made on /participate); without one, the pages
// read as before. The site makes a passage's anchor (GET /api/drafts/ID/anchor: the
// Automerge cursors, as for its own comments); this page checks that it is on the
// paragraph and the very words the visitor selected before signing it, and posts the
// entry with visitor.js.
(function () {
  'use strict';
  const M = window.MarginEntry;
  const V = window.MarginVisitor;
  let me = null;
  let mine = null;

  // What a browser with a key may use (`.kb`): everything, except the forms for a
  // comment's author (`data-author`) on others' comments.
  function reveal(root) {
    if (root.nodeType !== 1) return;
    const found = Array.from(root.querySelectorAll('.kb'));
    if (root.matches('.kb')) found.push(root);
    for (const el of found) {
      if (el.id === 'respond') continue; // margin.js shows it, on 'margin:key'
      el.hidden = !!el.dataset.author && el.dataset.author !== mine;
    }
  }

  const field = (data, name) => (data.get(name) || '').toString();
  const trimmed = (data, name) => field(data, name).trim();

  // The anchor the site made, checked: the draft, the paragraph and the words asked.
  async function anchorFor(draft, params) {
    const made = await V.answer(await fetch(`/api/drafts/${draft}/anchor?${params}`));
    const para = params.get('para');
    const quote = params.get('quote');
    const anchor = made.anchor;
    const faithful = made.draft.startsWith(draft)
      && (para ? anchor && anchor.para === para : anchor === null)
      && (quote ? anchor.quote && anchor.quote.exact === quote : !anchor || anchor.quote === null);
    if (!faithful) throw new Error(V.words('moved'));
    return made;
  }

  // What an entry about a draft refers to: the space's refs, the draft's, and `more`.
  async function about(made, more) {
    const ctx = await V.context(made.space, null, me);
    await V.inSpace(me, ctx);
    return Object.assign({}, ctx, { refs: ctx.refs.concat(made.refs, more) });
  }

  async function comment(draft, data) {
    const reply = trimmed(data, 'reply');
    const params = new URLSearchParams();
    const para = reply ? '' : trimmed(data, 'para');
    // A passage is kept exactly as selected: only an all-blank one means none.
    const quote = field(data, 'quote');
    if (para) params.set('para', para);
    if (para && quote.trim()) params.set('quote', quote);
    if (para && quote.trim() && trimmed(data, 'start')) params.set('start', trimmed(data, 'start'));
    if (trimmed(data, 'v')) params.set('v', trimmed(data, 'v'));
    const made = await anchorFor(draft, params);
    const ctx = await about(made, reply ? [reply] : []);
    const posted = await V.post(me, { kind: 'comment', body: {
      draft: made.draft, heads: made.heads, anchor: made.anchor,
      kind: trimmed(data, 'kind') || 'comment', text: trimmed(data, 'body'),
      suggestion: trimmed(data, 'suggestion') || null, parent: reply || null } }, ctx);
    return { posted, shows: `c-${posted.id.slice(0, 12)}` };
  }

  async function stance(draft, data, form) {
    const para = trimmed(data, 'para');
    const value = trimmed(data, 'value');
    const reason = trimmed(data, 'reason');
    const reasonLabel = form.querySelector('input[name=reason]');
    if (!para || (value === 'object' && !reason)) {
      if (reasonLabel) reasonLabel.focus();
      throw new Error(reasonLabel && reasonLabel.labels[0] ? reasonLabel.labels[0].textContent : value);
    }
    const params = new URLSearchParams({ para });
    const made = await anchorFor(draft, params);
    const ctx = await about(made, []);
    const posted = await V.post(me, { kind: 'stance', body: {
      draft: made.draft, para: made.anchor.para, heads: made.heads, value,
      reason: reason || null } }, ctx);
    return { posted, shows: `p-${made.anchor.para}` };
  }

  async function spaceContext() {
    const ctx = await V.context(document.body.dataset.space, null, me);
    await V.inSpace(me, ctx);
    return ctx;
  }

  async function edit(comment, data, form) {
    // As on the node's own pages: a blank wording keeps the one the comment had.
    const before = form.querySelector('[name=suggestion]');
    const suggestion = trimmed(data, 'suggestion') || (before ? before.defaultValue.trim() : '') || null;
    const ctx = await spaceContext();
    const posted = await V.post(me, { kind: 'comment_edit', body: {
      comment, text: trimmed(data, 'body'), suggestion } },
      Object.assign({}, ctx, { refs: ctx.refs.concat([comment]) }));
    return { posted, shows: `c-${comment.slice(0, 12)}` };
  }

  async function retract(comment, data) {
    const ctx = await spaceContext();
    // An erasure names no comment among its refs: a node that only ever gets the
    // comment's stub must be able to take it.
    const erase = data.has('erase');
    const posted = await V.post(me, { kind: erase ? 'erasure' : 'retraction', body: { comment } },
      Object.assign({}, ctx, { refs: erase ? ctx.refs : ctx.refs.concat([comment]) }));
    return { posted, shows: `c-${comment.slice(0, 12)}` };
  }

  const ROUTES = [
    [/^\/api\/drafts\/([0-9a-f]+)\/comments$/, comment],
    [/^\/api\/drafts\/([0-9a-f]+)\/stances$/, stance],
    [/^\/api\/comments\/([0-9a-f]{64})\/edit$/, edit],
    [/^\/api\/comments\/([0-9a-f]{64})\/retract$/, retract],
  ];

  // After a post, the page again, at what was posted (`shows`: the element's id), as the
  // node's own forms do.
  function goTo(back, shows) {
    const url = new URL(back || location.pathname + location.search, location.href);
    if (url.origin !== location.origin) return;
    url.hash = shows;
    const same = url.pathname === location.pathname && url.search === location.search;
    location.assign(url.href);
    if (same) location.reload();
  }

  document.addEventListener('submit', async (e) => {
    if (!me) return;
    const form = e.target;
    const target = e.submitter && e.submitter.hasAttribute('formaction') ? e.submitter.formAction : form.action;
    const path = new URL(target, location.href).pathname;
    const route = ROUTES.find(([pattern]) => pattern.test(path));
    if (!route) return;
    e.preventDefault();
    const data = new FormData(form);
    if (e.submitter && e.submitter.name) data.set(e.submitter.name, e.submitter.value);
    V.say(V.words('signing'));
    try {
      const { posted, shows } = await route[1](path.match(route[0])[1], data, form);
      await V.told(posted);
      if (!posted.waiting) goTo(field(data, 'return'), shows);
    } catch (err) {
      V.say(`${V.words('refused')} ${err.message}`, true);
    }
  });

  async function start() {
    try { me = await V.load(); } catch (e) { me = null; }
    if (!me) {
      document.querySelectorAll('.nokey').forEach((el) => { el.hidden = false; });
      return;
    }
    mine = M.didKey(me.public);
    document.body.dataset.key = M.hex(me.public);
    reveal(document.body);
    new MutationObserver((changes) => {
      for (const change of changes) change.addedNodes.forEach(reveal);
    }).observe(document.body, { childList: true, subtree: true });
    document.dispatchEvent(new Event('margin:key'));
  }
  start();
})();
