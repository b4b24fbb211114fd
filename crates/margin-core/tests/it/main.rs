//! The integration tests of margin-core, in one binary (one link instead of one per file).

mod entries;
mod keys;
