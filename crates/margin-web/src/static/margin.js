// Margin: the little script the pages use. Everything works without it; it adds
// selecting a passage to comment on (with the mouse, or with the keyboard among the
// paragraph's words), the response form under the paragraph being answered, highlighted
// passages that lead to their comments, loading threads and comment actions in place,
// and live updates from the node (server-sent events). Offsets are counted in code
// points, as the node counts them.
(function () {
  'use strict';
  var body = document.body;
  var draft = body.dataset.draft;
  var space = body.dataset.space;
  // The response panel; on a mirror's public site it waits, hidden, until the page finds
  // a key in the browser (respond.js says so with the event 'margin:key').
  var found = document.getElementById('respond');
  var panel = null;
  var home = null;
  var homeNext = null;
  var expanded = {};

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $$(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  function cps(s) { return Array.from(s); }

  // What the node sent for each part of the page that live updates may replace, before
  // this script changed anything in it.
  var snapshot = new WeakMap();
  function remember(el) { snapshot.set(el, el.outerHTML); }
  function liveParts(root) {
    return $$('#doc > [id]:not(#respond), #whole, #orphans, #elsewhere, main > .th, main > .sub, main > h1, main > ul', root);
  }
  liveParts(document).forEach(remember);

  // ---- selecting a passage ------------------------------------------------------
  function textOf(node) {
    var el = node.nodeType === 1 ? node : node.parentElement;
    return el ? el.closest('#doc article.p .t') : null;
  }
  function offsetIn(el, node, off) {
    var r = document.createRange();
    r.selectNodeContents(el);
    r.setEnd(node, off);
    return cps(r.toString()).length;
  }
  function selection() {
    var sel = window.getSelection();
    if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return null;
    var r = sel.getRangeAt(0);
    var el = textOf(r.startContainer);
    if (!el || el !== textOf(r.endContainer)) return null;
    var chars = cps(el.textContent);
    var s = offsetIn(el, r.startContainer, r.startOffset);
    var e = offsetIn(el, r.endContainer, r.endOffset);
    while (s < e && /\s/.test(chars[s])) s++;
    while (e > s && /\s/.test(chars[e - 1])) e--;
    if (s >= e) return null;
    return { el: el, article: el.closest('article.p'), start: s, quote: chars.slice(s, e).join(''), rect: r.getBoundingClientRect() };
  }
  var selButton = null;
  function hideSelButton() { if (selButton) selButton.hidden = true; }
  function showSelButton(info) {
    if (!selButton) {
      selButton = document.createElement('button');
      selButton.type = 'button';
      selButton.className = 'selb';
      selButton.textContent = panel.dataset.sel;
      selButton.addEventListener('mousedown', function (ev) { ev.preventDefault(); });
      selButton.addEventListener('click', function () {
        var info = selButton.info;
        hideSelButton();
        if (info) openPanel(info.article, info);
      });
    }
    selButton.info = info;
    var box = info.article.getBoundingClientRect();
    var part = info.el.closest('article.p > *');
    info.article.insertBefore(selButton, part.nextSibling);
    selButton.style.top = Math.max(0, info.rect.bottom - box.top + 4) + 'px';
    selButton.style.insetInlineStart = '3rem';
    selButton.hidden = false;
  }
  var selTimer = null;
  document.addEventListener('selectionchange', function () {
    if (!panel) return;
    clearTimeout(selTimer);
    selTimer = setTimeout(function () {
      var info = selection();
      if (info) showSelButton(info); else if (selButton && document.activeElement !== selButton) hideSelButton();
    }, 120);
  });

  // ---- the response panel -------------------------------------------------------
  function setLegend() {
    var opt = $('#rp').selectedOptions[0];
    var n = opt && opt.value ? opt.textContent.split(' ')[0].replace('¶', '') : '…';
    var legend = $('#rsl');
    legend.textContent = legend.dataset.template.replace('{n}', n);
  }
  function openPanel(article, info) {
    if (!panel || !article) return;
    article.after(panel);
    $('#rp').value = article.id.slice(2);
    $('#rq').value = info ? info.quote : '';
    $('#rstart').value = info ? String(info.start) : '';
    $('#rret').value = location.pathname + location.search;
    $('.x', panel).hidden = false;
    setLegend();
    updatePick();
    $('#rb').focus();
  }
  function closePanel() {
    if (!panel || !home) return;
    home.insertBefore(panel, homeNext);
    $('.x', panel).hidden = true;
    $('#rq').value = '';
    $('#rstart').value = '';
    updatePick();
  }

  // ---- choosing the passage's words with the keyboard -----------------------------
  // The paragraph's words in a text field, where the caret moves and Shift selects as
  // in any text field (and screen readers say what is selected), and which refuses
  // every change; Enter or the button takes the selection, widened to whole words, as
  // the passage.
  var words = { text: '', start: 0, end: 0 };
  function paragraphText() {
    var pid = $('#rp').value;
    var el = pid ? document.getElementById('p-' + pid) : null;
    if (!el) return null;
    return el.matches('article') ? $('.t', el) : el;
  }
  function showWords(open) {
    $('#rwords').hidden = !open;
    $('#rpick').setAttribute('aria-expanded', String(open));
  }
  function updatePick() {
    showWords(false);
    $('#rpk').hidden = !paragraphText();
  }
  function openWords() {
    var el = paragraphText();
    if (!el) return;
    var box = $('#rwt');
    words.text = box.value = el.textContent;
    box.dir = getComputedStyle(el).direction;
    box.rows = Math.min(12, Math.ceil(box.value.length / 70) + 1);
    showWords(true);
    box.focus();
    // The passage chosen before, if it is still there; else the caret at the start.
    var chars = cps(box.value);
    var start = parseInt($('#rstart').value, 10);
    var quote = $('#rq').value;
    var s = 0, e = 0;
    if (quote && start >= 0 && chars.slice(start, start + cps(quote).length).join('') === quote) {
      s = chars.slice(0, start).join('').length;
      e = s + quote.length;
    }
    box.setSelectionRange(s, e);
  }
  function isWord(c) { return c !== undefined && /[\p{L}\p{N}\p{M}]/u.test(c); }
  function takeWords() {
    var box = $('#rwt');
    var chars = cps(box.value);
    var s = cps(box.value.slice(0, box.selectionStart)).length;
    var e = cps(box.value.slice(0, box.selectionEnd)).length;
    // Whole words: a selection that starts or ends inside a word takes all of it (and
    // the caret alone, the word it is in).
    while (s > 0 && isWord(chars[s - 1]) && (isWord(chars[s]) || s === e)) s--;
    while (e < chars.length && isWord(chars[e]) && (isWord(chars[e - 1]) || s === e)) e++;
    while (s < e && /\s/.test(chars[s])) s++;
    while (e > s && /\s/.test(chars[e - 1])) e--;
    if (s >= e) return;
    $('#rq').value = chars.slice(s, e).join('');
    $('#rstart').value = String(s);
    showWords(false);
    $('#rq').focus();
  }
  // A button to respond under each paragraph (without the script: the paragraph's page,
  // through its number, or the form at the end of the page).
  function addRespond(root) {
    if (!panel) return;
    $$('article.p:not(.hd)', root).forEach(function (article) {
      var meta = $('.meta', article);
      if (!meta || $('.rs', meta)) return;
      var b = document.createElement('button');
      b.type = 'button';
      b.className = 'rs';
      b.textContent = panel.dataset.respond.replace('{n}', $('.n', article).textContent.replace('¶', ''));
      meta.appendChild(b);
    });
  }
  function usePanel() {
    panel = found;
    panel.hidden = false;
    home = panel.parentNode;
    homeNext = panel.nextSibling;
    addRespond(document);
    $('#rp').addEventListener('change', function () { setLegend(); updatePick(); });
    $('#rq').addEventListener('input', function () { $('#rstart').value = ''; });
    $('.x', panel).addEventListener('click', closePanel);
    $('#rpick').addEventListener('click', function () {
      if ($('#rwords').hidden) openWords(); else showWords(false);
    });
    $('#ruse').addEventListener('click', takeWords);
    var box = $('#rwt');
    box.addEventListener('keydown', function (ev) {
      words.start = box.selectionStart;
      words.end = box.selectionEnd;
      if (ev.key === 'Enter') { ev.preventDefault(); takeWords(); }
      if (ev.key === 'Escape') { ev.preventDefault(); showWords(false); $('#rpick').focus(); }
    });
    // The words are the paragraph's: typing, pasting, cutting or dropping is refused,
    // and what cannot be refused beforehand (an input method's composition) is undone.
    box.addEventListener('beforeinput', function (ev) { ev.preventDefault(); });
    box.addEventListener('input', function () {
      if (box.value === words.text) return;
      box.value = words.text;
      box.setSelectionRange(words.start, words.end);
    });
    updatePick();
  }
  if (found && !found.hidden) usePanel();
  else if (found) document.addEventListener('margin:key', usePanel, { once: true });

  // ---- highlighted passages -------------------------------------------------------
  // A passage naming a comment shown on the page is a button: Tab reaches it, Enter or
  // Space (or a click) goes to its comment, and Escape on that comment comes back.
  function addPassages(root) {
    $$('mark[data-c]', root).forEach(function (m) {
      if (!document.getElementById('c-' + m.dataset.c.split(' ')[0])) return;
      m.setAttribute('tabindex', '0');
      m.setAttribute('role', 'button');
      if (document.getElementById('hlhelp')) m.setAttribute('aria-describedby', 'hlhelp');
    });
  }
  addPassages(document);
  // Focusable for the keyboard only: a mouse press on a focusable element would focus it
  // instead of starting to select words there.
  document.addEventListener('mousedown', function (ev) {
    var m = ev.target.closest && ev.target.closest('mark[data-c][tabindex]');
    if (!m) return;
    m.removeAttribute('tabindex');
    document.addEventListener('mouseup', function () { m.setAttribute('tabindex', '0'); }, { once: true, capture: true });
  }, true);
  var cameFrom = null;
  function showComment(mark) {
    var c = document.getElementById('c-' + mark.dataset.c.split(' ')[0]);
    if (!c) return;
    flash(c, 'hl');
    c.setAttribute('tabindex', '-1');
    c.focus({ preventScroll: true });
    c.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
    cameFrom = { comment: c, mark: mark };
  }
  document.addEventListener('keydown', function (ev) {
    var t = ev.target;
    if (t.matches && t.matches('mark[data-c][role=button]') && (ev.key === 'Enter' || ev.key === ' ')) {
      ev.preventDefault();
      showComment(t);
    } else if (ev.key === 'Escape' && cameFrom && t === cameFrom.comment && document.contains(cameFrom.mark)) {
      ev.preventDefault();
      cameFrom.mark.focus();
      cameFrom = null;
    }
  });

  // ---- clicks: respond links, highlights, threads, comment actions --------------
  document.addEventListener('click', function (ev) {
    var a = ev.target.closest('button.rs, mark[data-c], a.sc, a.ca');
    if (!a) return;
    if (a.matches('button.rs') && panel) {
      ev.preventDefault();
      openPanel(a.closest('article.p'), null);
    } else if (a.matches('mark[data-c]')) {
      showComment(a);
    } else if (a.matches('a.sc')) {
      ev.preventDefault();
      expand(a.closest('article.p'), a.href);
    } else if (a.matches('a.ca')) {
      ev.preventDefault();
      actions(a);
    }
  });
  function flash(el, cls) { el.classList.add(cls); setTimeout(function () { el.classList.remove(cls); }, 2000); }
  function fetchDoc(url) {
    return fetch(url, { credentials: 'same-origin' }).then(function (r) {
      if (!r.ok) throw new Error(r.status);
      return r.text();
    }).then(function (html) { return new DOMParser().parseFromString(html, 'text/html'); });
  }
  function expand(article, url) {
    if (!article) return;
    expanded[article.id] = url;
    fetchDoc(url).then(function (doc) {
      var fresh = doc.getElementById(article.id);
      var cm = fresh && $('.cm', fresh);
      var here = $('.cm', article);
      if (!cm) return;
      if (here) here.remove();
      $('.meta', article).after(document.importNode(cm, true));
    }).catch(function () { location.href = url; });
  }
  function actions(link) {
    var article = link.closest('article.c');
    var next = article.nextElementSibling;
    if (next && next.classList.contains('acts')) { next.remove(); return; }
    var back = location.pathname + location.search + '#' + article.id;
    fetchDoc(link.href + '?return=' + encodeURIComponent(back)).then(function (doc) {
      var acts = doc.getElementById('actions');
      if (!acts) { location.href = link.href; return; }
      acts.removeAttribute('id');
      var node = document.importNode(acts, true);
      // On a mirror's public site, the forms a key in this browser signs (respond.js).
      if (document.body.dataset.key) node.hidden = false;
      article.after(node);
      var first = $('textarea, select, input:not([type=hidden])', node);
      if (first) first.focus();
    }).catch(function () { location.href = link.href; });
  }
  // A comment in focus or under the pointer lights up its passage.
  function light(ev, on) {
    var c = ev.target.closest && ev.target.closest('article.c');
    if (!c) return;
    $$('mark[data-c~="' + c.dataset.c + '"]').forEach(function (m) { m.classList.toggle('on', on); });
  }
  document.addEventListener('mouseover', function (ev) { light(ev, true); });
  document.addEventListener('mouseout', function (ev) { light(ev, false); });
  document.addEventListener('focusin', function (ev) { light(ev, true); });
  document.addEventListener('focusout', function (ev) { light(ev, false); });
  // Reading a Markdown file into the text area, to see it before it is sent; a Word
  // or OpenDocument file is sent as it is, and the node converts it.
  document.addEventListener('change', function (ev) {
    var input = ev.target;
    if (!input.matches || !input.matches('input[type=file][data-into]') || !input.files[0]) return;
    var file = input.files[0];
    var area = document.getElementById(input.dataset.into);
    if (/\.(docx|odt|fodt)$/i.test(file.name)) { area.value = ''; return; }
    var reader = new FileReader();
    reader.onload = function () { area.value = reader.result; };
    reader.readAsText(file);
  });

  // ---- offline ------------------------------------------------------------------
  // On a mirror's public site, pages once opened stay readable offline (sw.js).
  if ('serviceWorker' in navigator && document.body.dataset.site === 'public') {
    navigator.serviceWorker.register('/sw.js').catch(function () {});
  }

  // ---- live updates -------------------------------------------------------------
  var sync = $('#sync');
  function setPeers(label) {
    if (sync && label) $('#peers').textContent = label;
  }
  function setState(text) { if (sync) $('#insync').textContent = text; }
  function busy(el) {
    if (el.contains(document.activeElement) && document.activeElement !== document.body) return true;
    return $$('textarea, input[name=quote], input[name=reason]', el).some(function (f) { return f.value.trim() !== ''; });
  }
  var timer = null;
  function schedule() { clearTimeout(timer); timer = setTimeout(refresh, 250); }
  function refresh() {
    fetchDoc(location.href).then(function (doc) {
      var changed = 0;
      var fresh = liveParts(doc);
      var freshIds = fresh.map(function (e) { return e.id; }).filter(Boolean).join(' ');
      var oldIds = liveParts(document).map(function (e) { return e.id; }).filter(Boolean).join(' ');
      if (freshIds !== oldIds && $('#doc') && $('#doc', doc)) {
        // Paragraphs came or went (a revision): take the whole text again.
        if (panel && $('#doc').contains(panel)) closePanel();
        if (busy($('#doc'))) return;
        var docNew = document.importNode($('#doc', doc), true);
        $('#doc').replaceWith(docNew);
        ['whole', 'orphans', 'elsewhere'].forEach(function (id) {
          var a = document.getElementById(id), b = doc.getElementById(id);
          if (a && !b) a.remove();
          if (b && !a) docNew.after(document.importNode(b, true));
          if (a && b) a.replaceWith(document.importNode(b, true));
        });
        liveParts(document).forEach(remember);
        addRespond(docNew);
        addPassages(document);
        changed++;
      } else {
        fresh.forEach(function (el) {
          var old = el.id ? document.getElementById(el.id) : $(selectorOf(el));
          if (!old || snapshot.get(old) === el.outerHTML || busy(old)) return;
          var node = document.importNode(el, true);
          if (panel && old.contains(panel)) closePanel();
          old.replaceWith(node);
          remember(node);
          addRespond(node.parentNode);
          addPassages(document);
          flash(node, 'new');
          if (expanded[node.id]) expand(node, expanded[node.id]);
          changed++;
        });
      }
      if (changed) { var news = $('#news'); news.textContent = ''; news.textContent = news.dataset.msg; }
    }).catch(function () { setState(sync ? sync.dataset.offline : ''); });
  }
  function selectorOf(el) {
    if (el.matches('main > .th')) return 'main > .th';
    if (el.matches('main > .sub')) return 'main > .sub';
    if (el.matches('main > h1')) return 'main > h1';
    return 'main > ul';
  }
  if (window.EventSource && sync) {
    var events = new EventSource('/events');
    events.addEventListener('status', function (e) {
      var d = JSON.parse(e.data);
      setPeers(d.peers_label);
      setState(d.in_sync === null ? sync.dataset.live : d.in_sync ? sync.dataset.inSync : sync.dataset.syncing);
    });
    events.addEventListener('sync', function (e) {
      var d = JSON.parse(e.data);
      setPeers(d.peers_label);
      setState(d.in_sync ? sync.dataset.inSync : sync.dataset.syncing);
    });
    events.addEventListener('entry', function (e) {
      var d = JSON.parse(e.data);
      var mine = draft ? d.space === space && (!d.draft || d.draft === draft)
        : space ? d.space === space : true;
      if (mine) schedule();
    });
    events.addEventListener('reload', schedule);
    events.onerror = function () { setState(sync.dataset.offline); };
  }
})();
