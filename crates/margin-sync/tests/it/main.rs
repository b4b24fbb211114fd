//! The integration tests of margin-sync, in one binary (one link instead of one per file).

mod simulation;
mod two_nodes;
