//! Printing results: JSON for scripts, short text for people.

use serde::Serialize;
use serde_json::Value;

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
