//! The bodies of Margin's fuzz targets, as ordinary functions of the bytes a hostile
//! peer or file could hand a node.
//!
//! Each function runs the code a node runs on such bytes — decoding, bounds, signature
//! checks, the space's rules, Automerge, the import of documents, the web's form and
//! JSON bodies — and panics only where Margin has a bug: a crash, or a property that
//! must hold whatever the input (what decodes re-encodes the same; what a node sends
//! decodes at its peer). This crate is not a fuzzer: `fuzz/` calls these functions
//! from `cargo fuzz` targets, one each, and this crate's tests run every function over
//! every committed corpus file and every input a fuzzer ever found a bug with, so the
//! targets keep compiling and the bugs stay fixed with the ordinary test build.
//!
//! | function | what it is handed |
//! |---|---|
//! | [`entry`] | one entry's bytes, as from a peer |
//! | [`sync`] | a transcript of what one peer sends a node's sync service |
//! | [`bundle`] | a bundle file |
//! | [`markdown`], [`docx`], [`odt`] | a draft file to import |
//! | [`draft_change`] | one Automerge change, as carried by a revision |
//! | [`pack`] | a packed run of entries, as a peer answers a fetch (`Packed`) |
//! | [`web_json`], [`web_form`] | the body of a write request to the HTTP API |

pub mod draft;
pub mod entry;
pub mod fixture;
#[cfg(test)]
mod seeds;
pub mod sync;
#[cfg(test)]
mod tests;
pub mod web;

pub use draft::{docx, draft_change, markdown, odt, pack};
pub use entry::{bundle, entry};
pub use sync::sync;
pub use web::{web_form, web_json};

/// Called once by every fuzz target before its first input. libFuzzer's own hook aborts
/// at every panic, before it unwinds; but Margin catches the panics of Automerge on a
/// peer's change (it refuses the change, as in a node), so panics are let unwind here,
/// with their message printed. A panic that Margin does not catch still stops the run:
/// it cannot unwind out of the target.
pub fn init() {
    std::panic::set_hook(Box::new(|info| eprintln!("panic: {info}")));
}

/// The body of a fuzz target.
pub type Target = fn(&[u8]);

/// Every target, by the name its corpus and its `cargo fuzz` target have.
pub const TARGETS: &[(&str, Target)] = &[
    ("entry", entry),
    ("sync", sync),
    ("bundle", bundle),
    ("markdown", markdown),
    ("docx", docx),
    ("odt", odt),
    ("draft_change", draft_change),
    ("pack", pack),
    ("web_json", web_json),
    ("web_form", web_form),
];
