//! What a benchmark reads of a running `margin node`: its memory and CPU time from
//! `/proc`, and how many entries its database holds.

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use margin_node::Node;
use rusqlite::{Connection, OpenFlags};

/// What `/proc` says about a process at one moment.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    pub rss_kb: u64,
    pub hwm_kb: u64,
    pub cpu_ticks: u64,
    /// Context switches of all its threads: how often it woke up.
    pub switches: u64,
    pub threads: u64,
}

fn status_field(text: &str, name: &str) -> u64 {
    text.lines()
        .find(|l| l.starts_with(name))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Reads the process's memory, CPU time and wake-ups.
pub fn sample(pid: u32) -> Sample {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).expect("the node runs");
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).expect("the node runs");
    // Fields after the command name (which is in parentheses and may hold spaces).
    let after = &stat[stat.rfind(')').expect("a stat line") + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let ticks = |i: usize| fields[i].parse::<u64>().expect("a tick count");
    let mut switches = 0;
    if let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) {
        for task in tasks.flatten() {
            if let Ok(text) = fs::read_to_string(task.path().join("status")) {
                switches += status_field(&text, "voluntary_ctxt_switches")
                    + status_field(&text, "nonvoluntary_ctxt_switches");
            }
        }
    }
    Sample {
        rss_kb: status_field(&status, "VmRSS"),
        hwm_kb: status_field(&status, "VmHWM"),
        cpu_ticks: ticks(11) + ticks(12),
        switches,
        threads: status_field(&status, "Threads"),
    }
}

/// Clock ticks per second, the unit of `/proc`'s CPU times.
pub fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// Kilobytes as `/proc` counts them (1 024 bytes) to megabytes (10^6 bytes).
pub fn mb(kb: u64) -> f64 {
    kb as f64 * 1024.0 / 1e6
}

/// How many accepted entries the database holds (read while the node runs).
pub fn entry_count(db: &Path) -> i64 {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("the database opens read-only");
    conn.busy_timeout(Duration::from_secs(1)).expect("timeout");
    conn.query_row("SELECT count(*) FROM entries", [], |r| r.get(0))
        .unwrap_or(0)
}

/// The size of a home's database files.
pub fn files_size(dir: &Path) -> u64 {
    fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with("margin.db"))
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

/// Records every stored entry as announced, as a running node does once it has passed on
/// what it received (the engine's `announced-seq` setting). Without it, the node would
/// take the entries for ones written while it was stopped, hold them all in memory and
/// gossip every one of them at start.
pub fn mark_announced(node: &mut Node) {
    let last = node.store().last_seq().expect("the last entry");
    node.store_mut()
        .set_setting("announced-seq", &last.to_string())
        .expect("a setting");
}
