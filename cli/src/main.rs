//! `margin`: review drafts with signed comments, stances and dispositions.

mod args;
mod commands;
mod network;
mod output;
mod review;

use std::process::ExitCode;

use clap::Parser;

/// What is logged without `MARGIN_LOG`: the node's own notices, and libp2p's warnings
/// except Kademlia's complaint that it has no peers to bootstrap from yet.
const DEFAULT_LOG: &str = "warn,node=info,libp2p_kad=error";

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("MARGIN_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(DEFAULT_LOG)),
        )
        .with_writer(std::io::stderr)
        .init();
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("margin: {err}");
            ExitCode::FAILURE
        }
    }
}
