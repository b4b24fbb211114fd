//! The home directory: the participant's key, their self-signed profile, a device tag for
//! Automerge actor ids, and the database.
//!
//! The key file holds the key's 32-byte Ed25519 seed as 64 hex characters and a newline,
//! or, when it is protected by a passphrase, that same text encrypted with the passphrase
//! ([`crate::passphrase`]: an age file). Everything that only shows who the participant
//! is ([`Home::public_identity`]) reads the profile and never needs the passphrase; what
//! signs ([`Home::identity`]) unlocks the key, asking for the passphrase at most once per
//! home (and its clones).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use margin_core::Timestamp;
use margin_core::body::{Body, Profile};
use margin_core::entry::Entry;
use margin_core::key::{PublicKey, SigningKey};
use zeroize::Zeroizing;

use crate::error::NodeError;
use crate::passphrase::{self, OpenError, Passphrase};

const KEY_FILE: &str = "identity.key";
const PROFILE_FILE: &str = "profile.entry";
const DEVICE_FILE: &str = "device";
const DATABASE_FILE: &str = "margin.db";

/// The largest key file read: a protected key is a few hundred bytes.
const MAX_KEY_FILE_BYTES: u64 = 64 * 1024;

/// A node's home directory.
#[derive(Clone)]
pub struct Home {
    dir: PathBuf,
    unlock: Unlock,
}

/// How this home's key is unlocked when it is protected by a passphrase.
#[derive(Clone, Default)]
struct Unlock {
    /// Asks for the passphrase of what it is told (`the key in DIR`).
    ask: Option<Arc<AskPassphrase>>,
    /// The key last unlocked and the protected file it came from, shared by the home's
    /// clones: a process asks once, and again only if the file changes.
    unlocked: Arc<Mutex<Option<Unlocked>>>,
}

/// A protected key file's bytes, and the key they hold.
type Unlocked = (Vec<u8>, SigningKey);

/// A front end's way of getting a passphrase (a prompt, a file), told what it is for.
type AskPassphrase = dyn Fn(&str) -> Result<Passphrase, NodeError> + Send + Sync;

impl std::fmt::Debug for Home {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Home").field("dir", &self.dir).finish()
    }
}

/// The key file as stored.
enum StoredKey {
    Clear(SigningKey),
    /// An age file whose contents are the clear key file's.
    Protected(Vec<u8>),
}

/// The participant this home belongs to.
#[derive(Clone, Debug)]
pub struct Identity {
    pub key: SigningKey,
    /// The self-signed profile entry (outside any space).
    pub profile_entry: Entry,
    /// What the profile says.
    pub profile: Profile,
    /// Distinguishes this home's Automerge actor from the same key's other devices.
    pub device: [u8; 4],
}

/// Who this home's participant is, as everyone may know it: read without the passphrase.
#[derive(Clone, Debug)]
pub struct PublicIdentity {
    pub key: PublicKey,
    /// The self-signed profile entry (outside any space).
    pub profile_entry: Entry,
    pub profile: Profile,
    /// Whether the secret key is protected by a passphrase.
    pub protected: bool,
}

impl Identity {
    /// Who this is, without the secret key (and `protected` false: this key is
    /// unlocked, whatever the file it came from).
    pub fn public(&self) -> PublicIdentity {
        PublicIdentity {
            key: self.key.public(),
            profile_entry: self.profile_entry.clone(),
            profile: self.profile.clone(),
            protected: false,
        }
    }

    /// A fresh Automerge actor id for one revision: the 32 key bytes, the device tag,
    /// then four random bytes. A home restored from a backup, or one that lost its last
    /// writes in a power cut, does not know every change it published; were a revision
    /// made by an actor it used before, it could publish a second change under an
    /// (actor, seq) that peers already hold, and they would refuse it. A new actor per
    /// revision never repeats one.
    pub fn actor(&self) -> automerge::ActorId {
        let mut bytes = self.key.public().as_bytes().to_vec();
        bytes.extend_from_slice(&self.device);
        let mut session = [0u8; 4];
        if getrandom::fill(&mut session).is_err() {
            // No randomness: the time is unique enough for one home.
            session = (Timestamp::now().as_millis() as u32).to_le_bytes();
        }
        bytes.extend_from_slice(&session);
        automerge::ActorId::from(bytes)
    }
}

