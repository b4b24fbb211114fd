//! Charter versions: the genesis charter plus the amendments an entry can see, and the
//! resolution of the whole charter history that decides which amendments take effect.
//!
//! An entry is *accepted* against the charter version named by the charter entries among
//! its refs, as Radicle checks collaborative-object operations against the identity
//! document version they name ([`CharterHistory::named`]): a function of the entry and
//! its refs, so every node reaches the same verdict in any order.
//!
//! What an amendment *does* is decided against the whole history, merged
//! ([`CharterHistory::resolution`]), so that a revocation holds:
//!
//! - Amendments are applied in causal order; among those ready at once, the one whose
//!   author is the most senior convener goes first (a genesis convener before one
//!   appointed later, an earlier appointment before a later one), then the earlier
//!   dated, then the smaller id — as Matrix's state resolution orders power events by
//!   power level before time. Each one takes effect only if its author is a convener in
//!   the state reached so far (the merged charter), not only in the version it names.
//! - A revocation of a convener voids everything that convener signed concurrently with
//!   it or after it — every amendment of theirs that is not among the revocation's
//!   causal predecessors — unless a later grant gave the role back and the amendment
//!   names it. So a revoked convener cannot appoint a proxy by naming an old charter
//!   version, and the proxy's own amendments fall with the appointment: authority is
//!   causal, as in Keyhive's convergent capabilities.
//! - Two conveners revoking each other concurrently ("duelling admins"): the senior one's
//!   revocation is applied first, and the junior's, no longer signed by a convener,
//!   takes no effect. An amendment that would leave no convener takes no effect.
//!
//! The resolution is recomputed from the set of charter entries, so it does not depend
//! on the order they arrived in.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use margin_core::Timestamp;
use margin_core::body::{Charter, CharterAmendment, CharterChange, Policy, Role};
use margin_core::id::EntryId;
use margin_core::key::PublicKey;
use serde::{Deserialize, Serialize};

use crate::error::Rejection;

/// The charter as in force at some version: who holds which role, and the comment rules.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CharterState {
    pub title: String,
    pub policy: Policy,
    pub opens: Option<Timestamp>,
    pub closes: Option<Timestamp>,
    pub conveners: BTreeSet<PublicKey>,
    pub editors: BTreeSet<PublicKey>,
    pub registrars: BTreeSet<PublicKey>,
    pub stakeholder_groups: Vec<String>,
}

impl CharterState {
    fn genesis(c: &Charter) -> Self {
        CharterState {
            title: c.title.clone(),
            policy: c.policy,
            opens: c.opens,
            closes: c.closes,
            conveners: c.conveners.iter().copied().collect(),
            editors: c.editors.iter().copied().collect(),
            registrars: c.registrars.iter().copied().collect(),
            stakeholder_groups: c.stakeholder_groups.clone(),
        }
    }

    /// Applies an amendment's changes in order.
    pub fn amend(&mut self, amendment: &CharterAmendment) {
        for change in &amendment.changes {
            match change {
                CharterChange::Grant { role, key } => {
                    self.holders_mut(*role).insert(*key);
                }
                CharterChange::Revoke { role, key } => {
                    self.holders_mut(*role).remove(key);
                }
                CharterChange::Policy(p) => self.policy = *p,
                CharterChange::Period { opens, closes } => {
                    self.opens = *opens;
                    self.closes = *closes;
                }
                CharterChange::Title(t) => self.title = t.clone(),
            }
        }
    }

    pub fn holders(&self, role: Role) -> &BTreeSet<PublicKey> {
        match role {
            Role::Convener => &self.conveners,
            Role::Editor => &self.editors,
            Role::Registrar => &self.registrars,
        }
    }

    fn holders_mut(&mut self, role: Role) -> &mut BTreeSet<PublicKey> {
        match role {
            Role::Convener => &mut self.conveners,
            Role::Editor => &mut self.editors,
            Role::Registrar => &mut self.registrars,
        }
    }

    pub fn has(&self, role: Role, key: &PublicKey) -> bool {
        self.holders(role).contains(key)
    }

