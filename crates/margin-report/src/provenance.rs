//! What an export was made from: the space, the draft and its version, and the exact
//! set of signed entries — named by a digest, a count and the date of the latest entry,
//! which is how a verifier finds the same set in its own store.

use margin_core::Timestamp;
use margin_core::id::{DraftId, EntryId};
use margin_space::Space;
use margin_space::view::format_time;
use serde::{Deserialize, Serialize};

use crate::error::Error;

/// The first words of every export's provenance line (Markdown, HTML) or block (CSV).
pub const MARKER: &str = "margin-export";

/// What an export names about its origin.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// The export format (`matrix`, `report-md`, `report-html`, `summary`, `annotations`,
    /// `automerge`).
    pub format: String,
    pub space: String,
    pub space_title: String,
    pub draft: String,
    pub draft_title: String,
    /// The version's name when an editor tagged exactly the current version.
    pub version: Option<String>,
    /// The current version's Automerge heads, sorted.
    pub heads: Vec<String>,
    /// BLAKE3 over the sorted ids of every entry of the set (`margin space show --json`
    /// prints the same for a node's whole space).
    pub entry_set: String,
    /// How many entries the set has.
    pub entries: usize,
    /// The author time of the latest entry of the set, in ms since the Unix epoch: the set
    /// is every entry of the space dated up to then.
    pub until: Timestamp,
    /// Whether only registered participants were counted.
    pub registered_only: bool,
}

impl Provenance {
    /// The provenance of an export of `draft` made now from `space`.
    pub(crate) fn of(
        space: &Space,
        draft: &DraftId,
        format: &str,
        registered_only: bool,
    ) -> Result<Provenance, Error> {
        let title = space.charter().title.clone();
        let state = space
            .draft(draft)
            .ok_or(margin_consensus::Error::UnknownDraft(*draft))?;
        let heads = state.doc.heads();
        let mut hex: Vec<String> = heads.iter().map(hex_of).collect();
        hex.sort();
        let until = space
            .order()
            .iter()
            .filter_map(|id| space.accepted(id))
            .map(|a| a.time)
            .max()
            .unwrap_or(Timestamp::EPOCH);
        Ok(Provenance {
            format: format.to_owned(),
            space: space.id().to_string(),
            space_title: title,
            draft: draft.to_string(),
            draft_title: state.title(),
            version: state.tag_of(&heads),
            heads: hex,
            entry_set: space.entry_set_digest(),
            entries: space.order().len(),
            until,
            registered_only,
        })
    }

    /// The space id.
    pub fn space_id(&self) -> Result<EntryId, Error> {
        parse_id(&self.space, "space")
    }

    /// The draft id.
    pub fn draft_id(&self) -> Result<EntryId, Error> {
        parse_id(&self.draft, "draft")
    }

    /// The date of the latest entry, for people.
    pub fn until_text(&self) -> String {
        format_time(self.until)
    }

    /// The one-line form embedded at the top of Markdown and HTML exports, an HTML
    /// comment that neither shows nor changes how the document reads.
    pub(crate) fn comment_line(&self) -> Result<String, Error> {
        Ok(format!(
            "<!-- {MARKER} {} -->",
            serde_json::to_string(self)?.replace("--", "\\u002d\\u002d")
        ))
    }

    /// Reads the provenance line of a Markdown or HTML export.
    pub(crate) fn from_comment_line(text: &str) -> Option<Result<Provenance, Error>> {
        let start = text.find(&format!("<!-- {MARKER} "))?;
        let rest = &text[start + MARKER.len() + 6..];
        let end = rest.find(" -->")?;
        Some(serde_json::from_str(&rest[..end]).map_err(Error::from))
    }

    /// A short description for people: space, draft, version and entry set.
    pub fn describe(&self) -> String {
        format!(
            "{} of \"{}\" ({}) in \"{}\", version {}, from {} entries up to {} (entry set {})",
            self.format,
            self.draft_title,
            short(&self.draft),
            self.space_title,
            self.version.as_deref().unwrap_or("current (untagged)"),
            self.entries,
            self.until_text(),
            short(&self.entry_set)
        )
    }
}

fn parse_id(text: &str, what: &str) -> Result<EntryId, Error> {
    text.parse()
        .map_err(|_| Error::NotAnExport(format!("the export's {what} id '{text}' is not an id")))
}

pub(crate) fn hex_of(bytes: &[u8; 32]) -> String {
    hex::encode(bytes)
}

pub(crate) use margin_core::id::short;
