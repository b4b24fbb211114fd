//! The wall clock, in the unit every entry is dated in: milliseconds since the Unix
//! epoch. Only the edges read it (a node dating a new entry, a store stamping a row);
//! `margin-space` and `margin-sync` take time as an argument.

use std::time::{SystemTime, UNIX_EPOCH};

/// Now, in ms since the Unix epoch (0 if the system clock is before 1970).
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}
