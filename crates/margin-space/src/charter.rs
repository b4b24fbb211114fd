//! Charter versions: the genesis charter plus the amendments an entry can see.
//!
//! An entry is authorized against the charter version named by the charter entries among
//! its refs, as Radicle checks collaborative-object operations against the identity
//! document version they name. A version is the set of charter entries reachable from
//! those refs, applied in causal order with ties broken by (time, id).

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap};

use margin_core::body::{Charter, CharterAmendment, CharterChange, Policy, Role};
use margin_core::id::EntryId;
use margin_core::key::PublicKey;
use serde::Serialize;

use crate::error::Rejection;

/// The charter as in force at some version: who holds which role, and the comment rules.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CharterState {
    pub title: String,
    pub policy: Policy,
    pub opens: Option<u64>,
    pub closes: Option<u64>,
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
    pub fn check_period(&self, time: u64) -> Result<(), Rejection> {
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
#[derive(Clone, Debug)]
struct Node {
    time: u64,
    /// Charter entries this one names.
    parents: Vec<EntryId>,
    amendment: Option<CharterAmendment>,
}

/// The charter history of a space, with a cache of computed versions.
#[derive(Clone, Debug)]
pub struct CharterHistory {
    genesis_id: EntryId,
    genesis: CharterState,
    nodes: HashMap<EntryId, Node>,
    /// Charter entries no other charter entry names: the current version.
    heads: BTreeSet<EntryId>,
    cache: HashMap<Vec<EntryId>, CharterState>,
}

impl CharterHistory {
    pub fn new(genesis_id: EntryId, time: u64, charter: &Charter) -> Self {
        let mut nodes = HashMap::new();
        nodes.insert(
            genesis_id,
            Node {
                time,
                parents: vec![],
                amendment: None,
            },
        );
        CharterHistory {
            genesis_id,
            genesis: CharterState::genesis(charter),
            nodes,
            heads: BTreeSet::from([genesis_id]),
            cache: HashMap::new(),
        }
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
        time: u64,
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
                parents,
                amendment: Some(amendment),
            },
        );
    }

    /// The charter version named by `heads` (charter entry ids).
    pub fn version(&mut self, heads: &[EntryId]) -> CharterState {
        let mut key: Vec<EntryId> = heads.to_vec();
        key.sort();
        key.dedup();
        if let Some(state) = self.cache.get(&key) {
            return state.clone();
        }
        let state = self.compute(&key);
        if self.cache.len() > 4096 {
            self.cache.clear();
        }
        self.cache.insert(key, state.clone());
        state
    }

    /// The version in force now, at the current heads.
    pub fn current(&mut self) -> CharterState {
        let heads = self.heads();
        self.version(&heads)
    }

    fn compute(&self, heads: &[EntryId]) -> CharterState {
        // Everything reachable from the heads.
        let mut reach: BTreeSet<EntryId> = BTreeSet::new();
        let mut stack: Vec<EntryId> = heads.to_vec();
        while let Some(id) = stack.pop() {
            if reach.insert(id)
                && let Some(node) = self.nodes.get(&id)
            {
                stack.extend(node.parents.iter().copied());
            }
        }
        // Kahn's algorithm, smallest (time, id) first among the ready ones.
        let mut waiting: BTreeMap<EntryId, usize> = BTreeMap::new();
        let mut children: HashMap<EntryId, Vec<EntryId>> = HashMap::new();
        for id in &reach {
            let parents = self
                .nodes
                .get(id)
                .map(|n| n.parents.as_slice())
                .unwrap_or(&[]);
            let inside: Vec<_> = parents.iter().filter(|p| reach.contains(p)).collect();
            waiting.insert(*id, inside.len());
            for p in inside {
                children.entry(*p).or_default().push(*id);
            }
        }
        let mut ready: BinaryHeap<Reverse<(u64, EntryId)>> = waiting
            .iter()
            .filter(|(_, n)| **n == 0)
            .map(|(id, _)| Reverse((self.nodes.get(id).map_or(0, |n| n.time), *id)))
            .collect();
        let mut state = self.genesis.clone();
        while let Some(Reverse((_, id))) = ready.pop() {
            if let Some(amendment) = self.nodes.get(&id).and_then(|n| n.amendment.as_ref()) {
                state.amend(amendment);
            }
            for child in children.get(&id).into_iter().flatten() {
                if let Some(n) = waiting.get_mut(child) {
                    *n -= 1;
                    if *n == 0 {
                        let time = self.nodes.get(child).map_or(0, |n| n.time);
                        ready.push(Reverse((time, *child)));
                    }
                }
            }
        }
        state
    }

    pub fn genesis_id(&self) -> EntryId {
        self.genesis_id
    }
}
