//! Consensus figures for a Margin review space.
//!
//! Given a [`Space`](margin_space::Space) and one of its drafts, this crate computes what
//! a chair needs to judge rough consensus in the sense of RFC 7282 — objections must be
//! addressed, not necessarily accommodated — and to see convergence and balance across
//! stakeholder groups:
//!
//! - [`tallies`]: each participant's latest stance per paragraph, by stakeholder group
//!   and region, optionally counting registered participants only;
//! - [`objections`]: the objection register, every objection with its state (open,
//!   accommodated, addressed, withdrawn, can live with it);
//! - [`statuses`]: bracketed, contested, no engagement, divided or rough consensus per
//!   paragraph, and the stakeholder groups "in the rough";
//! - [`convergence()`]: group-informed consensus over stakeholder groups and over opinion
//!   groups found from the stances (PCA and k-means, see [`cluster`]);
//! - [`alternatives()`]: alternative wordings side by side with the current text, each
//!   with its support by stakeholder group and region;
//! - [`signatories()`] and [`campaigns()`]: who stands behind a comment — sign-ons,
//!   coalitions, and identical comments posted by many keys grouped as one;
//! - [`views()`]: divergent views side by side, who holds which stance and why;
//! - [`balance()`]: participation by stakeholder group and region;
//! - [`report`]: all of the per-paragraph figures at once, as `margin consensus` prints.
//!
//! The rules are written in `docs/consensus.md`; this crate implements exactly those.
//! It is pure and deterministic: no I/O, no clock, no randomness, and every ordering is
//! fixed, so every node holding the same entries prints the same figures. It does not
//! decide anything — a chair judges consensus; these are the figures they judge from —
//! and it does not print: reports are `serde::Serialize` structs with a plain-text
//! `render()`.
//!
//! ```
//! use margin_consensus::{Options, Status, report};
//! use margin_consensus::test::Fixture;
//! use margin_core::body::{Policy, StanceValue};
//!
//! let mut f = Fixture::new(Policy::Open, "# Report\n\nTwelve cases.\n\nA [contested] claim.\n");
//! let amina = f.join("Amina", "civil-society", "Africa");
//! let bruno = f.join("Bruno", "government", "Europe");
//! f.stance(amina, 1, StanceValue::Support, None);
//! f.stance(bruno, 1, StanceValue::Accept, None);
//!
//! let report = report(&f.space, &f.draft, &Options::default())?;
//! assert_eq!(report.paragraphs[0].status, Status::RoughConsensus);
//! assert_eq!(report.paragraphs[1].status, Status::Bracketed);
//! // Two groups, each 1 agree of 1 vote: (2/3)².
//! assert!((report.paragraphs[0].stakeholder_consensus - 4.0 / 9.0).abs() < 1e-12);
//! # Ok::<(), margin_consensus::Error>(())
//! ```

pub mod alternative;
pub mod balance;
mod ballot;
pub mod cluster;
pub mod convergence;
pub mod error;
pub mod objection;
pub mod options;
pub mod report;
pub mod signatory;
pub mod status;
pub mod tally;
#[cfg(any(test, feature = "test"))]
pub mod test;
pub mod views;

pub use alternative::{Alternative, Alternatives, ParagraphAlternatives, alternatives};
pub use balance::{Balance, Participation, People, balance};
pub use convergence::{Convergence, OpinionGroup, convergence, group_informed_consensus};
pub use error::Error;
pub use objection::{Objection, ObjectionRegister, ObjectionState, objections};
pub use options::Options;
pub use report::{ConsensusReport, ParagraphReport, report};
pub use signatory::{Signatory, campaigns, signatories};
pub use status::{ParagraphStatus, Status, classify, statuses};
pub use tally::{ParagraphTally, Tally, tallies};
pub use views::{ParagraphViews, View, views};
