//! `margin`: review drafts with signed comments, stances and dispositions.

mod args;
mod commands;
mod devices;
mod keys;
mod network;
mod output;
mod passphrase;
mod review;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

/// What is logged without `MARGIN_LOG`: the node's own notices, and libp2p's warnings
/// except Kademlia's complaint that it has no peers to bootstrap from yet.
const DEFAULT_LOG: &str = "warn,node=info,libp2p_kad=error";

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    if !matches!(cli.command, args::Command::Node(_)) {
        quiet_on_closed_pipe();
    }
    // Colour only for a person at a terminal: a log written to a file stays plain text.
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("MARGIN_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(DEFAULT_LOG)),
        )
        .with_ansi(colour)
        .with_writer(std::io::stderr)
        .init();
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("margin: {}", output::describe(&err));
            ExitCode::FAILURE
        }
    }
}

/// `margin comments … | head -1`: when the reader of the output goes away, stop quietly,
/// as other command-line tools do, instead of panicking on the next write. Rust ignores
/// SIGPIPE by default; a one-shot command takes the system's default back. The daemon
/// (`margin node`) keeps ignoring it: a peer or browser closing a connection must never
/// stop it.
#[allow(unsafe_code)] // One libc call; the SAFETY comment below says why it is sound.
fn quiet_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: `signal` with `SIG_DFL` only restores the default disposition of SIGPIPE;
    // it runs at startup, before any other thread exists, and takes no pointers.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
