//! Margin drafts: a draft document held as an Automerge document, and everything
//! text-related done to it.
//!
//! - [`Draft::import`] and [`Draft::update`] turn Markdown files into Automerge changes
//!   (one change per revision, a few for a large one; the smallest word-level edits, so
//!   paragraphs keep their stable ids);
//! - [`Draft::view`], [`Draft::render_markdown`] and [`Draft::diff`] read any version;
//! - [`Draft::anchor`] and [`Draft::resolve`] attach comments to passages and find them
//!   again in later versions;
//! - [`import`] reads Word (`.docx`) and OpenDocument (`.odt`) files as Markdown;
//!   [`Draft::replace_passage`] puts an accepted alternative wording into the text;
//! - [`Brackets::read`] finds bracketed variants of a passage (`[…] […]`) to choose
//!   between.
//!
//! This crate is pure: no I/O, no clock, no randomness; time and actor are arguments. It
//! does not sign anything: callers carry the change bytes inside signed entries and
//! check a change's actor (see [`actor_key`]) against the entry's author.
//!
//! ```
//! use margin_draft::{AnchorState, Draft, Timestamp};
//! use automerge::ActorId;
//!
//! let editor = ActorId::from(&[7u8; 34][..]);
//! let (mut draft, _change) =
//!     Draft::import(editor.clone(), "# Report\n\nTwelve cases.\n", None, Timestamp::from_millis(0), "v1")?;
//! let v1 = draft.heads();
//! let pid = draft.view(None)?.sections[0].paragraphs[0].id.clone();
//! let anchor = draft.anchor(&pid, Some("Twelve cases"), &v1)?;
//! draft.update(editor, "# Report\n\nFourteen cases.\n", Timestamp::from_millis(1), "v2")?;
//! assert!(matches!(
//!     draft.resolve(&anchor, None)?,
//!     AnchorState::Anchored { text, .. } if text == "Fourteen cases"
//! ));
//! # Ok::<(), margin_draft::Error>(())
//! ```

#![warn(missing_docs)]

mod anchor;
mod brackets;
mod diff;
mod doc;
mod error;
pub mod import;
mod markdown;
pub mod pack;
mod splice;
mod tokens;
mod update;
mod view;

pub use anchor::{Anchor, AnchorState, Quote, Reader};
pub use brackets::{BracketGroup, Brackets, Ignored, IgnoredReason, Variant};
pub use diff::{DraftDiff, ParagraphChange, ParagraphDiff};
pub use doc::{ChangeInfo, Draft, MAX_CHANGE_BYTES, MAX_CHANGE_OPS, actor_key, change_actor_key};
pub use error::Error;
pub use margin_core::{ParaId, Timestamp};
pub use markdown::{BlockKind, is_bracketed};
pub use tokens::{WordChange, WordOp};
pub use update::OPS_PER_CHANGE;
pub use view::{DraftView, Heading, Paragraph, Section};
