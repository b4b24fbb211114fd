// Taking part from a mirror's public site: the key is made by WebCrypto and kept in this
// browser's IndexedDB; profiles, comments and stances are built and signed here with
// entry.js and posted as their bytes. The site only relays them. Without a connection,
// a signed entry waits in the browser (the outbox) and is sent when it returns.
(function () {
  'use strict';
  const M = window.MarginEntry;
  const $ = (s) => document.querySelector(s);
  const status = $('#pstatus');
  const say = (text, failed) => {
    status.textContent = text;
    status.classList.toggle('err', !!failed);
  };

  // ---- the key, in IndexedDB --------------------------------------------------------
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
  async function load() {
    const s = await store('readonly');
    return new Promise((resolve, reject) => {
      const get = s.get('me');
      get.onsuccess = () => resolve(get.result || null);
      get.onerror = () => reject(get.error);
    });
  }
  async function save(me) {
    const s = await store('readwrite');
    return new Promise((resolve, reject) => {
      const put = s.put(me, 'me');
      put.onsuccess = () => resolve();
      put.onerror = () => reject(put.error);
    });
  }

  // ---- posting ----------------------------------------------------------------------
  async function context(space, draft, me) {
    const params = new URLSearchParams();
    if (draft) params.set('draft', draft);
    if (me) params.set('key', M.hex(me.public));
    const query = params.toString() ? `?${params}` : '';
    const r = await fetch(`/api/spaces/${space}/context${query}`);
    if (!r.ok) throw new Error((await r.json().catch(() => ({}))).error || r.statusText);
    return r.json();
  }

  // Sends an entry's bytes; a refusal is an Error with the node's reason, a missing
  // connection a TypeError (what fetch throws).
  async function send(bytes) {
    const r = await fetch('/api/entries', {
      method: 'POST',
      headers: { 'Content-Type': 'application/octet-stream' },
      body: bytes,
    });
    const answer = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(answer.error || r.statusText);
    return answer.entry;
  }

  // Signs `fields` (time and refs filled in) and posts the entry; returns its id, and
  // whether it waits in the outbox for the connection to return.
  async function post(me, fields, ctx) {
    // Later than anything this key signed, as nodes expect of one author.
    const time = Math.max(Date.now(), (me.lastTime || 0) + 1);
    const built = await M.build(Object.assign({ time, refs: ctx.refs, space: ctx.space }, fields), me);
    me.lastTime = time;
    try {
      return { id: (await send(built.bytes)) || built.id, waiting: false };
    } catch (e) {
      if (!(e instanceof TypeError)) throw e;
      await request((await store('readwrite', 'outbox')).add({ bytes: built.bytes, id: built.id }));
      return { id: built.id, waiting: true };
    }
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
        say(`${status.dataset.refused} ${e.message}`, true);
      }
      await request((await store('readwrite', 'outbox')).delete(keys[i]));
      sent++;
    }
    const left = await request((await store('readonly', 'outbox')).count());
    status.dataset.waiting = String(left);
    if (sent && !left) say(status.dataset.sent);
    return left;
  }

  function show(me) {
    $('#pkey code').textContent = M.didKey(me.public);
    $('#pkey').hidden = false;
    $('#pcomment').hidden = false;
    $('#pid').hidden = true;
    document.body.dataset.key = M.hex(me.public);
  }

  async function createIdentity(form) {
    const data = new FormData(form);
    const space = data.get('space');
    const key = await M.generate(true);
    const me = { privateKey: key.privateKey, public: key.public, lastTime: 0, spaces: [] };
    const ctx = await context(space);
    const made = await post(me, {
      kind: 'profile',
      body: {
        name: data.get('name').trim(),
        affiliation: data.get('affiliation').trim(),
        stakeholder: data.get('stakeholder'),
        region: data.get('region').trim(),
      },
    }, ctx);
    if (made.waiting) throw new Error(status.dataset.offline);
    me.spaces.push(space);
    me.profile = { name: data.get('name').trim(), affiliation: data.get('affiliation').trim(),
      stakeholder: data.get('stakeholder'), region: data.get('region').trim() };
    await save(me);
    show(me);
    say(status.dataset.created);
  }

  async function respond(form, act, me) {
    const data = new FormData(form);
    const draftOption = form.querySelector('#pd').selectedOptions[0];
    const space = draftOption.dataset.space;
    const ctx = await context(space, data.get('draft'), me);
    if (!me.spaces.includes(space)) {
      // A profile in this space first: it is what names the author here.
      await post(me, { kind: 'profile', body: me.profile }, ctx);
      me.spaces.push(space);
    }
    const n = Number(data.get('para'));
    const paragraph = ctx.draft.paragraphs.find((p) => p.n === n);
    if (!paragraph) throw new Error(`¶${n}?`);
    const about = Object.assign({}, ctx, { refs: ctx.refs.concat(ctx.draft.refs) });
    let made;
    if (act === 'stance') {
      const reason = data.get('reason').trim();
      made = await post(me, { kind: 'stance', body: {
        draft: ctx.draft.id, para: paragraph.id, heads: ctx.draft.heads,
        value: data.get('stance'), reason: reason || null } }, about);
    } else {
      const suggestion = data.get('suggestion').trim();
      made = await post(me, { kind: 'comment', body: {
        draft: ctx.draft.id, heads: ctx.draft.heads,
        anchor: { para: paragraph.id, start: null, end: null, quote: null },
        kind: data.get('kind'), text: data.get('body').trim(),
        suggestion: suggestion || null, parent: null } }, about);
    }
    await save(me);
    status.dataset.entry = made.id;
    if (made.waiting) {
      status.dataset.waiting = String(await request((await store('readonly', 'outbox')).count()));
      say(status.dataset.waitingText);
    } else {
      say(`${status.dataset.posted} ${made.id.slice(0, 12)}`);
    }
  }

  async function start() {
    let me = null;
    try { me = await load(); } catch (e) { say(e.message, true); }
    if (me) show(me);
    const retry = () => flush().catch((e) => say(e.message, true));
    window.addEventListener('online', retry);
    if (navigator.onLine) retry();
    $('#pid').addEventListener('submit', async (e) => {
      e.preventDefault();
      say(status.dataset.signing);
      try { await createIdentity(e.target); me = await load(); } catch (err) { say(`${status.dataset.refused} ${err.message}`, true); }
    });
    $('#pcomment').addEventListener('submit', async (e) => {
      e.preventDefault();
      say(status.dataset.signing);
      try { await respond(e.target, e.submitter ? e.submitter.value : 'comment', me); } catch (err) { say(`${status.dataset.refused} ${err.message}`, true); }
    });
  }
  start();
})();