    /// Checks that `time` falls in the comment period `[opens, closes)`.
    pub fn check_period(&self, time: Timestamp) -> Result<(), Rejection> {
        if let Some(opens) = self.opens
            && time < opens
        {
            return Err(Rejection::OutsidePeriod(format!(
                "opens at {}; the entry is dated {}",
                crate::view::format_time(opens),
                crate::view::format_time(time)
            )));
        }
        if let Some(closes) = self.closes
            && time >= closes
        {
            return Err(Rejection::OutsidePeriod(format!(
                "closed at {}; the entry is dated {}",
                crate::view::format_time(closes),
                crate::view::format_time(time)
            )));
        }
        Ok(())
    }
}

/// One entry of the charter history.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Node {
    time: Timestamp,
    author: PublicKey,
    /// Charter entries this one names.
    parents: Vec<EntryId>,
    amendment: Option<CharterAmendment>,
}

/// What the whole charter history resolves to (see the module's documentation).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolution {
    /// Amendments that take no effect, and why.
    pub void: BTreeMap<EntryId, String>,
    /// Revocations that took effect: (who, which role, the revoking amendment, its date).
    pub revocations: Vec<(PublicKey, Role, EntryId, Timestamp)>,
    /// Effective grants: (who, which role, the granting amendment).
    pub grants: Vec<(PublicKey, Role, EntryId)>,
}

/// The charter history of a space, with a cache of computed versions.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CharterHistory {
    genesis_id: EntryId,
    genesis: CharterState,
    /// The genesis conveners, the most senior.
    founders: BTreeSet<PublicKey>,
    nodes: HashMap<EntryId, Node>,
    /// Charter entries no other charter entry names: the current version.
    heads: BTreeSet<EntryId>,
    /// Versions as named (no resolution), for accepting entries.
    cache: HashMap<Vec<EntryId>, CharterState>,
    /// The resolution of the whole history, and versions resolved with it; computed when
    /// an amendment is added, so that reading the charter needs no `&mut`.
    resolution: Resolution,
    resolved: HashMap<Vec<EntryId>, CharterState>,
    /// The charter in force now: the whole history, merged and resolved.
    current: CharterState,
}

impl CharterHistory {
    pub fn new(genesis_id: EntryId, time: Timestamp, author: PublicKey, charter: &Charter) -> Self {
        let mut nodes = HashMap::new();
        nodes.insert(
            genesis_id,
            Node {
                time,
                author,
                parents: vec![],
                amendment: None,
            },
        );
        let genesis = CharterState::genesis(charter);
        let mut history = CharterHistory {
            genesis_id,
            current: genesis.clone(),
            genesis,
            founders: charter.conveners.iter().copied().collect(),
            nodes,
            heads: BTreeSet::from([genesis_id]),
            cache: HashMap::new(),
            resolution: Resolution::default(),
            resolved: HashMap::new(),
        };
        history.resolution = history.resolve(&BTreeSet::from([genesis_id]));
        history
    }

    pub fn contains(&self, id: &EntryId) -> bool {
        self.nodes.contains_key(id)
    }

    /// The charter entries among `refs`.
    pub fn charter_refs(&self, refs: &[EntryId]) -> Vec<EntryId> {
        refs.iter().copied().filter(|r| self.contains(r)).collect()
    }

    /// The current charter heads, which new entries name in their refs.
    pub fn heads(&self) -> Vec<EntryId> {
        self.heads.iter().copied().collect()
    }

    /// Records an accepted amendment.
    pub fn add(
        &mut self,
        id: EntryId,
        time: Timestamp,
        author: PublicKey,
        parents: Vec<EntryId>,
        amendment: CharterAmendment,
    ) {
        for p in &parents {
            self.heads.remove(p);
        }
        self.heads.insert(id);
        self.nodes.insert(
            id,
            Node {
                time,
                author,
                parents,
                amendment: Some(amendment),
            },
        );
        self.resolved.clear();
        let all: BTreeSet<EntryId> = self.nodes.keys().copied().collect();
        self.resolution = self.resolve(&all);
        let heads = self.heads();
        self.current = self.resolved_version(&heads);
    }

