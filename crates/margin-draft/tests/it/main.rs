//! The integration tests of margin-draft, in one binary (one link instead of one per file).

mod anchors;
mod bounds;
mod brackets;
mod fixtures;
mod import;
mod parts;
mod props;
mod splice;
