//! `margin key`: protecting this home's key with a passphrase, and moving the participant
//! to another home in an identity file (always encrypted).

use margin_core::Timestamp;
use margin_node::{Home, NodeError, PublicIdentity, identity_file};
use serde_json::json;

use crate::args::KeyCommand;
use crate::output::emit;
use crate::passphrase::Passphrases;

pub fn run(
    home: &Home,
    c: KeyCommand,
    passphrases: &Passphrases,
    json: bool,
) -> Result<(), NodeError> {
    match c {
        KeyCommand::Protect {
            new_passphrase_file,
        } => protect(home, passphrases, new_passphrase_file.as_deref(), json),
        KeyCommand::Unprotect => unprotect(home, json),
        KeyCommand::Rotate => rotate(home, passphrases, json),
        KeyCommand::Export { out, force } => {
            if out.exists() && !force {
                return Err(NodeError::Invalid(format!(
                    "{} already exists; give --force to replace it",
                    out.display()
                )));
            }
            // The key first: a wrong passphrase stops here, before a new one is typed.
            let identity = home.identity()?;
            let passphrase = passphrases.new_one(&out.display().to_string())?;
            identity_file::export(&identity, &passphrase, &out, force)?;
            let key = identity.key.public();
            let value = json!({ "key": key.to_string(), "file": out.display().to_string() });
            emit(json, &value, |_| {
                println!(
                    "Wrote {} ({key}) to {}, encrypted with its passphrase.",
                    identity.profile.name,
                    out.display()
                );
                println!("`margin key import FILE` in another home makes it this participant.");
            });
            Ok(())
        }
        KeyCommand::Import { file, replace } => {
            if !replace && let Ok(here) = home.public_identity() {
                return Err(NodeError::Invalid(format!(
                    "{} already has a participant, {} ({}): give --replace to replace them (export their key first: margin key export)",
                    home.dir().display(),
                    here.profile.name,
                    here.key
                )));
            }
            let passphrase = passphrases.existing(&file.display().to_string())?;
            let moved = identity_file::import(&file, &passphrase, Timestamp::now())?;
            let identity =
                home.adopt(moved.key, moved.profile_entry, Some(&passphrase), replace)?;
            let key = identity.key.public();
            let value = json!({
                "key": key.to_string(),
                "name": identity.profile.name,
                "home": home.dir().display().to_string(),
                "protected": true,
            });
            emit(json, &value, |_| {
                println!(
                    "Imported {} ({key}) into {}.",
                    identity.profile.name,
                    home.dir().display()
                );
                println!(
                    "The key is protected by the identity file's passphrase (`margin key unprotect` stores it in the clear)."
                );
            });
            Ok(())
        }
    }
}

fn protect(
    home: &Home,
    passphrases: &Passphrases,
    new_passphrase_file: Option<&std::path::Path>,
    json: bool,
) -> Result<(), NodeError> {
    let what = format!("the key in {}", home.dir().display());
    let passphrase = if home.is_protected()? {
        // The current passphrase first (asked or read), then the new one: never the
        // same file for both.
        home.identity()?;
        if new_passphrase_file.is_none() && passphrases.read_from_file() {
            return Err(NodeError::Invalid(format!(
                "{what} already has a passphrase: give the new one with --new-passphrase-file FILE"
            )));
        }
        passphrases.new_from(new_passphrase_file, &what)?
    } else {
        home.public_identity()?;
        match new_passphrase_file {
            Some(file) => passphrases.new_from(Some(file), &what)?,
            None => passphrases.new_one(&what)?,
        }
    };
    let public = home.protect(&passphrase)?;
    emit(json, &status(home, &public), |_| {
        println!(
            "The key in {} is protected by a passphrase: commands that sign ask for it, and `margin node` asks once when it starts (services: --passphrase-file FILE or MARGIN_PASSPHRASE_FILE).",
            home.dir().display()
        );
    });
    Ok(())
}

fn unprotect(home: &Home, json: bool) -> Result<(), NodeError> {
    let public = if home.is_protected()? {
        home.unprotect()?
    } else {
        home.public_identity()?
    };
    emit(json, &status(home, &public), |_| {
        println!(
            "The key in {} is stored in the clear, readable by you only: no passphrase is asked.",
            home.dir().display()
        );
    });
    Ok(())
}

/// A new key, linked from the old one; protected by the same passphrase when the old
/// one was.
fn rotate(home: &Home, passphrases: &Passphrases, json: bool) -> Result<(), NodeError> {
    let before = home.public_identity()?;
    let (home, passphrase) = if before.protected {
        // Asked once: it unlocks the old key and protects the new one.
        let passphrase = passphrases.existing(&format!("the key in {}", home.dir().display()))?;
        let given = passphrase.clone();
        (
            home.clone().with_passphrase(move |_| Ok(given.clone())),
            Some(passphrase),
        )
    } else {
        (home.clone(), None)
    };
    let mut node = margin_node::Node::open(home.clone())?;
    let (key, entries) = node.rotate_key(passphrase.as_ref())?;
    let value = json!({
        "key": key.to_string(),
        "previous": before.key.to_string(),
        "entries": entries,
        "protected": passphrase.is_some(),
    });
    emit(json, &value, |_| {
        println!("This home now signs with {key}.");
        println!(
            "The old key {} is linked to it: what it signed stays yours; what it signs from now on counts for nothing.",
            before.key
        );
        println!("Sync your spaces so that every node learns of the rotation.");
    });
    Ok(())
}

/// `{key, home, protected}`.
fn status(home: &Home, public: &PublicIdentity) -> serde_json::Value {
    json!({
        "key": public.key.to_string(),
        "home": home.dir().display().to_string(),
        "protected": public.protected,
    })
}
