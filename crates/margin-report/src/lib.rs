//! Exports of a Margin review, and their verification.
//!
//! A chair publishes what a review produced; this crate writes it, from the signed
//! entries of a space and nothing else:
//!
//! - [`matrix`]: the comment-resolution matrix (CSV), one row per comment (a campaign of
//!   identical comments is one row with many signatories);
//! - [`report`]: the draft with each paragraph's status, tallies by group, open
//!   objections, alternative wordings and divergent views side by side (Markdown, HTML);
//! - [`summary`]: a chair's summary skeleton — convergence, divergence and who holds each
//!   view, open objections — for the chair to write up (Markdown);
//! - [`annotation`]: every anchored comment as a W3C Web Annotation (JSON-LD);
//! - the draft itself as a standard Automerge file ([`Export::automerge`]).
//!
//! Every export names its [`Provenance`]: the space, the draft and version, and the
//! digest of the exact entry set it was made from. [`verify`] checks a published export
//! against an export rebuilt from that entry set, cell by cell, so that a published
//! record cannot silently drop or alter a comment. Rebuilding the entry set from a node's
//! store, and re-checking the entries' signatures, is the node's part.
//!
//! The crate is pure: no I/O, no clock. Exports are deterministic: the same entries give
//! the same bytes on every node.
//!
//! ```
//! use margin_consensus::Options;
//! use margin_consensus::test::Fixture;
//! use margin_core::body::{CommentKind, Policy};
//! use margin_report::{Export, Format, verify};
//!
//! let mut f = Fixture::new(Policy::Open, "# Report\n\nTwelve cases.\n");
//! let amina = f.join("Amina", "civil-society", "Africa");
//! f.comment(amina, 1, CommentKind::Question, Some("Twelve"), "Which twelve?");
//!
//! let export = Export::new(&mut f.space, &f.draft, Options::default())?;
//! let csv = export.render(Format::Matrix)?;
//! assert!(String::from_utf8_lossy(&csv).contains("Which twelve?"));
//! // The published file says what the entries say…
//! assert!(verify::check(&csv, &export)?.is_empty());
//! // …and an altered cell is found.
//! let altered = String::from_utf8_lossy(&csv).replace("Which twelve?", "Which ten?");
//! let problems = verify::check(altered.as_bytes(), &export)?;
//! assert!(problems[0].to_string().contains("column Comment"));
//! # Ok::<(), margin_report::Error>(())
//! ```

pub mod annotation;
mod csv;
mod document;
pub mod error;
pub mod export;
pub mod matrix;
pub mod provenance;
pub mod report;
pub mod summary;
pub mod verify;

pub use error::Error;
pub use export::{Export, Format};
pub use provenance::Provenance;
