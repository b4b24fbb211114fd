// /participate, on a mirror's public site: the visitor makes their identity (a key made
// by WebCrypto and kept in this browser, with visitor.js), comments on or takes a stance
// about a paragraph, and saves or restores a backup of the key (backup.js, loaded only
// then). Every entry is built and signed here and posted as its bytes: the site only
// relays them.
(function () {
  'use strict';
  const M = window.MarginEntry;
  const V = window.MarginVisitor;
  const $ = (s) => document.querySelector(s);
  const status = $('#pstatus');
  const say = V.say;

  function show(me) {
    $('#pkey code').textContent = M.didKey(me.public);
    $('#pkey').hidden = false;
    $('#pcomment').hidden = false;
    $('#pbackup').hidden = false;
    $('#plink').hidden = false;
    $('#pid').hidden = true;
    $('#prestore').hidden = true;
    document.body.dataset.key = M.hex(me.public);
  }

  const profileOf = (data) => ({
    name: data.get('name').trim(),
    affiliation: data.get('affiliation').trim(),
    stakeholder: data.get('stakeholder'),
    region: data.get('region').trim(),
  });

  async function createIdentity(form) {
    const data = new FormData(form);
    const space = data.get('space');
    const key = await M.generate(true);
    const me = { privateKey: key.privateKey, public: key.public, lastTime: 0, spaces: [], profile: profileOf(data) };
    const made = await V.post(me, { kind: 'profile', body: me.profile }, await V.context(space));
    if (made.waiting) throw new Error(status.dataset.offline);
    me.spaces.push(space);
    await V.save(me);
    show(me);
    say(status.dataset.created);
  }

  async function respond(form, act, me) {
    const data = new FormData(form);
    const draftOption = form.querySelector('#pd').selectedOptions[0];
    const ctx = await V.context(draftOption.dataset.space, data.get('draft'), me);
    await V.inSpace(me, ctx);
    const n = Number(data.get('para'));
    const paragraph = ctx.draft.paragraphs.find((p) => p.n === n);
    if (!paragraph) throw new Error(`¶${n}?`);
    const about = Object.assign({}, ctx, { refs: ctx.refs.concat(ctx.draft.refs) });
    let made;
    if (act === 'stance') {
      const reason = data.get('reason').trim();
      made = await V.post(me, { kind: 'stance', body: {
        draft: ctx.draft.id, para: paragraph.id, heads: ctx.draft.heads,
        value: data.get('stance'), reason: reason || null } }, about);
    } else {
      const suggestion = data.get('suggestion').trim();
      made = await V.post(me, { kind: 'comment', body: {
        draft: ctx.draft.id, heads: ctx.draft.heads,
        anchor: { para: paragraph.id, start: null, end: null, quote: null },
        kind: data.get('kind'), text: data.get('body').trim(),
        suggestion: suggestion || null, parent: null } }, about);
    }
    await V.told(made);
  }

  // The backup glue and the age library it uses are loaded only now: the page stays
  // light for everyone else.
  const backupModule = () => import($('#pbackup').dataset.src);

  async function saveBackup(form, me) {
    const data = new FormData(form);
    if (data.get('passphrase') !== data.get('again')) throw new Error(status.dataset.differ);
    say(status.dataset.working);
    const { backup } = await backupModule();
    const file = await backup(me, data.get('passphrase'));
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([file.text], { type: 'text/plain' }));
    link.download = file.name;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 60000);
    form.reset();
    say(status.dataset.saved);
  }

  async function restoreBackup(form) {
    const data = new FormData(form);
    say(status.dataset.working);
    const { restore } = await backupModule();
    const me = await restore(new Uint8Array(await data.get('file').arrayBuffer()), data.get('passphrase'));
    await V.save(me);
    form.reset();
    show(me);
    say(status.dataset.restored);
    return me;
  }

  // A one-time code, good for a day, that links this browser's key to the visitor's
  // identity on a node (`margin device add CODE`).
  async function showLinkCode(form, me) {
    const code = await M.linkCode(me, Date.now() + 24 * 60 * 60 * 1000);
    const out = form.querySelector('output code');
    out.textContent = code;
    form.querySelector('output').hidden = false;
    say(status.dataset.linkcode);
  }

  // Runs what a form asks, saying that it signs, and why it failed.
  function on(form, act) {
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      say(status.dataset.signing);
      try { await act(e); } catch (err) { say(`${status.dataset.refused} ${err.message}`, true); }
    });
  }

  async function start() {
    let me = null;
    try { me = await V.load(); } catch (e) { say(e.message, true); }
    if (me) show(me);
    on($('#pid'), async (e) => { await createIdentity(e.target); me = await V.load(); });
    on($('#pcomment'), (e) => respond(e.target, e.submitter ? e.submitter.value : 'comment', me));
    on($('#pbackup'), (e) => saveBackup(e.target, me));
    on($('#plink'), (e) => showLinkCode(e.target, me));
    on($('#prestore'), async (e) => { me = await restoreBackup(e.target); });
  }
  start();
})();