impl Home {
    /// The home at `explicit` (from `--home` or `MARGIN_HOME`), else the platform's data
    /// directory for Margin (e.g. `~/.local/share/margin` on Linux).
    pub fn resolve(explicit: Option<PathBuf>) -> Result<Home, NodeError> {
        let dir = match explicit {
            Some(dir) => dir,
            None => directories::ProjectDirs::from("org", "Margin", "margin")
                .map(|d| d.data_dir().to_path_buf())
                .ok_or(NodeError::NoHome)?,
        };
        Ok(Home::at(dir))
    }

    pub fn at(dir: impl Into<PathBuf>) -> Home {
        Home {
            dir: dir.into(),
            unlock: Unlock::default(),
        }
    }

    /// The same home, whose protected key is unlocked with the passphrase `ask` gives
    /// when something needs to sign. A key already unlocked stays unlocked.
    pub fn with_passphrase(
        mut self,
        ask: impl Fn(&str) -> Result<Passphrase, NodeError> + Send + Sync + 'static,
    ) -> Home {
        self.unlock.ask = Some(Arc::new(ask));
        self
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn database(&self) -> PathBuf {
        self.dir.join(DATABASE_FILE)
    }

    fn create_dir(&self) -> Result<(), NodeError> {
        fs::create_dir_all(&self.dir).map_err(|e| NodeError::io(&self.dir, e))
    }

    /// Whether this home has a participant (a key file, protected or not).
    pub fn has_identity(&self) -> bool {
        fs::metadata(self.key_path()).is_ok_and(|m| m.len() > 0)
    }

    /// Whether this home's key is protected by a passphrase.
    pub fn is_protected(&self) -> Result<bool, NodeError> {
        Ok(matches!(self.stored_key()?, StoredKey::Protected(_)))
    }

    /// Creates the participant's key and self-signed profile. Refuses to overwrite.
    ///
    /// A crash at any moment leaves either a complete identity or none that counts:
    /// every file is written whole under a temporary name, flushed, then renamed into
    /// place, and the key, whose presence means "this home has a participant", comes
    /// last. A device tag or profile left without a key is replaced by the next `init`.
    pub fn init(&self, profile: Profile, now: Timestamp) -> Result<Identity, NodeError> {
        self.create(profile, now, None)
    }

    /// Like [`Home::init`], with the key protected by `passphrase` from the start: it
    /// is never written in the clear.
    pub fn init_protected(
        &self,
        profile: Profile,
        now: Timestamp,
        passphrase: &Passphrase,
    ) -> Result<Identity, NodeError> {
        self.create(profile, now, Some(passphrase))
    }

    fn create(
        &self,
        profile: Profile,
        now: Timestamp,
        protection: Option<&Passphrase>,
    ) -> Result<Identity, NodeError> {
        self.create_dir()?;
        self.refuse_to_overwrite()?;
        let key = SigningKey::generate().map_err(|e| NodeError::Invalid(e.to_string()))?;
        let entry = Entry::sign(&key, None, now, vec![], &Body::Profile(profile))?;
        self.install(key, entry, protection, false)
    }

    /// Makes this home the participant whose key and profile entry are given (moved
    /// from another home): the identity file's import. Refuses to replace a participant
    /// already here unless `replace`. The home gets a device tag of its own.
    pub fn adopt(
        &self,
        key: SigningKey,
        profile_entry: Entry,
        protection: Option<&Passphrase>,
        replace: bool,
    ) -> Result<Identity, NodeError> {
        self.create_dir()?;
        if !replace {
            self.refuse_to_overwrite()?;
        }
        self.install(key, profile_entry, protection, replace)
    }

    /// Fails when a key is here; an empty key file is what an earlier version of Margin
    /// left when it crashed during `init`: no key was ever in it, so it is removed.
    fn refuse_to_overwrite(&self) -> Result<(), NodeError> {
        let key_path = self.key_path();
        if fs::metadata(&key_path).is_ok_and(|m| m.len() == 0) {
            fs::remove_file(&key_path).map_err(|e| NodeError::io(&key_path, e))?;
        }
        if key_path.exists() {
            return Err(NodeError::IdentityExists(self.dir.display().to_string()));
        }
        Ok(())
    }

    /// Writes the device tag, the profile and the key, the key last.
    fn install(
        &self,
        key: SigningKey,
        profile_entry: Entry,
        protection: Option<&Passphrase>,
        replace: bool,
    ) -> Result<Identity, NodeError> {
        let Some(Body::Profile(profile)) = profile_entry
            .body()
            .filter(|_| profile_entry.author() == key.public())
            .cloned()
        else {
            return Err(NodeError::Invalid(
                "the profile is not a profile signed by this key".into(),
            ));
        };
        let key_file = match protection {
            Some(passphrase) => self.seal_key(&key, passphrase)?,
            None => Zeroizing::new(clear_key_file(&key).into_bytes()),
        };
        let mut device = [0u8; 4];
        getrandom::fill(&mut device).map_err(|e| NodeError::Invalid(e.to_string()))?;
        write_file(&self.dir.join(DEVICE_FILE), hex::encode(device).as_bytes())?;
        write_file(&self.dir.join(PROFILE_FILE), profile_entry.bytes())?;
        if replace {
            replace_secret(&self.key_path(), &key_file)?;
        } else {
            write_secret(&self.key_path(), &key_file)?;
        }
        self.remember(&key_file, &key, protection.is_some());
        Ok(Identity {
            key,
            profile_entry,
            profile,
            device,
        })
    }

    /// Protects the key with `passphrase` (or gives it a new one, once unlocked with the
    /// one it has): the key file is replaced whole by its encrypted form.
    pub fn protect(&self, passphrase: &Passphrase) -> Result<PublicIdentity, NodeError> {
        let identity = self.identity()?;
        let sealed = self.seal_key(&identity.key, passphrase)?;
        replace_secret(&self.key_path(), &sealed)?;
        self.remember(&sealed, &identity.key, true);
        Ok(PublicIdentity {
            protected: true,
            ..identity.public()
        })
    }

    /// Stores the key in the clear again (readable by its owner only), once unlocked.
    pub fn unprotect(&self) -> Result<PublicIdentity, NodeError> {
        let identity = self.identity()?;
        let clear = Zeroizing::new(clear_key_file(&identity.key));
        replace_secret(&self.key_path(), clear.as_bytes())?;
        self.remember(clear.as_bytes(), &identity.key, false);
        Ok(identity.public())
    }

    fn seal_key(
        &self,
        key: &SigningKey,
        passphrase: &Passphrase,
    ) -> Result<Zeroizing<Vec<u8>>, NodeError> {
        let clear = Zeroizing::new(clear_key_file(key));
        passphrase::seal(clear.as_bytes(), passphrase)
            .map(|text| Zeroizing::new(text.into_bytes()))
            .map_err(|e| NodeError::Invalid(e.to_string()))
    }

    /// Keeps an unlocked key for this home's clones, with the file it was read from.
    fn remember(&self, key_file: &[u8], key: &SigningKey, protected: bool) {
        let mut unlocked = self
            .unlock
            .unlocked
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *unlocked = protected.then(|| (key_file.to_vec(), key.clone()));
    }

    /// Replaces the self-signed profile (the key stays).
    pub fn set_profile(
        &self,
        identity: &Identity,
        profile: Profile,
        now: Timestamp,
    ) -> Result<Identity, NodeError> {
        let time = now.max(identity.profile_entry.time().saturating_add_millis(1));
        let entry = Entry::sign(
            &identity.key,
            None,
            time,
            vec![],
            &Body::Profile(profile.clone()),
        )?;
        write_file(&self.dir.join(PROFILE_FILE), entry.bytes())?;
        Ok(Identity {
            profile_entry: entry,
            profile,
            ..identity.clone()
        })
    }

    /// Who the participant is, without unlocking their key.
    pub fn public_identity(&self) -> Result<PublicIdentity, NodeError> {
        let stored = self.stored_key()?;
        let (profile_entry, profile) = self.profile()?;
        let protected = match &stored {
            StoredKey::Clear(key) => {
                self.check_profile_author(&profile_entry, key)?;
                false
            }
            StoredKey::Protected(_) => true,
        };
        Ok(PublicIdentity {
            key: profile_entry.author(),
            profile_entry,
            profile,
            protected,
        })
    }

    /// Loads the participant's identity, unlocking a protected key (with the passphrase
    /// [`Home::with_passphrase`] gives, asked once).
    pub fn identity(&self) -> Result<Identity, NodeError> {
        let key = match self.stored_key()? {
            StoredKey::Clear(key) => key,
            StoredKey::Protected(sealed) => self.unlocked(sealed)?,
        };
        let (profile_entry, profile) = self.profile()?;
        self.check_profile_author(&profile_entry, &key)?;
        let device_path = self.dir.join(DEVICE_FILE);
        let device = fs::read_to_string(&device_path)
            .ok()
            .and_then(|t| hex::decode(t.trim()).ok())
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| {
                NodeError::Invalid(format!(
                    "the device tag {} is damaged",
                    device_path.display()
                ))
            })?;
        Ok(Identity {
            key,
            profile_entry,
            profile,
            device,
        })
    }

