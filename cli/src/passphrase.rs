//! Where the CLI's passphrases come from: the file `--passphrase-file` or
//! `MARGIN_PASSPHRASE_FILE` names (for services and scripts), else typed at the terminal
//! without echo. With neither, a command that needs one fails saying how to give it.

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};

use margin_node::NodeError;
use margin_node::passphrase::Passphrase;

/// The largest passphrase file read.
const MAX_FILE_BYTES: u64 = 64 * 1024;

/// How this command gets its passphrases.
#[derive(Clone, Debug)]
pub struct Passphrases {
    file: Option<PathBuf>,
}

impl Passphrases {
    pub fn new(file: Option<PathBuf>) -> Passphrases {
        Passphrases { file }
    }

    /// The passphrase `what` (`the key in DIR`, a file) already has: the file's, or typed
    /// once.
    pub fn existing(&self, what: &str) -> Result<Passphrase, NodeError> {
        if let Some(file) = &self.file {
            return read_file(file);
        }
        let typed = prompt(&format!("Passphrase for {what}: "), what)?;
        if typed.is_empty() {
            return Err(NodeError::WrongPassphrase(what.to_owned()));
        }
        Ok(typed)
    }

    /// A new passphrase for `what`: the file's, or typed twice.
    pub fn new_one(&self, what: &str) -> Result<Passphrase, NodeError> {
        self.new_from(self.file.as_deref(), what)
    }

    /// A new passphrase for `what` from `file` if given, else typed twice.
    pub fn new_from(&self, file: Option<&Path>, what: &str) -> Result<Passphrase, NodeError> {
        if let Some(file) = file {
            return read_file(file);
        }
        let first = prompt(&format!("New passphrase for {what}: "), what)?;
        if first.is_empty() {
            return Err(NodeError::Invalid(
                "an empty passphrase protects nothing; nothing was changed".into(),
            ));
        }
        let again = prompt("The same passphrase again: ", what)?;
        if !first.same_as(&again) {
            return Err(NodeError::Invalid(
                "the two passphrases differ; nothing was changed".into(),
            ));
        }
        Ok(first)
    }

    /// Whether passphrases come from a file rather than the terminal.
    pub fn read_from_file(&self) -> bool {
        self.file.is_some()
    }
}

/// Asks at the terminal, without echo; fails when no one is at one.
fn prompt(text: &str, what: &str) -> Result<Passphrase, NodeError> {
    if !std::io::stdin().is_terminal() {
        return Err(NodeError::PassphraseNeeded(what.to_owned()));
    }
    rpassword::prompt_password(text)
        .map(Passphrase::new)
        .map_err(|e| NodeError::Invalid(format!("cannot read the passphrase: {e}")))
}

/// The first line of `path`, without its line ending.
fn read_file(path: &Path) -> Result<Passphrase, NodeError> {
    let file = std::fs::File::open(path).map_err(|e| NodeError::io(path, e))?;
    let mut bytes = zeroize::Zeroizing::new(Vec::new());
    file.take(MAX_FILE_BYTES)
        .read_to_end(&mut bytes)
        .map_err(|e| NodeError::io(path, e))?;
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        NodeError::Invalid(format!(
            "the passphrase file {} is not text",
            path.display()
        ))
    })?;
    let line = text.lines().next().unwrap_or_default();
    if line.is_empty() {
        return Err(NodeError::Invalid(format!(
            "the passphrase file {} is empty: an empty passphrase protects nothing",
            path.display()
        )));
    }
    Ok(Passphrase::new(line.to_owned()))
}
