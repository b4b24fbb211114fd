//! The integration tests of margin-report, in one binary (one link instead of one per file).

mod exports;
mod properties;
mod web_annotation_suite;
