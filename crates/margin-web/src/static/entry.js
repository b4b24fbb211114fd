// Margin entries built and signed in the browser, byte for byte as docs/protocol.md
// specifies them: the canonical (postcard) encoding of headers and bodies, the two
// envelope formats, BLAKE3 ids, Ed25519 signatures by WebCrypto, did:key names. A node
// checks what this produces exactly as it checks a peer's entries; the test suite checks
// it against the protocol's test vectors inside Chromium.
//
// MarginEntry.build(fields, key) → Promise<{bytes, id}>:
//   fields = {space: hex or null, kind: 'comment', time: ms, refs: [hex], body: {…}}
//   key    = {privateKey: CryptoKey (Ed25519), public: Uint8Array(32)}
// Ids and keys are lowercase hex; optional values are null; kinds and enum values are the
// words of the protocol in snake case ('alternative_stance', 'object').
(function (global) {
  'use strict';

  // ---- bytes -------------------------------------------------------------------------
  const utf8 = new TextEncoder();

  function hex(bytes) {
    return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  function unhex(text, length) {
    if (typeof text !== 'string' || !/^([0-9a-f]{2})*$/.test(text)) throw new Error(`not hex: ${text}`);
    const out = new Uint8Array(text.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(text.substr(i * 2, 2), 16);
    if (length !== undefined && out.length !== length) throw new Error(`expected ${length} bytes, got ${out.length}`);
    return out;
  }

  function concat(parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  }

  // ---- the canonical encoding (postcard, one encoding per value) ---------------------
  class Writer {
    constructor() { this.parts = []; }
    bytes() { return concat(this.parts); }
    raw(bytes) { this.parts.push(bytes); return this; }
    u8(n) { return this.raw(Uint8Array.of(n)); }
    // Unsigned LEB128, minimal length.
    varint(n) {
      let v = BigInt(n);
      if (v < 0n) throw new Error('negative varint');
      const out = [];
      do {
        let byte = Number(v & 0x7fn);
        v >>= 7n;
        if (v > 0n) byte |= 0x80;
        out.push(byte);
      } while (v > 0n);
      return this.raw(Uint8Array.from(out));
    }
    bool(b) { return this.u8(b ? 1 : 0); }
    fixed(hexText) { return this.raw(unhex(hexText, 32)); }
    bytestring(bytes) { return this.varint(bytes.length).raw(bytes); }
    string(text) { return this.bytestring(utf8.encode(text)); }
    option(value, write) {
      if (value === null || value === undefined) return this.u8(0);
      this.u8(1);
      write(this, value);
      return this;
    }
    put(write, value) { write(this, value); return this; }
    vec(items, write) {
      this.varint(items.length);
      for (const item of items) write(this, item);
      return this;
    }
  }

  const KINDS = {
    charter: 1, charter_amendment: 2, profile: 3, registration: 4, draft_change: 5,
    version_tag: 6, comment: 7, comment_edit: 8, retraction: 9, stance: 10,
    disposition: 11, reattach: 12, moderation: 13, co_sign: 14, membership: 15,
    alternative_stance: 16, erasure: 17,
  };
  const POLICY = ['open', 'registered'];
  const COMMENT_KIND = ['comment', 'question', 'suggestion', 'objection'];
  const STANCE = ['support', 'accept', 'object', 'abstain'];

  function variant(words, word) {
    const i = words.indexOf(word);
    if (i < 0) throw new Error(`${word} is not one of ${words.join(', ')}`);
    return i;
  }

  const id = (w, v) => w.fixed(v);
  const str = (w, v) => w.string(v);
  const u64 = (w, v) => w.varint(v);
  const stanceValue = (w, v) => w.varint(variant(STANCE, v));
  const quote = (w, q) => w.string(q.exact).string(q.prefix).string(q.suffix);
  const anchor = (w, a) => w.string(a.para)
    .option(a.start, (w, s) => w.bytestring(unhex(s)))
    .option(a.end, (w, e) => w.bytestring(unhex(e)))
    .option(a.quote, quote);

  // Each body's fields, in wire order.
  const BODIES = {
    charter: (w, b) => w.string(b.title).varint(variant(POLICY, b.policy))
      .option(b.opens, u64).option(b.closes, u64)
      .vec(b.conveners, id).vec(b.editors, id).vec(b.registrars, id)
      .vec(b.stakeholder_groups, str).varint(b.nonce),
    profile: (w, b) => w.string(b.name).string(b.affiliation).string(b.stakeholder).string(b.region),
    comment: (w, b) => w.fixed(b.draft).vec(b.heads, id).option(b.anchor, anchor)
      .varint(variant(COMMENT_KIND, b.kind)).string(b.text).option(b.suggestion, str)
      .option(b.parent, id),
    comment_edit: (w, b) => w.fixed(b.comment).string(b.text).option(b.suggestion, str),
    retraction: (w, b) => w.fixed(b.comment),
    stance: (w, b) => w.fixed(b.draft).string(b.para).vec(b.heads, id).put(stanceValue, b.value)
      .option(b.reason, str),
    co_sign: (w, b) => w.fixed(b.comment).option(b.coalition, id).bool(b.withdrawn),
    membership: (w, b) => w.fixed(b.member).bool(b.active),
    alternative_stance: (w, b) => w.fixed(b.comment).option(b.wording, id)
      .put(stanceValue, b.value).option(b.reason, str),
    erasure: (w, b) => w.fixed(b.comment),
  };

  // Comments and their edits are sealed (format 2): what stays when their words are
  // erased is the outline, and whether they carry an alternative wording. Rust's
  // `trim` is Unicode White_Space, which JavaScript's is not quite.
  const WHITE_SPACE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$/;
  const carriesAlternative = (s) => s !== null && s !== undefined && !WHITE_SPACE.test(s);
  const OUTLINES = {
    comment: (w, b) => w.u8(0).fixed(b.draft).bool(carriesAlternative(b.suggestion)),
    comment_edit: (w, b) => w.u8(1).fixed(b.comment).bool(carriesAlternative(b.suggestion)),
  };

  // ---- BLAKE3 (hash mode, any length) ------------------------------------------------
  const IV = Uint32Array.of(0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19);
  const PERMUTATION = [2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8];
  const CHUNK_START = 1, CHUNK_END = 2, PARENT = 4, ROOT = 8;

  function compress(cv, block, counter, length, flags) {
    const s = new Uint32Array(16);
    s.set(cv, 0);
    s.set(IV.subarray(0, 4), 8);
    s[12] = counter >>> 0;
    s[13] = Math.floor(counter / 0x100000000) >>> 0;
    s[14] = length;
    s[15] = flags;
    let m = Uint32Array.from(block);
    const g = (a, b, c, d, x, y) => {
      s[a] = s[a] + s[b] + x; s[d] ^= s[a]; s[d] = (s[d] >>> 16) | (s[d] << 16);
      s[c] = s[c] + s[d]; s[b] ^= s[c]; s[b] = (s[b] >>> 12) | (s[b] << 20);
      s[a] = s[a] + s[b] + y; s[d] ^= s[a]; s[d] = (s[d] >>> 8) | (s[d] << 24);
      s[c] = s[c] + s[d]; s[b] ^= s[c]; s[b] = (s[b] >>> 7) | (s[b] << 25);
    };
    for (let round = 0; round < 7; round++) {
      g(0, 4, 8, 12, m[0], m[1]); g(1, 5, 9, 13, m[2], m[3]);
      g(2, 6, 10, 14, m[4], m[5]); g(3, 7, 11, 15, m[6], m[7]);
      g(0, 5, 10, 15, m[8], m[9]); g(1, 6, 11, 12, m[10], m[11]);
      g(2, 7, 8, 13, m[12], m[13]); g(3, 4, 9, 14, m[14], m[15]);
      if (round < 6) m = Uint32Array.from(PERMUTATION, (i) => m[i]);
    }
    for (let i = 0; i < 8; i++) s[i] ^= s[i + 8];
    return s.subarray(0, 8);
  }

  function words(bytes) {
    const padded = new Uint8Array(64);
    padded.set(bytes);
    const view = new DataView(padded.buffer);
    return Uint32Array.from({ length: 16 }, (_, i) => view.getUint32(i * 4, true));
  }

  // The last compression of a chunk or parent, kept until we know whether it is the root.
  function chunkOutput(chunk, counter) {
    const blocks = Math.max(1, Math.ceil(chunk.length / 64));
    let cv = IV;
    for (let i = 0; i < blocks - 1; i++) {
      cv = compress(cv, words(chunk.subarray(i * 64, i * 64 + 64)), counter, 64, i === 0 ? CHUNK_START : 0);
    }
    const last = chunk.subarray((blocks - 1) * 64);
    return { cv, block: words(last), counter, length: last.length,
      flags: (blocks === 1 ? CHUNK_START : 0) | CHUNK_END };
  }
  const chainingValue = (o) => compress(o.cv, o.block, o.counter, o.length, o.flags);
  const parentOutput = (left, right) => ({ cv: IV, block: concatWords(left, right), counter: 0, length: 64, flags: PARENT });
  function concatWords(a, b) { const out = new Uint32Array(16); out.set(a); out.set(b, 8); return out; }

  function blake3(input) {
    const chunks = Math.max(1, Math.ceil(input.length / 1024));
    const stack = [];
    let output = null;
    for (let c = 0; c < chunks; c++) {
      const node = chunkOutput(input.subarray(c * 1024, (c + 1) * 1024), c);
      if (c === chunks - 1) { output = node; break; }
      let cv = chainingValue(node);
      for (let total = c + 1; (total & 1) === 0; total >>= 1) cv = chainingValue(parentOutput(stack.pop(), cv));
      stack.push(cv);
    }
    while (stack.length) output = parentOutput(stack.pop(), chainingValue(output));
    const root = compress(output.cv, output.block, 0, output.length, output.flags | ROOT);
    const out = new Uint8Array(32);
    const view = new DataView(out.buffer);
    root.forEach((word, i) => view.setUint32(i * 4, word, true));
    return out;
  }

  // ---- keys --------------------------------------------------------------------------
  const ED25519 = { name: 'Ed25519' };
  // PKCS#8 for an Ed25519 seed (RFC 8410): the fixed prefix, then the 32 bytes.
  const PKCS8_PREFIX = unhex('302e020100300506032b657004220420');

  function base64url(text) {
    const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
    return Uint8Array.from(atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4)), (c) => c.charCodeAt(0));
  }

  // The public half of a private key, from its JWK export.
  async function publicOf(privateKey) {
    const jwk = await crypto.subtle.exportKey('jwk', privateKey);
    return base64url(jwk.x);
  }

  // A key from a 32-byte seed (the test vectors; backups).
  async function fromSeed(seed, extractable = false) {
    const privateKey = await crypto.subtle.importKey('pkcs8', concat([PKCS8_PREFIX, seed]), ED25519, true, ['sign']);
    const pub = await publicOf(privateKey);
    if (extractable) return { privateKey, public: pub };
    // Import again, not extractable: scripts on the page can sign with it, never read it.
    const locked = await crypto.subtle.importKey('pkcs8', concat([PKCS8_PREFIX, seed]), ED25519, false, ['sign']);
    return { privateKey: locked, public: pub };
  }

  // A new key, made in this browser.
  async function generate(extractable = false) {
    const pair = await crypto.subtle.generateKey(ED25519, true, ['sign', 'verify']);
    const pub = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
    if (extractable) return { privateKey: pair.privateKey, public: pub };
    const pkcs8 = await crypto.subtle.exportKey('pkcs8', pair.privateKey);
    const privateKey = await crypto.subtle.importKey('pkcs8', pkcs8, ED25519, false, ['sign']);
    return { privateKey, public: pub };
  }

  // The seed of an extractable key (for a backup).
  async function seedOf(privateKey) {
    return base64url((await crypto.subtle.exportKey('jwk', privateKey)).d);
  }

  const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
  function base58(bytes) {
    let n = BigInt('0x' + (hex(bytes) || '0'));
    let out = '';
    while (n > 0n) { out = ALPHABET[Number(n % 58n)] + out; n /= 58n; }
    for (const b of bytes) { if (b !== 0) break; out = '1' + out; }
    return out;
  }
  // did:key: multicodec ed25519-pub (0xed 0x01), base58btc ('z').
  const didKey = (pub) => 'did:key:z' + base58(concat([Uint8Array.of(0xed, 0x01), pub]));

  // ---- entries -----------------------------------------------------------------------
  async function sign(key, domain, bytes) {
    const signature = await crypto.subtle.sign(ED25519, key.privateKey, concat([utf8.encode(domain), bytes]));
    return new Uint8Array(signature);
  }

  function start(format, fields, author) {
    const kind = KINDS[fields.kind];
    if (!kind || !BODIES[fields.kind]) throw new Error(`cannot build a ${fields.kind} entry`);
    const refs = [...new Set(fields.refs)].sort();
    return new Writer().u8(format).option(fields.space, id).u8(kind).raw(author)
      .varint(fields.time).vec(refs, id);
  }

  async function build(fields, key) {
    const body = new Writer().put(BODIES[fields.kind], fields.body).bytes();
    const sealed = OUTLINES[fields.kind];
    if (!sealed) {
      const header = start(1, fields, key.public).bytestring(body).bytes();
      const signature = await sign(key, 'margin-entry-v1', header);
      const bytes = concat([header, signature]);
      return { bytes, id: hex(blake3(bytes)) };
    }
    const head = start(2, fields, key.public).put(sealed, fields.body)
      .varint(body.length).raw(blake3(body)).bytes();
    const signature = await sign(key, 'margin-entry-v2', head);
    return { bytes: concat([head, signature, body]), id: hex(blake3(concat([head, signature]))) };
  }

  // ---- linking this key to a person's identity -------------------------------------
  // The key's consent to be linked (docs/protocol.md, "Key links"), as the one-time code
  // `margin device add` takes: `margin-link:` and the base58 of the canonical Consent
  // (key, expires, signature over "margin-link-consent-v1" || key || expires LE u64).
  async function linkCode(key, expires) {
    const when = new Uint8Array(8);
    new DataView(when.buffer).setBigUint64(0, BigInt(expires), true);
    const signature = await sign(key, 'margin-link-consent-v1', concat([key.public, when]));
    const consent = new Writer().raw(key.public).varint(expires).bytestring(signature).bytes();
    return 'margin-link:' + base58(consent);
  }

  global.MarginEntry = { build, blake3, hex, unhex, fromSeed, generate, seedOf, didKey, linkCode };
})(typeof window !== 'undefined' ? window : globalThis);
