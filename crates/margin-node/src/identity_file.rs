//! An identity file: what a home needs to be a participant, their secret key and their
//! signed profile, always encrypted with a passphrase, to move them to another home
//! (`margin key export`, `margin key import`) or keep them as a backup.
//!
//! The file is an age file ([`crate::passphrase`]) whose contents are one JSON object:
//!
//! ```json
//! {
//!   "format": "margin-identity",
//!   "version": 1,
//!   "key": "did:key:z6Mk…",
//!   "secret_key": "64 hex characters: the Ed25519 seed",
//!   "profile": { "name": "Ana", "affiliation": "", "stakeholder": "civil-society", "region": "" },
//!   "profile_entry": "hex of the self-signed profile entry"
//! }
//! ```
//!
//! Anything that speaks age and JSON can write one (a browser included): `profile_entry`
//! may be left out, and the home that imports the file then signs `profile` anew. Fields
//! it does not know are ignored, so later versions can add some. `docs/protocol.md`
//! ("Key files and identity files") is the reference.

use std::io::Read;
use std::path::Path;

use margin_core::Timestamp;
use margin_core::body::{Body, Profile};
use margin_core::entry::Entry;
use margin_core::key::{PublicKey, SigningKey};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::NodeError;
use crate::home::{self, Identity};
use crate::passphrase::{self, OpenError, Passphrase};

/// The `format` field of an identity file.
pub const FORMAT: &str = "margin-identity";
/// The version of the contents this Margin writes and reads.
pub const VERSION: u32 = 1;

/// The JSON inside the encryption.
#[derive(Serialize, Deserialize)]
struct Contents {
    format: String,
    version: u32,
    key: String,
    secret_key: String,
    profile: ProfileFields,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    profile_entry: Option<String>,
}

/// A profile as the file spells it (the field names are the file format's, not Rust's).
#[derive(Serialize, Deserialize)]
struct ProfileFields {
    name: String,
    #[serde(default)]
    affiliation: String,
    #[serde(default)]
    stakeholder: String,
    #[serde(default)]
    region: String,
}

/// A participant read from an identity file, ready for [`crate::Home::adopt`].
pub struct Moved {
    pub key: SigningKey,
    /// The profile entry the file carried, verified and by this key; else one signed
    /// now from the profile the file gave.
    pub profile_entry: Entry,
    pub profile: Profile,
}

/// Writes the identity file of `identity`, encrypted with `passphrase`, to `path`
/// (readable by its owner only). Refuses to replace a file there unless `overwrite`.
pub fn export(
    identity: &Identity,
    passphrase: &Passphrase,
    path: &Path,
    overwrite: bool,
) -> Result<(), NodeError> {
    let text = write(identity, passphrase)?;
    if overwrite {
        home::replace_secret(path, text.as_bytes())
    } else {
        home::write_secret(path, text.as_bytes())
    }
}

/// Reads the identity file at `path` with `passphrase`; `now` dates a profile entry
/// signed anew.
pub fn import(path: &Path, passphrase: &Passphrase, now: Timestamp) -> Result<Moved, NodeError> {
    let file = std::fs::File::open(path).map_err(|e| NodeError::io(path, e))?;
    let mut bytes = Vec::new();
    file.take(passphrase::MAX_SEALED_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| NodeError::io(path, e))?;
    read(&bytes, passphrase, &path.display().to_string(), now)
}

/// The identity file of `identity`, encrypted with `passphrase` (armored age text).
pub fn write(identity: &Identity, passphrase: &Passphrase) -> Result<String, NodeError> {
    let p = &identity.profile;
    let contents = Zeroizing::new(Contents {
        format: FORMAT.to_owned(),
        version: VERSION,
        key: identity.key.public().to_string(),
        secret_key: hex::encode(identity.key.to_seed()),
        profile: ProfileFields {
            name: p.name.clone(),
            affiliation: p.affiliation.clone(),
            stakeholder: p.stakeholder.clone(),
            region: p.region.clone(),
        },
        profile_entry: Some(hex::encode(identity.profile_entry.bytes())),
    });
    let json = Zeroizing::new(
        serde_json::to_vec_pretty(&*contents).map_err(|e| NodeError::Invalid(e.to_string()))?,
    );
    passphrase::seal(&json, passphrase).map_err(|e| NodeError::Invalid(e.to_string()))
}