    /// The charter version named by `heads` (charter entry ids): the amendments reachable
    /// from them, resolved among themselves alone. What an entry is accepted against — a
    /// function of its refs, so every node reaches the same verdict in any order.
    pub fn version(&mut self, heads: &[EntryId]) -> CharterState {
        let key = version_key(heads);
        if let Some(state) = self.cache.get(&key) {
            return state.clone();
        }
        let within = self.ancestors_of(&key);
        let void: BTreeSet<EntryId> = self.resolve(&within).void.keys().copied().collect();
        let (state, _) = self.run(&within, &void);
        if self.cache.len() > 4096 {
            self.cache.clear();
        }
        self.cache.insert(key, state.clone());
        state
    }

    /// The charter version named by `heads`, resolved: only the amendments among them
    /// that take effect (see the module's documentation). What an entry's effect is
    /// judged against.
    pub fn resolved_version(&mut self, heads: &[EntryId]) -> CharterState {
        let key = version_key(heads);
        if let Some(state) = self.resolved.get(&key) {
            return state.clone();
        }
        let void: BTreeSet<EntryId> = self.resolution.void.keys().copied().collect();
        let (state, _) = self.run(&self.ancestors_of(&key), &void);
        if self.resolved.len() > 4096 {
            self.resolved.clear();
        }
        self.resolved.insert(key, state.clone());
        state
    }

    /// The charter in force now: the whole history, merged and resolved.
    pub fn current(&self) -> &CharterState {
        &self.current
    }

    /// What the whole history resolves to: which amendments take no effect (and why),
    /// and the revocations and grants that do.
    pub fn resolution(&self) -> &Resolution {
        &self.resolution
    }

    /// Whether `key`'s `role` was revoked by an amendment that took effect and is dated at
    /// or before `time`, and not given back since by a grant that took effect. What judges
    /// entries other than amendments, which name no revocation they may have missed.
    pub fn revoked_by(&self, key: &PublicKey, role: Role, time: Timestamp) -> Option<EntryId> {
        let resolution = &self.resolution;
        let revocation = resolution
            .revocations
            .iter()
            .filter(|(k, r, _, at)| k == key && *r == role && *at <= time)
            .max_by_key(|(_, _, id, at)| (*at, *id))?;
        let regranted = resolution
            .grants
            .iter()
            .any(|(k, r, g)| k == key && *r == role && self.is_ancestor(&revocation.2, g));
        (!regranted).then_some(revocation.2)
    }

    /// Every charter entry reachable from `heads`, themselves included.
    fn ancestors_of(&self, heads: &[EntryId]) -> BTreeSet<EntryId> {
        let mut reach: BTreeSet<EntryId> = BTreeSet::new();
        let mut stack: Vec<EntryId> = heads.to_vec();
        while let Some(id) = stack.pop() {
            if reach.insert(id)
                && let Some(node) = self.nodes.get(&id)
            {
                stack.extend(node.parents.iter().copied());
            }
        }
        reach
    }

    /// Whether `a` is among the causal predecessors of `b` (or is `b`).
    fn is_ancestor(&self, a: &EntryId, b: &EntryId) -> bool {
        self.ancestors_of(std::slice::from_ref(b)).contains(a)
    }

    /// The resolution of the charter entries `within` (a causally closed set), by
    /// iteration: apply them with the amendments voided so far; every revocation of a
    /// convener that takes effect voids its target's concurrent and later amendments;
    /// repeat until nothing more is voided (each round voids at least one more amendment,
    /// so it ends).
    fn resolve(&self, within: &BTreeSet<EntryId>) -> Resolution {
        let mut void: BTreeMap<EntryId, String> = BTreeMap::new();
        loop {
            let skip: BTreeSet<EntryId> = void.keys().copied().collect();
            let (_, outcome) = self.run(within, &skip);
            let mut more: BTreeMap<EntryId, String> = outcome.ineffective.clone();
            for (key, role, revocation, _) in &outcome.revocations {
                if *role != Role::Convener {
                    continue;
                }
                let before = self.ancestors_of(std::slice::from_ref(revocation));
                for id in within {
                    let Some(node) = self.nodes.get(id) else {
                        continue;
                    };
                    if node.author != *key || node.amendment.is_none() || before.contains(id) {
                        continue;
                    }
                    // Given the role back after the revocation, in what it names: stands.
                    let named = self.ancestors_of(std::slice::from_ref(id));
                    let regranted = outcome.grants.iter().any(|(k, r, g)| {
                        k == key
                            && *r == Role::Convener
                            && named.contains(g)
                            && self.is_ancestor(revocation, g)
                    });
                    if !regranted {
                        more.entry(*id).or_insert_with(|| {
                            format!(
                                "signed by a convener whose role was revoked by {} (concurrently or before)",
                                revocation.short()
                            )
                        });
                    }
                }
            }
            let grew = more.keys().any(|id| !void.contains_key(id));
            void.extend(more);
            if !grew {
                return Resolution {
                    void,
                    revocations: outcome.revocations,
                    grants: outcome.grants,
                };
            }
        }
    }

