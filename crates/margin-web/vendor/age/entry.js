// What Margin's pages take from typage (the age-encryption package): passphrase
// encryption and decryption of age files, and ASCII armor. Bundled by build.sh into
// ../../src/static/vendor/age.js.
export { Encrypter, Decrypter, armor } from 'age-encryption';
