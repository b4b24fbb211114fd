//! The integration tests of margin-space, in one binary (one link instead of one per file).

mod convergence;
mod people;
mod signons;
