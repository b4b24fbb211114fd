//! Refusals: placeholder until the suite lands.

mod common;
