//! Id announcements heard by gossip, passed on only once they proved true.
//!
//! A gossiped `Ids` announcement says "these entries exist, fetch them from me". Passed
//! on as soon as it is heard, a peer's announcement of ids that nobody serves would
//! travel the whole mesh and send every node fetching from its neighbours what none of
//! them holds. So a node validates such an announcement (gossipsub then forwards it) only
//! once it holds every entry it names, fetched and accepted: whoever hears it from this
//! node can then fetch them from this node. An announcement that names an entry this
//! node refuses is rejected (gossipsub counts it against the sender); one whose entries
//! do not all arrive in time is dropped without being passed on.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use margin_core::Timestamp;
use margin_core::id::EntryId;
use margin_net::{MessageAcceptance, MessageId, PeerId};

/// How long an announcement may wait for its entries. Gossipsub keeps a message to
/// forward for 16 heartbeats (11 s), see `margin_net`.
pub const HEARD_FOR: Duration = Duration::from_secs(10);

/// Announcements waiting for their entries at most; more are dropped at once.
pub const MAX_HEARD: usize = 1024;

/// One announcement waiting for its entries.
struct Waiting {
    from: PeerId,
    lacking: HashSet<EntryId>,
    until: Timestamp,
}

/// The announcements heard and not yet judged.
#[derive(Default)]
pub struct Heard {
    waiting: HashMap<MessageId, Waiting>,
}

/// What to report to gossipsub about one announcement.
pub type Judged = (MessageId, PeerId, MessageAcceptance);

impl Heard {
    /// An announcement from `from` naming `ids`, of which this node lacks `lacking`:
    /// judged at once when it lacks none (or cannot keep more waiting), else kept until
    /// what it lacks arrives.
    pub fn heard(
        &mut self,
        now: Timestamp,
        id: MessageId,
        from: PeerId,
        lacking: HashSet<EntryId>,
    ) -> Option<Judged> {
        if lacking.is_empty() {
            return Some((id, from, MessageAcceptance::Accept));
        }
        if self.waiting.len() >= MAX_HEARD || self.waiting.contains_key(&id) {
            return Some((id, from, MessageAcceptance::Ignore));
        }
        self.waiting.insert(
            id,
            Waiting {
                from,
                lacking,
                until: now.saturating_add_millis(HEARD_FOR.as_millis() as u64),
            },
        );
        None
    }

    /// Entries judged: the announcements whose entries are now all here are accepted,
    /// those that named a refused entry rejected.
    pub fn judged(&mut self, held: &HashSet<EntryId>, refused: &HashSet<EntryId>) -> Vec<Judged> {
        if self.waiting.is_empty() || (held.is_empty() && refused.is_empty()) {
            return vec![];
        }
        let mut out = vec![];
        self.waiting.retain(|id, w| {
            if w.lacking.iter().any(|e| refused.contains(e)) {
                out.push((id.clone(), w.from, MessageAcceptance::Reject));
                return false;
            }
            w.lacking.retain(|e| !held.contains(e));
            if w.lacking.is_empty() {
                out.push((id.clone(), w.from, MessageAcceptance::Accept));
                return false;
            }
            true
        });
        out
    }

    /// Announcements whose entries did not all arrive in time: dropped, not passed on.
    pub fn expired(&mut self, now: Timestamp) -> Vec<Judged> {
        let mut out = vec![];
        self.waiting.retain(|id, w| {
            if w.until <= now {
                out.push((id.clone(), w.from, MessageAcceptance::Ignore));
                return false;
            }
            true
        });
        out
    }

    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(n: u8) -> MessageId {
        MessageId::from(vec![n])
    }

    fn entry(n: u8) -> EntryId {
        EntryId::from_bytes([n; 32])
    }

    fn t(ms: u64) -> Timestamp {
        Timestamp::from_millis(ms)
    }

    #[test]
    fn an_announcement_is_passed_on_once_its_entries_are_here() {
        let from = PeerId::random();
        let mut heard = Heard::default();
        assert_eq!(
            heard.heard(t(0), msg(1), from, HashSet::new()),
            Some((msg(1), from, MessageAcceptance::Accept))
        );
        assert_eq!(
            heard.heard(t(0), msg(2), from, [entry(1), entry(2)].into()),
            None
        );
        assert!(heard.judged(&[entry(1)].into(), &HashSet::new()).is_empty());
        assert_eq!(
            heard.judged(&[entry(2)].into(), &HashSet::new()),
            vec![(msg(2), from, MessageAcceptance::Accept)]
        );
        assert!(heard.is_empty());
    }

    #[test]
    fn an_announcement_of_a_refused_entry_is_rejected_and_a_late_one_dropped() {
        let from = PeerId::random();
        let mut heard = Heard::default();
        heard.heard(t(0), msg(1), from, [entry(1)].into());
        heard.heard(t(0), msg(2), from, [entry(2)].into());
        assert_eq!(
            heard.judged(&HashSet::new(), &[entry(1)].into()),
            vec![(msg(1), from, MessageAcceptance::Reject)]
        );
        assert!(
            heard
                .expired(t(HEARD_FOR.as_millis() as u64 - 1))
                .is_empty()
        );
        assert_eq!(
            heard.expired(t(HEARD_FOR.as_millis() as u64)),
            vec![(msg(2), from, MessageAcceptance::Ignore)]
        );
    }

    #[test]
    fn waiting_announcements_are_bounded() {
        let from = PeerId::random();
        let mut heard = Heard::default();
        for n in 0..MAX_HEARD {
            let id = MessageId::from(n.to_le_bytes().to_vec());
            assert_eq!(heard.heard(t(0), id, from, [entry(1)].into()), None);
        }
        assert_eq!(
            heard.heard(t(0), msg(1), from, [entry(1)].into()),
            Some((msg(1), from, MessageAcceptance::Ignore))
        );
        assert_eq!(heard.waiting.len(), MAX_HEARD);
    }
}