    /// Applies the charter entries of `within`, except those in `skip`, in causal order
    /// (the most senior convener's first among those ready at once, then by date, then
    /// id), each only if its author is a convener in the state reached so far and it
    /// leaves a convener. Returns the state and what happened.
    fn run(&self, within: &BTreeSet<EntryId>, skip: &BTreeSet<EntryId>) -> (CharterState, Run) {
        let mut waiting: BTreeMap<EntryId, usize> = BTreeMap::new();
        let mut children: HashMap<EntryId, Vec<EntryId>> = HashMap::new();
        for id in within {
            let parents = self
                .nodes
                .get(id)
                .map(|n| n.parents.as_slice())
                .unwrap_or(&[]);
            let inside: Vec<_> = parents.iter().filter(|p| within.contains(p)).collect();
            waiting.insert(*id, inside.len());
            for p in inside {
                children.entry(*p).or_default().push(*id);
            }
        }
        // Seniority: founders first, then conveners in the order they were appointed.
        let mut seniority: HashMap<PublicKey, usize> =
            self.founders.iter().map(|k| (*k, 0)).collect();
        let rank = |seniority: &HashMap<PublicKey, usize>, id: &EntryId| {
            let node = self.nodes.get(id);
            let author = node.map(|n| n.author);
            (
                author
                    .and_then(|a| seniority.get(&a).copied())
                    .unwrap_or(usize::MAX),
                node.map_or(Timestamp::EPOCH, |n| n.time),
                *id,
            )
        };
        let mut ready: BTreeSet<(usize, Timestamp, EntryId)> = waiting
            .iter()
            .filter(|(_, n)| **n == 0)
            .map(|(id, _)| rank(&seniority, id))
            .collect();
        let mut state = self.genesis.clone();
        let mut run = Run::default();
        let mut applied = 0usize;
        while let Some(next) = ready.pop_first() {
            let id = next.2;
            if let Some(node) = self.nodes.get(&id)
                && let Some(amendment) = node.amendment.as_ref()
                && !skip.contains(&id)
            {
                let mut after = state.clone();
                after.amend(amendment);
                if !state.has(Role::Convener, &node.author) {
                    run.ineffective.insert(
                        id,
                        "signed by a key that is not a convener in the merged charter".into(),
                    );
                } else if after.conveners.is_empty() {
                    run.ineffective
                        .insert(id, "it would leave the space without a convener".into());
                } else {
                    applied += 1;
                    for change in &amendment.changes {
                        match change {
                            CharterChange::Grant { role, key } => {
                                if *role == Role::Convener {
                                    seniority.entry(*key).or_insert(applied);
                                }
                                run.grants.push((*key, *role, id));
                            }
                            CharterChange::Revoke { role, key } => {
                                if *role == Role::Convener {
                                    seniority.remove(key);
                                }
                                run.revocations.push((*key, *role, id, node.time));
                            }
                            _ => {}
                        }
                    }
                    state = after;
                }
            }
            for child in children.get(&id).into_iter().flatten() {
                if let Some(n) = waiting.get_mut(child) {
                    *n -= 1;
                    if *n == 0 {
                        ready.insert(rank(&seniority, child));
                    }
                }
            }
        }
        (state, run)
    }

    pub fn genesis_id(&self) -> EntryId {
        self.genesis_id
    }
}

/// What one run over the history found.
#[derive(Default)]
struct Run {
    ineffective: BTreeMap<EntryId, String>,
    revocations: Vec<(PublicKey, Role, EntryId, Timestamp)>,
    grants: Vec<(PublicKey, Role, EntryId)>,
}

fn version_key(heads: &[EntryId]) -> Vec<EntryId> {
    let mut key: Vec<EntryId> = heads.to_vec();
    key.sort();
    key.dedup();
    key
}
