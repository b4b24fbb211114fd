//! The home directory: the participant's key, their self-signed profile, a device tag for
//! Automerge actor ids, and the database.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use margin_core::Timestamp;
use margin_core::body::{Body, Profile};
use margin_core::entry::Entry;
use margin_core::key::SigningKey;

use crate::error::NodeError;

const KEY_FILE: &str = "identity.key";
const PROFILE_FILE: &str = "profile.entry";
const DEVICE_FILE: &str = "device";
const DATABASE_FILE: &str = "margin.db";

/// A node's home directory.
#[derive(Clone, Debug)]
pub struct Home {
    dir: PathBuf,
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

impl Identity {
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
        Ok(Home { dir })
    }

    pub fn at(dir: impl Into<PathBuf>) -> Home {
        Home { dir: dir.into() }
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

    /// Creates the participant's key and self-signed profile. Refuses to overwrite.
    ///
    /// A crash at any moment leaves either a complete identity or none that counts:
    /// every file is written whole under a temporary name, flushed, then renamed into
    /// place, and the key, whose presence means "this home has a participant", comes
    /// last. A device tag or profile left without a key is replaced by the next `init`.
    pub fn init(&self, profile: Profile, now: Timestamp) -> Result<Identity, NodeError> {
        self.create_dir()?;
        let key_path = self.dir.join(KEY_FILE);
        // An empty key file is what an earlier version of Margin left when it crashed
        // during `init`: no key was ever in it, so there is nothing to keep.
        if fs::metadata(&key_path).is_ok_and(|m| m.len() == 0) {
            fs::remove_file(&key_path).map_err(|e| NodeError::io(&key_path, e))?;
        }
        if key_path.exists() {
            return Err(NodeError::IdentityExists(self.dir.display().to_string()));
        }
        let key = SigningKey::generate().map_err(|e| NodeError::Invalid(e.to_string()))?;
        let entry = Entry::sign(&key, None, now, vec![], &Body::Profile(profile.clone()))?;
        let mut device = [0u8; 4];
        getrandom::fill(&mut device).map_err(|e| NodeError::Invalid(e.to_string()))?;
        write_file(&self.dir.join(DEVICE_FILE), hex::encode(device).as_bytes())?;
        write_file(&self.dir.join(PROFILE_FILE), entry.bytes())?;
        write_secret(
            &key_path,
            format!("{}\n", hex::encode(key.to_seed())).as_bytes(),
        )?;
        Ok(Identity {
            key,
            profile_entry: entry,
            profile,
            device,
        })
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

    /// Loads the participant's identity.
    pub fn identity(&self) -> Result<Identity, NodeError> {
        let key_path = self.dir.join(KEY_FILE);
        if !key_path.exists() {
            return Err(NodeError::NoIdentity(self.dir.display().to_string()));
        }
        let text = fs::read_to_string(&key_path).map_err(|e| NodeError::io(&key_path, e))?;
        let seed: [u8; 32] = hex::decode(text.trim())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| NodeError::BadKeyFile(key_path.display().to_string()))?;
        let key = SigningKey::from_seed(seed);
        let profile_path = self.dir.join(PROFILE_FILE);
        let bytes = fs::read(&profile_path).map_err(|e| NodeError::io(&profile_path, e))?;
        let profile_entry = Entry::decode(&bytes)
            .ok()
            .and_then(|e| e.verify().ok())
            .filter(|e| e.author() == key.public())
            .ok_or_else(|| {
                NodeError::Invalid(format!("the profile {} is damaged", profile_path.display()))
            })?;
        let Some(Body::Profile(profile)) = profile_entry.body().cloned() else {
            return Err(NodeError::Invalid(format!(
                "{} is not a profile",
                profile_path.display()
            )));
        };
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
}

/// Replaces a file whole: a crash leaves the old file or the new one, never a part.
fn write_file(path: &Path, bytes: &[u8]) -> Result<(), NodeError> {
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

/// `bytes` in a new temporary file beside `path`, flushed to the disk.
fn write_temporary(path: &Path, bytes: &[u8]) -> Result<tempfile::NamedTempFile, NodeError> {
    let dir = path.parent().unwrap_or(Path::new("."));
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

/// Flushes a directory's entries, so that a rename in it survives a power cut.
fn sync_parent(path: &Path) -> Result<(), NodeError> {
    #[cfg(unix)]
    if let Some(dir) = path.parent() {
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
