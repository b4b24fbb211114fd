//! Encryption with a passphrase, and the one place that knows its file format: age
//! (<https://age-encryption.org/v1>) with its passphrase recipient, in age's ASCII armor.
//!
//! age derives a key from the passphrase with scrypt (memory-hard; Margin writes N = 2^18,
//! r = 8, p = 1, 256 MiB, as the reference `age` tool does) and encrypts with
//! ChaCha20-Poly1305, so a wrong passphrase or an altered byte is detected, never read as
//! a different key. A protected key file and an identity file are both such files: the
//! `age` tool reads them (`age -d FILE`), and so can any implementation of age, such as
//! one running in a browser.
//!
//! Where passphrases come from (a terminal, a file) is the front end's to say; this
//! module takes them as [`Passphrase`] values.

use std::io::Read;

use age::secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

pub use error::OpenError;

/// The scrypt work factor (log2 N) of what Margin encrypts: age's reference
/// implementation's, which every age implementation reads in a second or so.
const WORK_FACTOR: u8 = 18;

/// The largest work factor Margin spends on a file it decrypts (4 GiB, as the reference
/// `age` tool allows): a file asking for more is refused instead of exhausting memory.
const MAX_WORK_FACTOR: u8 = 22;

/// The largest encrypted file Margin reads: a key or an identity is a few KiB.
pub const MAX_SEALED_BYTES: u64 = 256 * 1024;

/// A passphrase, wiped from memory when dropped and never printed.
pub struct Passphrase(SecretString);

impl Passphrase {
    pub fn new(text: String) -> Passphrase {
        Passphrase(SecretString::from(text))
    }

    pub fn is_empty(&self) -> bool {
        self.0.expose_secret().is_empty()
    }

    /// Whether two passphrases are the same (one typed twice).
    pub fn same_as(&self, other: &Passphrase) -> bool {
        self.0.expose_secret() == other.0.expose_secret()
    }

    fn secret(&self) -> SecretString {
        SecretString::from(self.0.expose_secret().to_owned())
    }
}

impl Clone for Passphrase {
    /// A second copy, wiped when dropped like the first.
    fn clone(&self) -> Self {
        Passphrase(self.secret())
    }
}

impl std::fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Passphrase(…)")
    }
}

/// Whether `bytes` look like an age file (armored or binary) rather than anything else.
pub fn is_sealed(bytes: &[u8]) -> bool {
    const ARMOR: &[u8] = b"-----BEGIN AGE ENCRYPTED FILE-----";
    const BINARY: &[u8] = b"age-encryption.org/";
    let start = bytes.trim_ascii_start();
    start.starts_with(ARMOR) || start.starts_with(BINARY)
}

/// `plaintext` encrypted with `passphrase`, as an armored age file.
pub fn seal(plaintext: &[u8], passphrase: &Passphrase) -> Result<String, OpenError> {
    seal_with_work_factor(plaintext, passphrase, WORK_FACTOR)
}

/// [`seal`] with a light work factor: tests about contents, not about scrypt's cost.
#[cfg(test)]
pub(crate) fn seal_light(plaintext: &[u8], passphrase: &Passphrase) -> String {
    seal_with_work_factor(plaintext, passphrase, 10).expect("seal")
}

fn seal_with_work_factor(
    plaintext: &[u8],
    passphrase: &Passphrase,
    work_factor: u8,
) -> Result<String, OpenError> {
    let mut recipient = age::scrypt::Recipient::new(passphrase.secret());
    recipient.set_work_factor(work_factor);
    age::encrypt_and_armor(&recipient, plaintext).map_err(|e| OpenError::Seal(e.to_string()))
}

/// What `sealed` (an age file, armored or not) holds, decrypted with `passphrase`.
pub fn open(sealed: &[u8], passphrase: &Passphrase) -> Result<Zeroizing<Vec<u8>>, OpenError> {
    if sealed.len() as u64 > MAX_SEALED_BYTES {
        return Err(OpenError::Damaged(format!(
            "it is larger than {} KiB",
            MAX_SEALED_BYTES / 1024
        )));
    }
    let reader = age::armor::ArmoredReader::new(sealed);
    let decryptor = age::Decryptor::new_buffered(reader).map_err(damaged)?;
    if !decryptor.is_scrypt() {
        return Err(OpenError::NotPassphrase);
    }
    let mut identity = age::scrypt::Identity::new(passphrase.secret());
    identity.set_max_work_factor(MAX_WORK_FACTOR);
    let mut stream = decryptor
        .decrypt(std::iter::once(&identity as &dyn age::Identity))
        .map_err(|e| match e {
            // The only way to fail here with the right passphrase is an altered stanza,
            // which no one can tell from a wrong passphrase.
            age::DecryptError::DecryptionFailed | age::DecryptError::KeyDecryptionFailed => {
                OpenError::WrongPassphrase
            }
            age::DecryptError::ExcessiveWork { required, .. } => OpenError::TooCostly(required),
            other => damaged(other),
        })?;
    let mut plaintext = Zeroizing::new(Vec::new());
    stream
        .read_to_end(&mut plaintext)
        .map_err(|e| OpenError::Damaged(format!("its contents do not decrypt ({e})")))?;
    Ok(plaintext)
}

