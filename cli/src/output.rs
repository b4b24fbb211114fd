//! Printing results: JSON for scripts, short text for people.

use margin_node::NodeError;
use serde::Serialize;
use serde_json::Value;

/// An error as the CLI says it: the node's words, with what to do here (a command to
/// run, a flag to give). The node's errors name no command; the web says its own.
pub fn describe(err: &NodeError) -> String {
    match err {
        NodeError::NoIdentity(_) => format!("{err}: run `margin init --name NAME` first"),
        NodeError::NoHome => format!("{err}: pass --home DIR or set MARGIN_HOME"),
        NodeError::PassphraseNeeded(_) => format!(
            "{err}: type it at a terminal, or give --passphrase-file FILE or set MARGIN_PASSPHRASE_FILE"
        ),
        NodeError::NoParagraph(_) => format!("{err} (see `margin draft show DRAFT`)"),
        NodeError::NoVersion(_) => format!("{err} (see `margin draft log DRAFT`)"),
        NodeError::QuoteWithoutParagraph => {
            "--quote needs --para: say which paragraph the passage is in".into()
        }
        NodeError::ObjectionWithoutReason => {
            "an objection needs a reason: give --reason, saying what you object to and why".into()
        }
        NodeError::DeclineWithoutNote => {
            "declining a comment needs a note: give --note, saying why".into()
        }
        NodeError::ModerationWithoutReason => {
            "say why: hiding or showing an entry needs a reason everyone will see (--reason)".into()
        }
        NodeError::NotAuthor("erase") => {
            format!("{err} (a convener can hide it: margin hide)")
        }
        _ => err.to_string(),
    }
}

/// Prints `value` as JSON when asked, else runs `text` to print it for people.
pub fn emit<T: Serialize>(json: bool, value: &T, text: impl FnOnce(&T)) {
    if json {
        match serde_json::to_string_pretty(value) {
            Ok(s) => println!("{s}"),
            Err(e) => eprintln!("margin: cannot print JSON: {e}"),
        }
    } else {
        text(value);
    }
}

/// A one-field JSON object such as `{"comment": "…"}`.
pub fn field(name: &str, value: impl Into<Value>) -> Value {
    let mut map = serde_json::Map::new();
    map.insert(name.to_owned(), value.into());
    Value::Object(map)
}

/// Indents every line of `text`.
pub fn indent(text: &str, by: &str) -> String {
    text.lines()
        .map(|l| format!("{by}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