    fn key_path(&self) -> PathBuf {
        self.dir.join(KEY_FILE)
    }

    fn stored_key(&self) -> Result<StoredKey, NodeError> {
        let key_path = self.key_path();
        if !self.has_identity() {
            return Err(NodeError::NoIdentity(self.dir.display().to_string()));
        }
        let damaged = |reason: &str| NodeError::KeyFileDamaged {
            path: key_path.display().to_string(),
            reason: reason.to_owned(),
        };
        let size = fs::metadata(&key_path)
            .map_err(|e| NodeError::io(&key_path, e))?
            .len();
        if size > MAX_KEY_FILE_BYTES {
            return Err(damaged("it is far larger than a key"));
        }
        let bytes = Zeroizing::new(fs::read(&key_path).map_err(|e| NodeError::io(&key_path, e))?);
        if passphrase::is_sealed(&bytes) {
            return Ok(StoredKey::Protected(bytes.to_vec()));
        }
        parse_clear_key(&bytes)
            .map(StoredKey::Clear)
            .ok_or_else(|| NodeError::BadKeyFile(key_path.display().to_string()))
    }

    /// The key a protected key file holds: the one unlocked before, if the file is the
    /// same, else decrypted with the passphrase asked for now.
    fn unlocked(&self, sealed: Vec<u8>) -> Result<SigningKey, NodeError> {
        {
            let unlocked = self
                .unlock
                .unlocked
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if let Some((file, key)) = unlocked.as_ref()
                && *file == sealed
            {
                return Ok(key.clone());
            }
        }
        let what = format!("the key in {}", self.dir.display());
        let Some(ask) = &self.unlock.ask else {
            return Err(NodeError::PassphraseNeeded(what));
        };
        let passphrase = ask(&what)?;
        let key_path = self.key_path().display().to_string();
        let clear = passphrase::open(&sealed, &passphrase).map_err(|e| match e {
            OpenError::WrongPassphrase => NodeError::WrongPassphrase(what.clone()),
            other => NodeError::KeyFileDamaged {
                path: key_path.clone(),
                reason: other.to_string(),
            },
        })?;
        let key = parse_clear_key(&clear).ok_or_else(|| NodeError::KeyFileDamaged {
            path: key_path,
            reason: "it decrypts, but not to a key".into(),
        })?;
        self.remember(&sealed, &key, true);
        Ok(key)
    }