fn damaged(e: age::DecryptError) -> OpenError {
    OpenError::Damaged(match e {
        age::DecryptError::InvalidMac => "its header was altered".to_owned(),
        age::DecryptError::UnknownFormat => {
            "it is in an age format this version does not know".to_owned()
        }
        other => format!("it is not a whole age file ({other})"),
    })
}

pub mod error {
    /// Why an encrypted file could not be read (or written).
    #[derive(Debug, thiserror::Error)]
    pub enum OpenError {
        #[error("wrong passphrase")]
        WrongPassphrase,
        #[error("it is encrypted, but not with a passphrase")]
        NotPassphrase,
        #[error("it asks for scrypt work 2^{0}, more than the 2^22 Margin spends on a passphrase")]
        TooCostly(u8),
        #[error("{0}")]
        Damaged(String),
        #[error("could not encrypt: {0}")]
        Seal(String),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seal_with(plaintext: &[u8], passphrase: &str) -> String {
        seal_light(plaintext, &Passphrase::new(passphrase.into()))
    }

    #[test]
    fn what_is_sealed_opens_with_its_passphrase_only() {
        let sealed = seal_with(b"a secret", "correct horse");
        assert!(sealed.starts_with("-----BEGIN AGE ENCRYPTED FILE-----"));
        assert!(is_sealed(sealed.as_bytes()));
        let opened = open(sealed.as_bytes(), &Passphrase::new("correct horse".into()))
            .expect("the right passphrase");
        assert_eq!(opened.as_slice(), b"a secret");
        assert!(matches!(
            open(sealed.as_bytes(), &Passphrase::new("wrong horse".into())),
            Err(OpenError::WrongPassphrase)
        ));
    }

    #[test]
    fn a_sealed_file_is_a_standard_age_file_with_the_reference_work_factor() {
        let sealed = seal(b"a secret", &Passphrase::new("pass".into())).expect("seal");
        // The age crate's own reader, outside Margin's code.
        let identity = age::scrypt::Identity::new(SecretString::from("pass".to_owned()));
        let plain = age::decrypt(&identity, sealed.as_bytes()).expect("age reads it");
        assert_eq!(plain, b"a secret");
        // Written with work factor 18: an identity that allows only 17 refuses it.
        let mut frugal = age::scrypt::Identity::new(SecretString::from("pass".to_owned()));
        frugal.set_max_work_factor(17);
        assert!(matches!(
            age::decrypt(&frugal, sealed.as_bytes()),
            Err(age::DecryptError::ExcessiveWork { required: 18, .. })
        ));
    }

    #[test]
    fn damaged_truncated_or_foreign_files_are_errors_not_panics() {
        let sealed = seal_with(b"a secret key", "pass");
        let pass = Passphrase::new("pass".into());
        let lines: Vec<&str> = sealed.lines().collect();
        // Every character of the armored body changed in turn, and every truncation.
        for (i, line) in lines.iter().enumerate().skip(1).take(lines.len() - 2) {
            for at in 0..line.len() {
                let mut altered: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
                let mut bytes = altered[i].clone().into_bytes();
                bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
                altered[i] = String::from_utf8(bytes).expect("ASCII");
                let text = altered.join("\n");
                if let Ok(opened) = open(text.as_bytes(), &pass) {
                    // base64 padding bits can change without changing the bytes.
                    assert_eq!(opened.as_slice(), b"a secret key");
                }
            }
        }
        // Everything but the final line ending is needed.
        for cut in 0..sealed.trim_end().len() {
            let opened = open(&sealed.as_bytes()[..cut], &pass);
            assert!(opened.is_err(), "cut at {cut} of {}", sealed.len());
        }
        for junk in [
            &b""[..],
            b"not age at all",
            b"age-encryption.org/v1\n-> X25519 abc\n",
        ] {
            assert!(matches!(open(junk, &pass), Err(OpenError::Damaged(_))));
        }
        assert!(matches!(
            open(&vec![b'a'; MAX_SEALED_BYTES as usize + 1], &pass),
            Err(OpenError::Damaged(_))
        ));
    }
}