/// Reads the identity file `bytes` (named `path` in errors) with `passphrase`; `now`
/// dates a profile entry signed anew.
pub fn read(
    bytes: &[u8],
    passphrase: &Passphrase,
    path: &str,
    now: Timestamp,
) -> Result<Moved, NodeError> {
    let bad = |reason: String| NodeError::BadIdentityFile {
        path: path.to_owned(),
        reason,
    };
    if !passphrase::is_sealed(bytes) {
        return Err(bad(
            "it is not encrypted (an identity file is an age file)".into()
        ));
    }
    let json = passphrase::open(bytes, passphrase).map_err(|e| match e {
        OpenError::WrongPassphrase => NodeError::WrongPassphrase(path.to_owned()),
        other => bad(other.to_string()),
    })?;
    let contents: Contents = serde_json::from_slice(&json)
        .map_err(|e| bad(format!("its contents are not an identity ({e})")))?;
    let contents = Zeroizing::new(contents);
    if contents.format != FORMAT {
        return Err(bad(format!(
            "its format is '{}', not '{FORMAT}'",
            contents.format
        )));
    }
    if contents.version != VERSION {
        return Err(bad(format!(
            "it is version {} of the format; this Margin reads version {VERSION}",
            contents.version
        )));
    }
    let seed: Zeroizing<Vec<u8>> = Zeroizing::new(
        hex::decode(contents.secret_key.as_str())
            .map_err(|_| bad("its secret_key is not hex".into()))?,
    );
    let seed: [u8; 32] = seed
        .as_slice()
        .try_into()
        .map_err(|_| bad("its secret_key is not 32 bytes".into()))?;
    let key = SigningKey::from_seed(seed);
    let said: PublicKey = contents
        .key
        .parse()
        .map_err(|_| bad(format!("its key '{}' is not a key", contents.key)))?;
    if said != key.public() {
        return Err(bad("its key is not the one its secret_key makes".into()));
    }
    let profile_entry = match &contents.profile_entry {
        Some(text) => {
            let bytes =
                hex::decode(text).map_err(|_| bad("its profile_entry is not hex".into()))?;
            Entry::decode(&bytes)
                .ok()
                .and_then(|e| e.verify().ok())
                .filter(|e| e.author() == key.public() && e.space().is_none())
                .filter(|e| matches!(e.body(), Some(Body::Profile(_))))
                .ok_or_else(|| bad("its profile_entry is not a profile signed by its key".into()))?
        }
        None => {
            let p = &contents.profile;
            let profile = Profile {
                name: p.name.clone(),
                affiliation: p.affiliation.clone(),
                stakeholder: p.stakeholder.clone(),
                region: p.region.clone(),
            };
            Entry::sign(&key, None, now, vec![], &Body::Profile(profile))
                .map_err(|e| bad(format!("its profile cannot be signed ({e})")))?
        }
    };
    let Some(Body::Profile(profile)) = profile_entry.body().cloned() else {
        return Err(bad("its profile_entry is not a profile".into()));
    };
    Ok(Moved {
        key,
        profile_entry,
        profile,
    })
}

