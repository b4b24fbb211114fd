// The visitor's key on a mirror's public site that takes part: made by WebCrypto, kept in
// this browser's IndexedDB (never sent anywhere), and what it signs posted as bytes to
// /api/entries. Without a connection, a signed entry waits in the browser (the outbox)
// and is sent when the connection returns. Used by participate.js (the identity) and
// respond.js (the forms of a draft's pages); entries are built by entry.js.
//
// MarginVisitor.load() → the visitor ({privateKey, public, lastTime, spaces, profile})
// or null; .save(me); .context(space, draft, me); .post(me, fields, ctx) → {id, waiting};
// .inSpace(me, ctx) posts the profile in a space first; .flush(); .say(text, failed).
(function () {
  'use strict';
  const M = window.MarginEntry;

  // ---- IndexedDB: the identity, and the outbox -------------------------------------
  function store(mode, name = 'identity') {
    return new Promise((resolve, reject) => {
      const open = indexedDB.open('margin', 2);
      open.onupgradeneeded = () => {
        const db = open.result;
        if (!db.objectStoreNames.contains('identity')) db.createObjectStore('identity');
        if (!db.objectStoreNames.contains('outbox')) db.createObjectStore('outbox', { autoIncrement: true });
      };
      open.onerror = () => reject(open.error);
      open.onsuccess = () => resolve(open.result.transaction(name, mode).objectStore(name));
    });
  }
  const request = (r) => new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  const load = async () => (await request((await store('readonly')).get('me'))) || null;
  const save = async (me) => request((await store('readwrite')).put(me, 'me'));
  const waiting = async () => request((await store('readonly', 'outbox')).count());

  // ---- what the page says ------------------------------------------------------------
  const status = () => document.getElementById('pstatus');
  function say(text, failed) {
    const s = status();
    if (!s) return;
    s.textContent = text;
    s.classList.toggle('err', !!failed);
  }
  const words = (name) => (status() ? status().dataset[name] : '') || '';

  // ---- the site ----------------------------------------------------------------------
  async function answer(r) {
    const body = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(body.error || r.statusText);
    return body;
  }

  // What an entry refers to in `space` (the charter's heads, the key's registration),
  // and with `draft` its current version.
  async function context(space, draft, me) {
    const params = new URLSearchParams();
    if (draft) params.set('draft', draft);
    if (me) params.set('key', M.hex(me.public));
    const query = params.toString() ? `?${params}` : '';
    return answer(await fetch(`/api/spaces/${space}/context${query}`));
  }

  // Sends an entry's bytes; a refusal is an Error with the node's reason, a missing
  // connection a TypeError (what fetch throws).
  async function send(bytes) {
    const r = await fetch('/api/entries', {
      method: 'POST',
      headers: { 'Content-Type': 'application/octet-stream' },
      body: bytes,
    });
    return (await answer(r)).entry;
  }

  // Signs `fields` (time, refs and space filled in from `ctx`) and posts the entry;
  // returns its id, and whether it waits in the outbox for the connection to return.
  async function post(me, fields, ctx) {
    // Later than anything this key signed, as nodes expect of one author.
    const time = Math.max(Date.now(), (me.lastTime || 0) + 1);
    const built = await M.build(Object.assign({ time, refs: ctx.refs, space: ctx.space }, fields), me);
    me.lastTime = time;
    await save(me);
    try {
      return { id: (await send(built.bytes)) || built.id, waiting: false };
    } catch (e) {
      if (!(e instanceof TypeError)) throw e;
      await request((await store('readwrite', 'outbox')).add({ bytes: built.bytes, id: built.id }));
      return { id: built.id, waiting: true };
    }
  }

  // The visitor's profile in the space of `ctx`, first: it is what names them there.
  async function inSpace(me, ctx) {
    if (me.spaces.includes(ctx.space)) return;
    await post(me, { kind: 'profile', body: me.profile }, ctx);
    me.spaces.push(ctx.space);
    await save(me);
  }

  // Sends what waits in the outbox, oldest first, until the connection fails again.
  async function flush() {
    const box = await store('readonly', 'outbox');
    const keys = await request(box.getAllKeys());
    const items = await request(box.getAll());
    let sent = 0;
    for (let i = 0; i < keys.length; i++) {
      try {
        await send(items[i].bytes);
      } catch (e) {
        if (e instanceof TypeError) break;
        say(`${words('refused')} ${e.message}`, true);
      }
      await request((await store('readwrite', 'outbox')).delete(keys[i]));
      sent++;
    }
    const left = await waiting();
    if (status()) status().dataset.waiting = String(left);
    if (sent && !left) say(words('sent'));
    return left;
  }

  // What a post became, said on the page: posted, or waiting for the connection.
  async function told(made) {
    const s = status();
    if (s) s.dataset.entry = made.id;
    if (made.waiting) {
      if (s) s.dataset.waiting = String(await waiting());
      say(words('waitingText'));
    } else {
      say(`${words('posted')} ${made.id.slice(0, 12)}`);
    }
  }

  const retry = () => flush().catch((e) => say(e.message, true));
  window.addEventListener('online', retry);
  if (navigator.onLine) retry();
  window.MarginVisitor = { load, save, context, post, inSpace, flush, told, say, words, answer };
})();
