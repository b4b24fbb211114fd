// The browser's entry encoder, inside Chromium: every test vector of docs/protocol.md
// built again from its fields with the vector's seed, byte for byte and id for id; then
// entries of every kind a participant signs, with anchors, quotes, Unicode and texts long
// enough for BLAKE3's tree, written out for the Rust side to decode and verify as a node
// would. Run by tests/it/browser_entries.rs, which passes the node's address and the
// vectors in the environment.

import { readFileSync, writeFileSync } from 'node:fs';
import { env, launch } from './harness.mjs';

const node = env('MARGIN_NODE');
const vectors = JSON.parse(readFileSync(env('MARGIN_VECTORS'), 'utf8'));
const out = env('MARGIN_OUT');

const browser = await launch();
try {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${node}/`);
  await page.addScriptTag({ url: '/static/entry.js' });
  const result = await page.evaluate(async (vectors) => {
    const M = window.MarginEntry;
    const seed = (byte) => new Uint8Array(32).fill(byte);
    const repeat = (byte) => M.hex(seed(byte));
    const key = async (byte) => M.fromSeed(seed(byte));
    const convener = await key(1);
    const coalition = await key(3);
    const space = vectors.find((v) => v.name === 'charter').id;
    const comment = vectors.find((v) => v.name === 'comment').id;
    const profile = vectors.find((v) => v.name === 'profile').id;
    const membership = vectors.find((v) => v.name === 'membership').id;
    // The vectors' fields, as crates/margin-core/src/vectors.rs makes them.
    const fields = {
      charter: { space: null, kind: 'charter', time: 1767225600000, refs: [], body: {
        title: 'BPF Cybersecurity 2026', policy: 'open', opens: null, closes: 1798761600000,
        conveners: [M.hex(convener.public)], editors: [M.hex(convener.public)], registrars: [],
        stakeholder_groups: [], nonce: 42 } },
      profile: { space, kind: 'profile', time: 1767225660000, refs: [space], body: {
        name: 'Amina Diallo', affiliation: 'Réseau Numérique', stakeholder: 'civil-society', region: 'Africa' } },
      stance: { space, kind: 'stance', time: 1767225720000, refs: [profile, space], body: {
        draft: repeat(9), para: 'p0123456789', heads: [repeat(7)], value: 'object', reason: 'Too weak' } },
      membership: { space, kind: 'membership', time: 1767225780000, refs: [space], body: {
        member: null, active: true } },
      'co-sign': { space, kind: 'co_sign', time: 1767225840000, refs: [membership, space], body: {
        comment: repeat(5), coalition: M.hex(coalition.public), withdrawn: false } },
      'alternative-stance': { space, kind: 'alternative_stance', time: 1767225900000, refs: [space], body: {
        comment: repeat(5), wording: null, value: 'accept', reason: null } },
      comment: { space, kind: 'comment', time: 1767225960000, refs: [space], body: {
        draft: repeat(9), heads: [repeat(7)], anchor: null, kind: 'objection', text: 'Too weak',
        suggestion: null, parent: null } },
      erasure: { space, kind: 'erasure', time: 1767226020000, refs: [space], body: { comment } },
    };
    const participant = await key(2);
    fields.membership.body.member = M.hex(participant.public);
    const report = [];
    for (const v of vectors) {
      const name = v.name === 'comment-stub' ? 'comment' : v.name;
      const signer = await key(parseInt(v.seed.slice(0, 2), 16));
      if (M.didKey(signer.public) !== v.public) report.push(`${v.name}: did:key ${M.didKey(signer.public)}, not ${v.public}`);
      const built = await M.build(fields[name], signer);
      const bytes = M.hex(built.bytes);
      const same = v.name === 'comment-stub' ? bytes.startsWith(v.entry) && bytes !== v.entry : bytes === v.entry;
      if (!same) report.push(`${v.name}: built ${bytes}\n  expected ${v.entry}`);
      if (built.id !== v.id) report.push(`${v.name}: id ${built.id}, expected ${v.id}`);
    }

    // Entries of every kind a participant signs in a browser, for the node to judge.
    const amina = await M.generate();
    const long = 'Réseau — نص '.repeat(400); // about 6 KB: six BLAKE3 chunks.
    const made = [];
    const cases = [
      ['anchored comment', { space, kind: 'comment', time: Date.now(), refs: [space, profile], body: {
        draft: repeat(9), heads: [repeat(7), repeat(6)],
        anchor: { para: 'p0123456789', start: '0102', end: 'ff', quote: {
          exact: 'Twelve contributions', prefix: 'most often described. ', suffix: ' described a policy' } },
        kind: 'suggestion', text: 'Say fourteen — ١٤.', suggestion: 'Fourteen contributions', parent: null } }],
      ['reply with blank suggestion', { space, kind: 'comment', time: Date.now(), refs: [space], body: {
        draft: repeat(9), heads: [], anchor: null, kind: 'comment', text: long,
        suggestion: ' \u00a0\u3000', parent: comment } }],
      ['edit', { space, kind: 'comment_edit', time: Date.now(), refs: [space, comment], body: {
        comment, text: 'Edited.', suggestion: 'Other words' } }],
      ['retraction', { space, kind: 'retraction', time: Date.now(), refs: [space], body: { comment } }],
      ['profile', { space, kind: 'profile', time: Date.now(), refs: [space], body: {
        name: 'Amina Diallo', affiliation: '', stakeholder: 'civil-society', region: '' } }],
      ['stance without reason', { space, kind: 'stance', time: Date.now(), refs: [space], body: {
        draft: repeat(9), para: 'p1', heads: [repeat(7)], value: 'support', reason: null } }],
      ['personal sign-on', { space, kind: 'co_sign', time: Date.now(), refs: [space], body: {
        comment, coalition: null, withdrawn: true } }],
      ['stance on an edited alternative', { space, kind: 'alternative_stance', time: Date.now(), refs: [space], body: {
        comment, wording: repeat(4), value: 'object', reason: 'Not this wording' } }],
      ['erasure', { space, kind: 'erasure', time: Date.now(), refs: [space], body: { comment } }],
    ];
    for (const [name, f] of cases) {
      const built = await M.build(f, amina);
      made.push({ name, kind: f.kind, entry: M.hex(built.bytes), id: built.id, key: M.hex(amina.public) });
    }
    // BLAKE3 of the empty input, and across a chunk boundary, against known values.
    const empty = M.hex(M.blake3(new Uint8Array(0)));
    if (empty !== 'af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262') report.push(`blake3('') = ${empty}`);
    // A link code, as /participate shows it for `margin device add`.
    const link = { code: await M.linkCode(amina, Date.now() + 86400000), key: M.hex(amina.public) };
    return { report, made, link };
  }, vectors);
  if (errors.length) throw new Error(errors.join('\n'));
  writeFileSync(out, JSON.stringify(result.made, null, 1));
  writeFileSync(`${out}.link`, JSON.stringify(result.link));
  if (result.report.length) {
    console.log(result.report.join('\n'));
    process.exit(1);
  }
  console.log(`ok: ${vectors.length} vectors, ${result.made.length} entries built`);
} finally {
  await browser.close();
}