    /// The self-signed profile entry, verified, and what it says.
    fn profile(&self) -> Result<(Entry, Profile), NodeError> {
        let profile_path = self.dir.join(PROFILE_FILE);
        let damaged =
            || NodeError::Invalid(format!("the profile {} is damaged", profile_path.display()));
        let bytes = fs::read(&profile_path).map_err(|e| NodeError::io(&profile_path, e))?;
        let profile_entry = Entry::decode(&bytes)
            .ok()
            .and_then(|e| e.verify().ok())
            .ok_or_else(damaged)?;
        let Some(Body::Profile(profile)) = profile_entry.body().cloned() else {
            return Err(NodeError::Invalid(format!(
                "{} is not a profile",
                profile_path.display()
            )));
        };
        Ok((profile_entry, profile))
    }

    fn check_profile_author(
        &self,
        profile_entry: &Entry,
        key: &SigningKey,
    ) -> Result<(), NodeError> {
        if profile_entry.author() == key.public() {
            Ok(())
        } else {
            Err(NodeError::Invalid(format!(
                "the profile {} is damaged",
                self.dir.join(PROFILE_FILE).display()
            )))
        }
    }
}

/// The key file's text in the clear: the seed as 64 hex characters and a newline.
fn clear_key_file(key: &SigningKey) -> String {
    format!("{}\n", hex::encode(key.to_seed()))
}

fn parse_clear_key(bytes: &[u8]) -> Option<SigningKey> {
    let text = std::str::from_utf8(bytes).ok()?;
    let seed: Zeroizing<Vec<u8>> = Zeroizing::new(hex::decode(text.trim()).ok()?);
    let seed: [u8; 32] = seed.as_slice().try_into().ok()?;
    Some(SigningKey::from_seed(seed))
}

