//! Peers and their links: a connection opening, the `Hello` exchange that tells each side
//! which spaces the other holds, one [`Link`] per space both hold, and forgetting a peer
//! that went away. [`Service::shared`] finds the link a message about a space is handled
//! with.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::fmt::Debug;
use std::hash::Hash;

use margin_core::Timestamp;
use margin_core::id::{EntryId, SpaceId};

use super::penalties::Fault;
use super::reconcile::Session;
use super::requests::Lacking;
use super::{Config, DisconnectReason, Output, Service, Traffic};
use crate::fetch::{Flow, Range, Request};
use crate::items::Items;
use crate::limits::MAX_HELLO_SPACES;
use crate::message::Message;
use crate::penalty::{Offence, Score, TokenBucket};

#[derive(Debug)]
pub(super) struct Peer {
    pub(super) since: Timestamp,
    /// The spaces the peer said it holds.
    pub(super) spaces: BTreeSet<SpaceId>,
    /// Spaces the peer said it holds nothing of yet (it fetches them whole and then
    /// reconciles): no reconciliation of them is started with it meanwhile.
    pub(super) empty: BTreeSet<SpaceId>,
    /// Whether its `Hello` arrived; until it does, ours asks for it again (`echo`) every
    /// retry interval, since a lost `Hello` would keep the spaces apart for good.
    pub(super) heard: bool,
    pub(super) next_hello: Timestamp,
    /// Its clock less ours when its last `Hello` arrived (ms).
    pub(super) clock_offset: Option<i64>,
    /// One per space both sides hold.
    pub(super) links: BTreeMap<SpaceId, Link>,
    pub(super) requests: BTreeMap<u64, Request>,
    pub(super) flow: Flow,
    pub(super) bucket: TokenBucket,
    /// Bytes this node may still serve the peer (in KiB).
    pub(super) serve: TokenBucket,
    pub(super) score: Score,
    pub(super) traffic: Traffic,
    /// Whether the log has said once that the peer's deliveries do not advance sync.
    pub(super) warned: bool,
    /// Entries the peer showed it holds lately: not announced to it.
    pub(super) holds: Holds,
}

/// The entries a peer showed it holds lately — it announced them, or sent them — so that
/// they are not announced back to it: in a network where each node hears of an entry
/// from several neighbours, most of those neighbours had already announced it to the
/// node by the time it has it. Bounded; the oldest are forgotten first (announcing one
/// of those again costs a few bytes, never an entry).
#[derive(Debug, Default)]
pub(super) struct Holds {
    order: VecDeque<EntryId>,
    ids: HashSet<EntryId>,
}

impl Holds {
    /// Ids remembered per peer.
    const MAX: usize = 4096;

    pub(super) fn note(&mut self, ids: impl IntoIterator<Item = EntryId>) {
        for id in ids {
            if self.ids.insert(id) {
                self.order.push_back(id);
            }
            if self.order.len() > Self::MAX
                && let Some(oldest) = self.order.pop_front()
            {
                self.ids.remove(&oldest);
            }
        }
    }

    pub(super) fn contains(&self, id: &EntryId) -> bool {
        self.ids.contains(id)
    }
}

impl Peer {
    /// Ids queued from the peer in the spaces other than `space`.
    pub(super) fn queued_beside(&self, space: &SpaceId) -> usize {
        self.links
            .iter()
            .filter(|(s, _)| *s != space)
            .map(|(_, link)| link.queue.len())
            .sum()
    }

    fn new(now: Timestamp, config: &Config) -> Self {
        Self {
            since: now,
            spaces: BTreeSet::new(),
            empty: BTreeSet::new(),
            heard: false,
            next_hello: now.saturating_add(config.retry_interval),
            clock_offset: None,
            links: BTreeMap::new(),
            requests: BTreeMap::new(),
            flow: Flow::default(),
            bucket: TokenBucket::full(config.rate_capacity, now),
            serve: TokenBucket::full(config.serve_burst / 1024, now),
            score: Score::new(now),
            traffic: Traffic::default(),
            warned: false,
            holds: Holds::default(),
        }
    }
}

