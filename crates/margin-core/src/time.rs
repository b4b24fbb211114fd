//! The wall clock, in the unit every entry is dated in: milliseconds since the Unix
//! epoch. Only the edges read it (a node dating a new entry, a store stamping a row);
//! `margin-space` and `margin-sync` take time as an argument.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// A point in time: milliseconds since the Unix epoch, as entries are dated and clocks
/// are read. Encoded as the bare number (the canonical encoding and JSON are those of a
/// `u64`), so a time cannot be mistaken for a count or a size in code while nothing
/// changes on the wire.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Timestamp(u64);

impl Timestamp {
    /// The Unix epoch itself.
    pub const EPOCH: Timestamp = Timestamp(0);
    /// The last representable time.
    pub const MAX: Timestamp = Timestamp(u64::MAX);

    /// Now, by the system clock (the epoch if the clock is before 1970; saturating far in
    /// the future). The one clock every part of Margin reads.
    pub fn now() -> Self {
        Self(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
                .unwrap_or(0),
        )
    }

    /// The time `ms` milliseconds after the Unix epoch.
    pub const fn from_millis(ms: u64) -> Self {
        Self(ms)
    }

    /// Milliseconds since the Unix epoch.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// `d` later, or [`Timestamp::MAX`].
    pub fn saturating_add(self, d: Duration) -> Self {
        Self(self.0.saturating_add(millis(d)))
    }

    /// `d` earlier, or the epoch.
    pub fn saturating_sub(self, d: Duration) -> Self {
        Self(self.0.saturating_sub(millis(d)))
    }

    /// `ms` milliseconds later, or [`Timestamp::MAX`].
    pub const fn saturating_add_millis(self, ms: u64) -> Self {
        Self(self.0.saturating_add(ms))
    }

    /// `ms` milliseconds earlier, or the epoch.
    pub const fn saturating_sub_millis(self, ms: u64) -> Self {
        Self(self.0.saturating_sub(ms))
    }

    /// How long after `earlier` this is (zero if it is not after it).
    pub fn since(self, earlier: Timestamp) -> Duration {
        Duration::from_millis(self.millis_since(earlier))
    }

    /// How many milliseconds after `earlier` this is (0 if it is not after it).
    pub const fn millis_since(self, earlier: Timestamp) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}

/// A duration in whole milliseconds, saturating.
fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl From<Timestamp> for u64 {
    fn from(t: Timestamp) -> u64 {
        t.0
    }
}

/// The bare number of milliseconds, as JSON and the canonical encoding show it.
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates() {
        let t = Timestamp::from_millis(1_000);
        assert_eq!(t.saturating_add(Duration::from_secs(2)).as_millis(), 3_000);
        assert_eq!(t.saturating_sub(Duration::from_secs(2)), Timestamp::EPOCH);
        assert_eq!(Timestamp::MAX.saturating_add_millis(1), Timestamp::MAX);
        assert_eq!(t.millis_since(Timestamp::from_millis(400)), 600);
        assert_eq!(t.since(Timestamp::from_millis(4_000)), Duration::ZERO);
    }

    #[test]
    fn encodes_as_the_bare_number() {
        let t = Timestamp::from_millis(1_700_000_000_000);
        assert_eq!(
            crate::encoding::encode(&t).expect("a timestamp encodes"),
            crate::encoding::encode(&1_700_000_000_000u64).expect("a number encodes")
        );
        assert_eq!(
            serde_json::to_string(&t).expect("a timestamp is JSON"),
            "1700000000000"
        );
        assert_eq!(t.to_string(), "1700000000000");
    }

    #[test]
    fn now_is_after_2020() {
        assert!(Timestamp::now() > Timestamp::from_millis(1_577_836_800_000));
    }
}