/// Replaces a file whole: a crash leaves the old file or the new one, never a part.
pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<(), NodeError> {
    let file = write_temporary(path, bytes)?;
    file.persist(path)
        .map_err(|e| NodeError::io(path, e.error))?;
    sync_parent(path)
}

/// Creates a file readable by its owner only (a key, a token), failing if it exists. A
/// crash leaves no file or the whole file: never an empty or partial key.
pub fn write_secret(path: &Path, bytes: &[u8]) -> Result<(), NodeError> {
    // Temporary files are created readable by their owner only.
    let file = write_temporary(path, bytes)?;
    file.persist_noclobber(path)
        .map_err(|e| NodeError::io(path, e.error))?;
    sync_parent(path)
}

/// Replaces a file whole with one readable by its owner only (a key, an identity file).
pub fn replace_secret(path: &Path, bytes: &[u8]) -> Result<(), NodeError> {
    // Temporary files are created readable by their owner only.
    write_file(path, bytes)
}

/// `bytes` in a new temporary file beside `path`, flushed to the disk.
fn write_temporary(path: &Path, bytes: &[u8]) -> Result<tempfile::NamedTempFile, NodeError> {
    let dir = parent_dir(path);
    let mut file = tempfile::Builder::new()
        .prefix(".partial-")
        .tempfile_in(dir)
        .map_err(|e| NodeError::io(dir, e))?;
    file.write_all(bytes).map_err(|e| NodeError::io(path, e))?;
    file.as_file()
        .sync_all()
        .map_err(|e| NodeError::io(path, e))?;
    Ok(file)
}

