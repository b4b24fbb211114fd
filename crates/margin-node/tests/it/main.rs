//! The integration tests of margin-node, in one binary (one link instead of one per file).

mod bundle;
mod index;
mod pending;
mod snapshot;
