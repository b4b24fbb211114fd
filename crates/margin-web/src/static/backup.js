// A backup of the visitor's key, and restoring one: the identity file of
// docs/protocol.md section 8 (JSON, in an age file with a scrypt passphrase, armored),
// which `margin key export` writes and `margin key import` reads. Loaded by
// participate.js only when the visitor asks; age itself is typage, vendored as
// /static/vendor/age.js (its licenses beside it).
import { Encrypter, Decrypter, armor } from '/static/vendor/age.js';

const M = window.MarginEntry;
// As Margin's own reader: a larger file is no identity file.
const MAX_FILE_BYTES = 256 * 1024;
const ARMOR = '-----BEGIN AGE ENCRYPTED FILE-----';

const profileOf = (p) => ({
  name: String(p.name || ''),
  affiliation: String(p.affiliation || ''),
  stakeholder: String(p.stakeholder || ''),
  region: String(p.region || ''),
});

// The identity file of `me`, encrypted with `passphrase`: {text, name}.
export async function backup(me, passphrase) {
  if (!passphrase) throw new Error('a backup needs a passphrase');
  const profile = profileOf(me.profile || {});
  // The self-signed profile, in no space, as `margin key export` carries it.
  const entry = await M.build({ space: null, kind: 'profile', time: Date.now(), refs: [], body: profile }, me);
  const identity = {
    format: 'margin-identity',
    version: 1,
    key: M.didKey(me.public),
    secret_key: M.hex(await M.seedOf(me.privateKey)),
    profile,
    profile_entry: M.hex(entry.bytes),
  };
  const age = new Encrypter();
  age.setPassphrase(passphrase);
  const text = armor.encode(await age.encrypt(JSON.stringify(identity)));
  const slug = profile.name.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-|-$/g, '') || 'key';
  return { text, name: `margin-identity-${slug}.age` };
}

// The visitor held in the identity file `bytes` (armored or binary), decrypted with
// `passphrase` and checked as Margin checks one: its key must be the seed's.
export async function restore(bytes, passphrase) {
  if (bytes.length > MAX_FILE_BYTES) throw new Error(`not a backup: more than ${MAX_FILE_BYTES} bytes`);
  const text = new TextDecoder().decode(bytes.subarray(0, ARMOR.length + 8));
  let file = bytes;
  if (text.trimStart().startsWith(ARMOR)) file = armor.decode(new TextDecoder().decode(bytes));
  const age = new Decrypter();
  age.addPassphrase(passphrase);
  let json;
  try {
    json = await age.decrypt(file, 'text');
  } catch (e) {
    throw new Error(`wrong passphrase, or not a backup of a key (${e.message})`);
  }
  let identity;
  try { identity = JSON.parse(json); } catch (e) { throw new Error('not an identity file: not JSON'); }
  if (identity.format !== 'margin-identity' || identity.version !== 1) {
    throw new Error('not a Margin identity file (format margin-identity, version 1)');
  }
  if (!/^[0-9a-f]{64}$/.test(identity.secret_key || '')) throw new Error('the file holds no Ed25519 seed');
  const key = await M.fromSeed(M.unhex(identity.secret_key), true);
  if (M.didKey(key.public) !== identity.key) throw new Error(`the seed is not the key ${identity.key}`);
  const profile = profileOf(identity.profile || {});
  if (!profile.name.trim()) throw new Error('the file names no participant');
  return { privateKey: key.privateKey, public: key.public, lastTime: 0, spaces: [], profile };
}