/// The directory `path` is in (`.` for a bare file name).
fn parent_dir(path: &Path) -> &Path {
    path.parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Flushes a directory's entries, so that a rename in it survives a power cut.
fn sync_parent(path: &Path) -> Result<(), NodeError> {
    #[cfg(unix)]
    {
        let dir = parent_dir(path);
        fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| NodeError::io(dir, e))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile() -> Profile {
        Profile {
            name: "Ana".into(),
            affiliation: String::new(),
            stakeholder: "civil-society".into(),
            region: String::new(),
        }
    }

    #[test]
    fn init_after_a_crash_that_left_no_key_makes_a_whole_identity() {
        let dir = tempfile::tempdir().expect("a directory");
        let home = Home::at(dir.path());
        // What a crash between the files leaves: a device tag and a profile, no key;
        // and a temporary file that was never renamed.
        fs::write(dir.path().join(DEVICE_FILE), "0011").expect("device");
        fs::write(dir.path().join(PROFILE_FILE), b"half a prof").expect("profile");
        fs::write(dir.path().join(".partial-abc"), b"12").expect("temporary");
        let made = home.init(profile(), Timestamp::now()).expect("init");
        let read = home.identity().expect("the identity");
        assert_eq!(read.key.public(), made.key.public());
        assert_eq!(read.device, made.device);
        assert_eq!(read.profile.name, "Ana");
    }

    #[test]
    fn an_empty_key_file_is_replaced_and_a_real_one_never_is() {
        let dir = tempfile::tempdir().expect("a directory");
        let home = Home::at(dir.path());
        fs::write(dir.path().join(KEY_FILE), b"").expect("empty key");
        let made = home
            .init(profile(), Timestamp::now())
            .expect("init over an empty key");
        assert!(matches!(
            home.init(profile(), Timestamp::now()),
            Err(NodeError::IdentityExists(_))
        ));
        assert_eq!(
            home.identity().expect("the identity").key.public(),
            made.key.public()
        );
    }

    fn pass(text: &str) -> Passphrase {
        Passphrase::new(text.into())
    }

    #[test]
    fn a_protected_key_is_never_in_the_clear_and_is_unlocked_once() {
        let dir = tempfile::tempdir().expect("a directory");
        let asked = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let home = Home::at(dir.path()).with_passphrase({
            let asked = asked.clone();
            move |what| {
                assert!(what.starts_with("the key in "), "{what}");
                asked.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                Ok(pass("right"))
            }
        });
        let made = home
            .init_protected(profile(), Timestamp::now(), &pass("right"))
            .expect("init");
        let file = fs::read(dir.path().join(KEY_FILE)).expect("the key file");
        assert!(passphrase::is_sealed(&file));
        let seed = hex::encode(made.key.to_seed());
        assert!(!String::from_utf8_lossy(&file).contains(&seed));

        // Who the participant is needs no passphrase; signing does.
        let bare = Home::at(dir.path());
        let public = bare.public_identity().expect("the public identity");
        assert_eq!(public.key, made.key.public());
        assert!(public.protected);
        assert!(matches!(
            bare.identity(),
            Err(NodeError::PassphraseNeeded(_))
        ));
        let wrong = Home::at(dir.path()).with_passphrase(|_| Ok(pass("wrong")));
        assert!(matches!(
            wrong.identity(),
            Err(NodeError::WrongPassphrase(_))
        ));

        // Unlocked at init: neither the home nor its clones ask again.
        let clone = home.clone();
        assert_eq!(
            home.identity().expect("unlocked").key.public(),
            made.key.public()
        );
        assert_eq!(
            clone.identity().expect("unlocked").key.public(),
            made.key.public()
        );
        assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), 0);
        // A home opened afresh asks once.
        let fresh = Home::at(dir.path()).with_passphrase({
            let asked = asked.clone();
            move |_| {
                asked.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                Ok(pass("right"))
            }
        });
        for _ in 0..3 {
            fresh.clone().identity().expect("unlocked");
        }
        assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[test]
    fn protecting_and_unprotecting_keep_the_key() {
        let dir = tempfile::tempdir().expect("a directory");
        let home = Home::at(dir.path()).with_passphrase(|_| Ok(pass("second")));
        let made = home.init(profile(), Timestamp::now()).expect("init");
        let public = home.protect(&pass("first")).expect("protect");
        assert!(public.protected);
        assert!(home.is_protected().expect("the key file"));
        // The key in memory stays unlocked; a new passphrase needs the current one.
        let fresh = Home::at(dir.path()).with_passphrase(|_| Ok(pass("first")));
        fresh.protect(&pass("second")).expect("a new passphrase");
        let public = home.unprotect().expect("unprotect");
        assert!(!public.protected);
        let text = fs::read_to_string(dir.path().join(KEY_FILE)).expect("the key file");
        assert_eq!(text, format!("{}\n", hex::encode(made.key.to_seed())));
        assert_eq!(
            Home::at(dir.path())
                .identity()
                .expect("in the clear")
                .key
                .public(),
            made.key.public()
        );
    }

    #[test]
    fn a_damaged_protected_key_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().expect("a directory");
        let home = Home::at(dir.path());
        home.init_protected(profile(), Timestamp::now(), &pass("right"))
            .expect("init");
        let good = fs::read_to_string(dir.path().join(KEY_FILE)).expect("the key file");
        let lines: Vec<&str> = good.lines().collect();
        // The last line of the payload, its first character changed.
        let mut altered_body = lines.clone();
        let last = lines.len() - 2;
        let changed = format!(
            "{}{}",
            if lines[last].starts_with('A') {
                'B'
            } else {
                'A'
            },
            &lines[last][1..]
        );
        altered_body[last] = &changed;
        let damaged = [
            good[..good.len() / 2].to_owned(),
            altered_body.join("\n"),
            format!("{good}trailing words"),
            "-----BEGIN AGE ENCRYPTED FILE-----\n-----END AGE ENCRYPTED FILE-----\n".to_owned(),
            passphrase::seal_light(b"not a key", &pass("right")),
            "not a key at all".to_owned(),
        ];
        for text in damaged {
            fs::write(dir.path().join(KEY_FILE), &text).expect("damage the key");
            let unlocking = Home::at(dir.path()).with_passphrase(|_| Ok(pass("right")));
            match unlocking.identity() {
                Err(NodeError::KeyFileDamaged { .. } | NodeError::BadKeyFile(_)) => {}
                other => panic!("{text}: {other:?}"),
            }
        }
        fs::write(dir.path().join(KEY_FILE), vec![b'a'; 1 << 20]).expect("a huge key file");
        assert!(matches!(
            home.public_identity(),
            Err(NodeError::KeyFileDamaged { .. })
        ));
    }

    #[cfg(unix)]
    #[test]
    fn the_key_is_readable_by_its_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("a directory");
        Home::at(dir.path())
            .init(profile(), Timestamp::now())
            .expect("init");
        let mode = fs::metadata(dir.path().join(KEY_FILE))
            .expect("the key")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