/// What stays of a peer that went away: its score and its budgets, given back if it
/// reconnects within a ban's duration.
#[derive(Debug)]
pub(super) struct Standing {
    pub(super) score: Score,
    pub(super) bucket: TokenBucket,
    pub(super) serve: TokenBucket,
    pub(super) left: Timestamp,
}

/// Peers whose standing is remembered after they went away, at most (the longest gone
/// are forgotten first).
const MAX_STANDING: usize = 10_000;

/// What this node and one peer do about one space both hold.
#[derive(Debug)]
pub(super) struct Link {
    pub(super) session: Option<Session>,
    pub(super) next_reconcile: Timestamp,
    /// Whether the last session found the link in sync, and as of when: every item
    /// older than `last_sync` was compared (see the `reconcile` module).
    pub(super) in_sync: bool,
    pub(super) last_sync: Option<Timestamp>,
    /// When the last session on the link, of either side, ended.
    pub(super) last_session: Option<Timestamp>,
    /// The peer's session whose opening arrived last, and its horizon: what its `Done`
    /// speaks of.
    pub(super) opened: Option<(u64, Timestamp)>,
    /// When to look for what an entry the peer sent waits for (see
    /// [`Service::look_for_gap`]).
    pub(super) gap_due: Option<Timestamp>,
    /// Ids to fetch from this peer.
    pub(super) queue: VecDeque<EntryId>,
    /// Fetching the whole space from this peer (this node held nothing of it).
    pub(super) range: Option<Range>,
    /// A fetch of the whole space from this peer ended: it is not tried again on this
    /// link (the peer may hold nothing of it either).
    pub(super) ranged: bool,
    /// Entries this peer delivered since the last reconciliation that advanced sync, and
    /// that did not.
    pub(super) round_new: u64,
    pub(super) round_stale: u64,
    /// Reconciliations in a row after which the peer delivered only entries that did not
    /// advance sync: each one doubles the wait before the next.
    pub(super) fruitless: u32,
}

impl Link {
    pub(super) fn new(now: Timestamp) -> Self {
        Self {
            session: None,
            next_reconcile: now,
            in_sync: false,
            last_sync: None,
            last_session: None,
            opened: None,
            gap_due: None,
            queue: VecDeque::new(),
            range: None,
            ranged: false,
            round_new: 0,
            round_stale: 0,
            fruitless: 0,
        }
    }
}

/// A space this node and a peer both hold, as [`Service::shared`] found it: what a
/// handler of the peer's message about the space works on, borrowed at once, so that it
/// uses what was checked instead of looking it up again.
pub(super) struct Shared<'a, P> {
    pub(super) peer: &'a P,
    pub(super) space: SpaceId,
    /// This node's items of the space.
    pub(super) items: &'a mut Items,
    /// The peer's link in the space.
    pub(super) link: &'a mut Link,
    /// The rest of the peer that handlers use: [`Peer::empty`], [`Peer::warned`] and
    /// its traffic.
    pub(super) empty: &'a mut BTreeSet<SpaceId>,
    pub(super) warned: &'a mut bool,
    pub(super) traffic: &'a Traffic,
    /// What this node fetches and keeps waiting, for [`Shared::enqueue`].
    fetching: &'a HashMap<EntryId, P>,
    waiting: &'a HashMap<EntryId, Timestamp>,
    alternates: &'a mut HashMap<EntryId, Vec<P>>,
    /// Ids queued from the peer in the other spaces it shares with this node.
    others_queued: usize,
}

