//! What a node asks a peer for, and how much at a time.
//!
//! Requests are sized to the link. The service times each peer's answers as they
//! complete and asks, per request, for about what that peer's link carried in
//! [`REQUEST_TARGET_MS`]: a few kilobytes at a time on a 64 kbit/s link, up to a
//! megabyte on a fast one. A peer answers in the order it was asked, so a request's
//! time starts when the answer before it completed; a request is given up only when
//! nothing of its answer arrived for the request timeout since then, never because it is
//! old: on a slow link an answer that is still arriving is not asked for again.
//!
//! A node that holds nothing of a space fetches it whole as a [`Range`]: pages of the
//! peer's entries in `(time, id)` order, each page asked for by where the previous one
//! ends, so no id crosses the link. It then reconciles to confirm, as any node does.

use std::collections::HashSet;

use margin_core::Timestamp;
use margin_core::id::{EntryId, SpaceId};

use crate::limits::{MAX_REQUEST_BYTES, MIN_REQUEST_BYTES, REQUEST_TARGET_MS};
use crate::message::Place;

/// Answers smaller than this say more about the round trip than about the link's rate.
const MIN_SAMPLE_BYTES: u64 = 4 * 1024;

/// How fast one peer's answers arrive.
#[derive(Debug, Default)]
pub(crate) struct Flow {
    /// Bytes per millisecond, smoothed; `None` until an answer was large enough to time.
    rate: Option<f64>,
    /// When the previous answer completed: the next one's time starts there when it was
    /// asked for before (requests are pipelined).
    last_done: Timestamp,
}

impl Flow {
    /// How many bytes of entries the next request should ask for.
    pub(crate) fn request_bytes(&self) -> usize {
        match self.rate {
            None => MIN_REQUEST_BYTES,
            Some(rate) => {
                let bytes = rate * REQUEST_TARGET_MS as f64;
                // The float is finite and positive; `as` saturates anyway.
                (bytes as usize).clamp(MIN_REQUEST_BYTES, MAX_REQUEST_BYTES)
            }
        }
    }

    /// An answer of `bytes` to a request sent at `sent` completed at `now`.
    pub(crate) fn completed(&mut self, now: Timestamp, sent: Timestamp, bytes: u64) {
        let began = sent.max(self.last_done);
        self.last_done = now;
        let elapsed = now.millis_since(began);
        if bytes < MIN_SAMPLE_BYTES || elapsed == 0 {
            return;
        }
        let sample = bytes as f64 / elapsed as f64;
        self.rate = Some(match self.rate {
            None => sample,
            Some(rate) => (rate + sample) / 2.0,
        });
    }

    /// When the latest answer completed.
    pub(crate) fn last_done(&self) -> Timestamp {
        self.last_done
    }

    /// The smoothed rate, bytes per second, for status reports.
    pub(crate) fn bytes_per_second(&self) -> Option<u64> {
        self.rate.map(|rate| (rate * 1000.0) as u64)
    }
}

/// What one request asked for.
#[derive(Debug)]
pub(crate) enum Asked {
    /// Entries by id (`Want`).
    Ids {
        requested: HashSet<EntryId>,
        outstanding: HashSet<EntryId>,
    },
    /// A page of a space (`WantRange`).
    Range {
        after: Option<Place>,
        max_bytes: usize,
    },
}

/// A request in flight to one peer.
#[derive(Debug)]
pub(crate) struct Request {
    pub(crate) space: SpaceId,
    pub(crate) asked: Asked,
    /// When it was sent.
    pub(crate) sent: Timestamp,
    /// When the last part of its answer arrived (`sent` until one did).
    pub(crate) progress: Timestamp,
    /// Bytes of its answer received so far.
    pub(crate) bytes: u64,
}

impl Request {
    /// Whether an answer part of this many bytes, on top of what arrived, stays within
    /// what was asked: a page may end with one entry past its budget, a large one
    /// included.
    pub(crate) fn fits(&self, more: u64) -> bool {
        match self.asked {
            Asked::Ids { .. } => true,
            Asked::Range { max_bytes, .. } => {
                let allowed = (2 * max_bytes).max(max_bytes + crate::limits::MAX_BATCH_BYTES);
                self.bytes + more <= allowed as u64
            }
        }
    }
}

/// Fetching a whole space from one peer, a page at a time.
#[derive(Debug)]
pub(crate) struct Range {
    pub(crate) next: Cursor,
    /// The request whose answer says where the next page starts.
    pub(crate) latest: Option<u64>,
}

/// Where the next page of a [`Range`] starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cursor {
    /// Known: ask for the entries after this bound (from the first when `None`).
    Ask(Option<Place>),
    /// Known once the latest request's answer begins to arrive.
    Awaiting,
    /// The latest answer reaches the end of the peer's entries.
    End,
}

impl Range {
    pub(crate) fn start() -> Range {
        Range {
            next: Cursor::Ask(None),
            latest: None,
        }
    }

    /// The first part of the answer to `request` arrived, saying where the rest starts.
    pub(crate) fn resumed(&mut self, request: u64, resume: Option<Place>) {
        if self.latest == Some(request) && self.next == Cursor::Awaiting {
            self.next = match resume {
                Some(bound) => Cursor::Ask(Some(bound)),
                None => Cursor::End,
            };
        }
    }

    /// A request was given up: ask again from where it began (or from where an earlier
    /// page given up began, when several are).
    pub(crate) fn restart_from(&mut self, after: Option<Place>) {
        if let Cursor::Ask(earlier) = self.next
            && earlier <= after
        {
            return;
        }
        self.next = Cursor::Ask(after);
        self.latest = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ms: u64) -> Timestamp {
        Timestamp::from_millis(ms)
    }

    #[test]
    fn requests_grow_with_the_link_and_stay_within_bounds() {
        let mut flow = Flow::default();
        assert_eq!(flow.request_bytes(), MIN_REQUEST_BYTES);
        // 64 kbit/s: 8 bytes per ms; 16 KB took 2 s.
        flow.completed(t(2_000), t(0), 16_000);
        assert_eq!(flow.request_bytes(), 32_000);
        // Pipelined: the next answer's time starts when the previous one completed.
        flow.completed(t(6_000), t(1_000), 32_000);
        assert_eq!(flow.request_bytes(), 32_000);
        // A fast link reaches the ceiling.
        let mut fast = Flow::default();
        fast.completed(t(10), t(0), 1_000_000);
        assert_eq!(fast.request_bytes(), MAX_REQUEST_BYTES);
        // Tiny answers are not timed.
        let mut tiny = Flow::default();
        tiny.completed(t(5_000), t(0), 100);
        assert_eq!(tiny.request_bytes(), MIN_REQUEST_BYTES);
    }

    #[test]
    fn a_range_asks_for_the_next_page_once_it_knows_where_it_starts() {
        let mut range = Range::start();
        assert_eq!(range.next, Cursor::Ask(None));
        range.next = Cursor::Awaiting;
        range.latest = Some(7);
        let bound = Place::by_time(t(5), EntryId::from_bytes([1; 32]));
        range.resumed(6, Some(bound));
        assert_eq!(
            range.next,
            Cursor::Awaiting,
            "only the latest request decides"
        );
        range.resumed(7, Some(bound));
        assert_eq!(range.next, Cursor::Ask(Some(bound)));
        range.next = Cursor::Awaiting;
        range.latest = Some(8);
        range.resumed(8, None);
        assert_eq!(range.next, Cursor::End);
    }
}
