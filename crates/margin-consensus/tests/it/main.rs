//! The integration tests of margin-consensus, in one binary (one link instead of one per file).

mod properties;
mod reference;
mod rules;
mod signons;