impl<P: Clone + PartialEq> Shared<'_, P> {
    /// Queues on the link those of `ids` this node lacks, up to the queue's bound.
    pub(super) fn enqueue(&mut self, ids: impl Iterator<Item = EntryId>) {
        let mut lacking = Lacking {
            items: self.items,
            fetching: self.fetching,
            waiting: self.waiting,
            alternates: self.alternates,
            peer: self.peer,
            others_queued: self.others_queued,
        };
        lacking.enqueue(self.link, ids);
    }
}

impl<P> Service<P>
where
    P: Clone + Ord + Hash + Debug,
{
    /// Opens a connection to `peer`, unless it is banned, and greets it.
    pub(super) fn connect(&mut self, now: Timestamp, peer: P) {
        if let Some(ban) = self.ban(now, &peer) {
            self.out.push(Output::Disconnect(
                peer,
                DisconnectReason::Banned {
                    until: ban.until,
                    offence: ban.offence,
                },
            ));
            return;
        }
        tracing::debug!(target: "sync", ?peer, "peer connected");
        let config = &self.config;
        let standing = self.standing.remove(&peer);
        self.peers.entry(peer.clone()).or_insert_with(|| {
            let mut fresh = Peer::new(now, config);
            if let Some(standing) = standing {
                fresh.score = standing.score;
                fresh.bucket = standing.bucket;
                fresh.serve = standing.serve;
            }
            fresh
        });
        let hello = self.hello(now, true);
        self.send(&peer, hello);
    }

    /// Forgets a peer that went away or was banned: what was asked of it can be asked of
    /// others, and a space fetched whole from it is fetched from another peer.
    pub(super) fn forget(&mut self, now: Timestamp, peer: &P) {
        if let Some(gone) = self.peers.remove(peer) {
            if self.standing.len() >= MAX_STANDING {
                let oldest = self
                    .standing
                    .iter()
                    .min_by_key(|(_, s)| s.left)
                    .map(|(p, _)| p.clone());
                if let Some(oldest) = oldest {
                    self.standing.remove(&oldest);
                }
            }
            self.standing.insert(
                peer.clone(),
                Standing {
                    score: gone.score,
                    bucket: gone.bucket,
                    serve: gone.serve,
                    left: now,
                },
            );
        }
        self.fetching.retain(|_, from| from != peer);
        self.alternates.retain(|_, others| {
            others.retain(|p| p != peer);
            !others.is_empty()
        });
        let others: Vec<P> = self.peers.keys().cloned().collect();
        for other in others {
            self.refresh_links(now, &other);
        }
    }

    /// Our `Hello`; with `echo`, asking for the peer's (again).
    fn hello(&self, now: Timestamp, echo: bool) -> Message {
        let held = self.spaces.iter().take(MAX_HELLO_SPACES);
        let spaces = held.clone().map(|(space, _)| *space).collect();
        let empty = held
            .filter(|(_, items)| items.is_empty())
            .map(|(space, _)| *space)
            .collect();
        Message::Hello {
            spaces,
            empty,
            echo,
            now,
        }
    }

    /// The peer's `Hello`: the spaces it holds, those it holds nothing of yet, and its
    /// clock.
    pub(super) fn hello_received(
        &mut self,
        now: Timestamp,
        from: &P,
        spaces: Vec<SpaceId>,
        empty: Vec<SpaceId>,
        echo: bool,
        theirs: Timestamp,
    ) {
        let offered: Vec<SpaceId> = spaces
            .iter()
            .filter(|space| !self.spaces.contains_key(*space))
            .copied()
            .collect();
        if let Some(peer) = self.peers.get_mut(from) {
            peer.empty = empty.into_iter().filter(|s| spaces.contains(s)).collect();
            peer.spaces = spaces.into_iter().collect();
            peer.heard = true;
            let offset = i128::from(theirs.as_millis()) - i128::from(now.as_millis());
            peer.clock_offset =
                Some(offset.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64);
        }
        if echo {
            let hello = self.hello(now, false);
            self.send(from, hello);
        }
        if !offered.is_empty() {
            self.out.push(Output::Offered(from.clone(), offered));
        }
        self.refresh_links(now, from);
    }

    /// Asks again for the `Hello` of peers not heard from for a retry interval.
    pub(super) fn ask_unheard(&mut self, now: Timestamp) {
        let retry = self.config.retry_interval;
        let unheard: Vec<P> = self
            .peers
            .iter()
            .filter(|(_, peer)| !peer.heard && peer.next_hello <= now)
            .map(|(id, _)| id.clone())
            .collect();
        for peer in unheard {
            tracing::debug!(target: "sync", ?peer, "no hello from the peer yet; asking again");
            if let Some(p) = self.peers.get_mut(&peer) {
                p.next_hello = now.saturating_add(retry);
            }
            let hello = self.hello(now, true);
            self.send(&peer, hello);
        }
    }

    /// Tells every peer the spaces this node now holds.
    pub(super) fn announce_spaces(&mut self, now: Timestamp) {
        let hello = self.hello(now, false);
        let peers: Vec<P> = self.peers.keys().cloned().collect();
        for peer in peers {
            self.send(&peer, hello.clone());
            self.refresh_links(now, &peer);
        }
    }

    /// Brings the peer's links in line with the spaces both sides hold.
    pub(super) fn refresh_links(&mut self, now: Timestamp, peer_id: &P) {
        // The spaces being fetched whole: linking or unlinking this peer's spaces below
        // changes that for none of the spaces it stays linked in.
        let ranging: BTreeSet<SpaceId> = self
            .peers
            .values()
            .flat_map(|peer| peer.links.iter())
            .filter(|(_, link)| link.range.is_some())
            .map(|(space, _)| *space)
            .collect();
        let Some(peer) = self.peers.get_mut(peer_id) else {
            return;
        };
        let spaces = &self.spaces;
        peer.links
            .retain(|space, _| spaces.contains_key(space) && peer.spaces.contains(space));
        for space in peer
            .spaces
            .iter()
            .filter(|space| spaces.contains_key(*space))
        {
            peer.links.entry(*space).or_insert_with(|| Link::new(now));
        }
        // A space this node holds nothing of is fetched whole, from one peer at a time.
        for (space, link) in peer.links.iter_mut() {
            let empty = spaces.get(space).is_some_and(Items::is_empty);
            if empty && !link.ranged && !ranging.contains(space) {
                tracing::debug!(target: "sync", peer = ?peer_id, space = %space.short(), "fetching the space whole");
                link.range = Some(Range::start());
            }
        }
        self.drive(now, peer_id);
    }

    /// The link with `from` in `space`, with this node's items of it, if both hold it; a
    /// peer speaking about a space evidently holds it too, even if its `Hello` has not
    /// arrived yet, so the link is made if missing.
    pub(super) fn shared<'a>(
        &'a mut self,
        now: Timestamp,
        from: &'a P,
        space: &SpaceId,
    ) -> Result<Shared<'a, P>, Fault> {
        let Self {
            spaces,
            peers,
            fetching,
            waiting,
            alternates,
            ..
        } = self;
        let (Some(items), Some(peer)) = (spaces.get_mut(space), peers.get_mut(from)) else {
            return Err(Fault::new(
                Offence::UnsharedSpace,
                format!("space {} is not held here", space.short()),
            ));
        };
        peer.spaces.insert(*space);
        let others_queued = peer.queued_beside(space);
        let Peer {
            links,
            empty,
            warned,
            traffic,
            ..
        } = peer;
        Ok(Shared {
            peer: from,
            space: *space,
            items,
            link: links.entry(*space).or_insert_with(|| Link::new(now)),
            others_queued,
            empty,
            warned,
            traffic,
            fetching,
            waiting,
            alternates,
        })
    }

    /// The link with `peer` in `space`, if any.
    pub(super) fn link(&mut self, peer: &P, space: &SpaceId) -> Option<&mut Link> {
        self.peers.get_mut(peer)?.links.get_mut(space)
    }
}