impl zeroize::Zeroize for Contents {
    fn zeroize(&mut self) {
        self.secret_key.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pass(text: &str) -> Passphrase {
        Passphrase::new(text.into())
    }

    fn ana() -> Identity {
        let key = SigningKey::from_seed([7; 32]);
        let profile = Profile {
            name: "Ana".into(),
            affiliation: "Example Org".into(),
            stakeholder: "civil-society".into(),
            region: "Europe".into(),
        };
        let profile_entry = Entry::sign(
            &key,
            None,
            Timestamp::from_millis(1_700_000_000_000),
            vec![],
            &Body::Profile(profile.clone()),
        )
        .expect("a profile entry");
        Identity {
            key,
            profile_entry,
            profile,
            device: [1, 2, 3, 4],
        }
    }

    /// An identity file as another program writes it: `json` encrypted with age.
    fn written_elsewhere(json: &serde_json::Value) -> String {
        passphrase::seal_light(json.to_string().as_bytes(), &pass("pass"))
    }

    fn contents_of(identity: &Identity) -> serde_json::Value {
        serde_json::json!({
            "format": "margin-identity",
            "version": 1,
            "key": identity.key.public().to_string(),
            "secret_key": hex::encode(identity.key.to_seed()),
            "profile": { "name": "Ana", "stakeholder": "civil-society" },
        })
    }

    #[test]
    fn an_identity_file_carries_the_key_and_the_signed_profile() {
        let ana = ana();
        let file = write(&ana, &pass("pass")).expect("write");
        assert!(!file.contains(&hex::encode(ana.key.to_seed())));
        // Nothing of the plaintext shows: words long enough that the encrypted text,
        // whose letters are random, does not spell them by chance ("Ana" did, once in
        // a few hundred runs).
        assert!(!file.contains("civil-society"));
        assert!(!file.contains("margin-identity"));
        let moved =
            read(file.as_bytes(), &pass("pass"), "ana.age", Timestamp::now()).expect("read");
        assert_eq!(moved.key.public(), ana.key.public());
        assert_eq!(moved.profile_entry.bytes(), ana.profile_entry.bytes());
        assert_eq!(moved.profile, ana.profile);
        assert!(matches!(
            read(file.as_bytes(), &pass("other"), "ana.age", Timestamp::now()),
            Err(NodeError::WrongPassphrase(path)) if path == "ana.age"
        ));
    }

    #[test]
    fn a_file_without_a_profile_entry_gets_its_profile_signed_anew() {
        let ana = ana();
        let file = written_elsewhere(&contents_of(&ana));
        let moved = read(file.as_bytes(), &pass("pass"), "f", Timestamp::now()).expect("read");
        assert_eq!(moved.key.public(), ana.key.public());
        assert_eq!(moved.profile_entry.author(), ana.key.public());
        assert_eq!(moved.profile.name, "Ana");
        assert_eq!(moved.profile.stakeholder, "civil-society");
        assert_eq!(moved.profile.region, "");
    }

    #[test]
    fn files_that_are_not_identities_are_refused_with_their_reason() {
        let ana = ana();
        let other = SigningKey::from_seed([9; 32]);
        let mut cases = vec![];
        let mut wrong_key = contents_of(&ana);
        wrong_key["key"] = other.public().to_string().into();
        cases.push((wrong_key, "not the one its secret_key makes"));
        let mut newer = contents_of(&ana);
        newer["version"] = 2.into();
        cases.push((newer, "version 2"));
        let mut foreign = contents_of(&ana);
        foreign["format"] = "something-else".into();
        cases.push((foreign, "format"));
        let mut short = contents_of(&ana);
        short["secret_key"] = "abcd".into();
        cases.push((short, "32 bytes"));
        let mut someone_elses_profile = contents_of(&ana);
        let entry = Entry::sign(
            &other,
            None,
            Timestamp::now(),
            vec![],
            &Body::Profile(ana.profile.clone()),
        )
        .expect("a profile entry");
        someone_elses_profile["profile_entry"] = hex::encode(entry.bytes()).into();
        cases.push((someone_elses_profile, "not a profile signed by its key"));
        cases.push((
            serde_json::json!(["not", "an", "identity"]),
            "not an identity",
        ));
        for (json, reason) in cases {
            let file = written_elsewhere(&json);
            match read(file.as_bytes(), &pass("pass"), "f", Timestamp::now()) {
                Err(NodeError::BadIdentityFile { reason: r, .. }) => {
                    assert!(r.contains(reason), "{r} (expected {reason})")
                }
                Err(e) => panic!("{json}: {e}"),
                Ok(_) => panic!("{json} was read"),
            }
        }
        // In the clear: refused without being read.
        let clear = contents_of(&ana).to_string();
        assert!(matches!(
            read(clear.as_bytes(), &pass("pass"), "f", Timestamp::now()),
            Err(NodeError::BadIdentityFile { reason, .. }) if reason.contains("not encrypted")
        ));
    }

    #[test]
    fn the_example_in_the_protocol_document_reads() {
        let doc = include_str!("../../../docs/protocol.md");
        let section = &doc[doc.find("## 8. Key files").expect("section 8")..];
        let start = section.find("```json\n").expect("the example") + "```json\n".len();
        let end = start + section[start..].find("```").expect("the example's end");
        let mut example: serde_json::Value =
            serde_json::from_str(&section[start..end]).expect("JSON");
        // Its profile entry is elided ("0100…"); without one the profile is signed anew.
        example
            .as_object_mut()
            .expect("an object")
            .remove("profile_entry");
        let file = written_elsewhere(&example);
        let moved = read(file.as_bytes(), &pass("pass"), "f", Timestamp::now()).expect("read");
        assert_eq!(moved.key.public().to_string(), example["key"]);
        assert_eq!(moved.profile.stakeholder, "civil-society");
    }
}
