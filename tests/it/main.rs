//! Margin's integration tests, in one binary that links the workspace once: the
//! `margin` binary run as users run it, several nodes as real processes on loopback, the
//! web interface over HTTP and in a real browser. `cargo test -p margin-cli --test it`
//! runs them all; `cargo test -p margin-cli --test it convergence::` runs one module.

mod common;

mod accessibility;
mod adversary;
mod brackets;
mod browser_entries;
mod convergence;
mod crash;
mod demo;
mod devices;
mod drafts;
mod follow;
mod keys;
mod languages;
mod nat;
mod network;
mod news;
mod refusals;
mod review;
mod slow_link;
mod snapshots;
mod soak;
mod take_part;
mod transcripts;
mod trust;
mod web;
mod wire;
