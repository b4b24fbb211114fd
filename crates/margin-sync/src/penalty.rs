//! What a peer did wrong, how much it counts, and the meters that decide when a peer has
//! had enough: a misbehaviour score that decays with time, and a token bucket that limits
//! how fast a peer may make us work. Both are fed the host's `now`; nothing reads a clock.

use std::time::Duration;

use margin_core::Timestamp;
use serde::{Deserialize, Serialize};

/// Something a peer did that an honest peer would not do. Timeouts and lost messages are
/// not offences: networks lose things.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Offence {
    /// A frame over the size limit.
    OversizeFrame,
    /// A frame that is not a valid message (garbage, truncated, trailing bytes, unknown
    /// variant, a list over its limit).
    MalformedMessage,
    /// More messages than the rate limit allows; the excess was dropped unread.
    RateLimited,
    /// A message about a space the peer did not say it holds, or that we do not hold.
    UnsharedSpace,
    /// A negentropy payload that does not parse.
    BadReconcile,
    /// An `Entries` batch that does not decompress or split.
    BadBatch,
    /// An entry we did not ask this peer for.
    UnsolicitedEntry,
    /// An entry the host refused (bad signature, failed authorization, not canonical).
    InvalidEntry,
    /// Entries the peer delivered waited for their refs until they expired: an honest
    /// peer holds, and serves, what the entries it delivers refer to.
    UnresolvedEntries,
}

impl Offence {
    /// How much the offence counts towards a ban.
    pub fn severity(self) -> Severity {
        match self {
            Offence::RateLimited | Offence::UnsharedSpace => Severity::Minor,
            Offence::MalformedMessage
            | Offence::BadReconcile
            | Offence::BadBatch
            | Offence::UnsolicitedEntry
            | Offence::InvalidEntry
            | Offence::UnresolvedEntries => Severity::Serious,
            Offence::OversizeFrame => Severity::Fatal,
        }
    }
}

/// How much an offence counts. Scores add up per peer and decay with time; a peer whose
/// score reaches [`Config::ban_threshold`](crate::service::Config::ban_threshold) is
/// disconnected and banned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Could be a race or a slow peer; tolerated in small numbers.
    Minor,
    /// Only a broken or hostile peer does this.
    Serious,
    /// Banned at once.
    Fatal,
}

impl Severity {
    /// The points added to the peer's score.
    pub fn points(self) -> u32 {
        match self {
            Severity::Minor => 1,
            Severity::Serious => 25,
            Severity::Fatal => 1_000,
        }
    }
}

/// One offence, as reported to the host in [`Output::Penalize`](crate::service::Output).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Penalty {
    pub offence: Offence,
    pub severity: Severity,
    /// What exactly happened, for the log.
    pub detail: String,
}

/// A misbehaviour score that loses one point every `decay`.
#[derive(Debug, Clone)]
pub(crate) struct Score {
    points: u32,
    since: Timestamp,
}

impl Score {
    pub(crate) fn new(now: Timestamp) -> Self {
        Self {
            points: 0,
            since: now,
        }
    }

    pub(crate) fn current(&self, now: Timestamp, decay: Duration) -> u32 {
        let decayed = now.since(self.since).as_millis() / decay.as_millis().max(1);
        self.points
            .saturating_sub(u32::try_from(decayed).unwrap_or(u32::MAX))
    }

    pub(crate) fn add(&mut self, now: Timestamp, decay: Duration, points: u32) -> u32 {
        self.points = self.current(now, decay).saturating_add(points);
        self.since = now;
        self.points
    }
}

/// A token bucket: `capacity` tokens, refilled at `per_second`.
#[derive(Debug, Clone)]
pub(crate) struct TokenBucket {
    /// In thousandths of a token.
    milli: u64,
    last: Timestamp,
}

impl TokenBucket {
    pub(crate) fn full(capacity: u32, now: Timestamp) -> Self {
        Self {
            milli: u64::from(capacity) * 1000,
            last: now,
        }
    }

    /// The whole tokens there are at `now`.
    pub(crate) fn available(&mut self, now: Timestamp, capacity: u32, per_second: u32) -> u64 {
        self.refill(now, capacity, per_second);
        self.milli / 1000
    }

    /// Takes `cost` tokens, or all there are if fewer.
    pub(crate) fn spend(&mut self, now: Timestamp, capacity: u32, per_second: u32, cost: u64) {
        self.refill(now, capacity, per_second);
        self.milli = self.milli.saturating_sub(cost.saturating_mul(1000));
    }

    fn refill(&mut self, now: Timestamp, capacity: u32, per_second: u32) {
        // One token per second is one thousandth of a token per millisecond.
        let refill = now
            .millis_since(self.last)
            .saturating_mul(u64::from(per_second));
        self.milli = self
            .milli
            .saturating_add(refill)
            .min(u64::from(capacity) * 1000);
        self.last = self.last.max(now);
    }

    /// Takes `cost` tokens if there are that many.
    pub(crate) fn take(
        &mut self,
        now: Timestamp,
        capacity: u32,
        per_second: u32,
        cost: u32,
    ) -> bool {
        self.refill(now, capacity, per_second);
        let cost = u64::from(cost) * 1000;
        if self.milli >= cost {
            self.milli -= cost;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ms: u64) -> Timestamp {
        Timestamp::from_millis(ms)
    }

    #[test]
    fn scores_decay() {
        let second = Duration::from_secs(1);
        let mut score = Score::new(t(0));
        assert_eq!(score.add(t(0), second, 25), 25);
        assert_eq!(score.current(t(10_000), second), 15);
        assert_eq!(score.add(t(10_000), second, 25), 40);
        assert_eq!(score.current(t(1_000_000), second), 0);
    }

    #[test]
    fn buckets_refill_with_time_only() {
        let mut bucket = TokenBucket::full(10, t(0));
        for _ in 0..10 {
            assert!(bucket.take(t(0), 10, 5, 1));
        }
        assert!(!bucket.take(t(0), 10, 5, 1));
        assert!(bucket.take(t(200), 10, 5, 1));
        assert!(!bucket.take(t(200), 10, 5, 1));
        assert!(bucket.take(t(100_000), 10, 5, 10));
    }

    #[test]
    fn spending_empties_a_bucket_without_going_below_zero() {
        let mut bucket = TokenBucket::full(10, t(0));
        assert_eq!(bucket.available(t(0), 10, 5), 10);
        bucket.spend(t(0), 10, 5, 25);
        assert_eq!(bucket.available(t(0), 10, 5), 0);
        assert_eq!(bucket.available(t(1_000), 10, 5), 5);
        assert!(!bucket.take(t(1_000), 10, 5, 6));
    }
}
