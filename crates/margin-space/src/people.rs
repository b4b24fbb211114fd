//! People: which keys of a space are one person's.
//!
//! A person is first a key. Three kinds of facts make several keys one person:
//!
//! - a **device link** (`key-link`, relation `Device`): an identity key vouches for a
//!   device key, which consented;
//! - a **rotation** (`key-link`, relation `Successor`): a key hands over to a new one;
//! - a **replacement** (`key-replacement`): a convener attests, for this space, that a
//!   key replaces a participant's lost one.
//!
//! And two make a key stop counting: an **unlink** (`key-unlink`) by the person, from its
//! date on; and a rotation or replacement, from its date on, for the key replaced.
//!
//! Everything here is decided from the *set* of facts, never from the order they came
//! in, so two nodes holding the same entries agree on who is whom. A key's entries are
//! still accepted after it stops counting (a node that received one before the unlink
//! must agree with a node that received it after): they are *void*, left out of every
//! view, tally and export, with the reason.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use margin_core::Timestamp;
use margin_core::id::EntryId;
use margin_core::key::PublicKey;
use margin_core::link::{KeyLink, KeyUnlink, Relation};
use serde::{Deserialize, Serialize};

/// A link, as the earliest entry that carried its certificate says.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct LinkFact {
    relation: Relation,
    time: Timestamp,
    entry: EntryId,
}

/// A convener's attestation that `key` replaces `lost`.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct ReplacementFact {
    lost: PublicKey,
    key: PublicKey,
    time: Timestamp,
}

/// A device linked to a person, as `margin device list` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Device {
    /// The key that linked it.
    pub identity: PublicKey,
    pub key: PublicKey,
    pub name: String,
    pub linked: Timestamp,
    /// The entry that carries the link in this space.
    pub entry: EntryId,
    /// From when it stops counting, and the entry that says so.
    pub unlinked: Option<(Timestamp, EntryId)>,
}

/// What the facts mean, worked out again whenever one is added.
#[derive(Clone, Debug, Default)]
struct Resolved {
    /// Each linked device's identity key (a device two people claim is nobody's).
    identity_of: BTreeMap<PublicKey, PublicKey>,
    /// Each replaced key's successor, and from when the replaced key stops counting.
    successor: BTreeMap<PublicKey, (PublicKey, Timestamp)>,
    predecessor: BTreeMap<PublicKey, PublicKey>,
    /// When each unlinked device stops counting, and by whose unlink.
    unlinked: BTreeMap<PublicKey, (Timestamp, EntryId)>,
}

/// The facts about keys in one space.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct People {
    links: BTreeMap<(PublicKey, PublicKey), LinkFact>,
    unlinks: BTreeMap<(PublicKey, PublicKey), (Timestamp, EntryId)>,
    /// Replacements that take effect (their convener's role holds): rebuilt with the
    /// other role entries when the charter's resolution changes.
    replacements: BTreeMap<EntryId, ReplacementFact>,
    /// Entries that make one key continue another (links and replacements), from →
    /// to: what an entry names in refs to show its author stands for a registered key.
    continuations: HashMap<EntryId, (PublicKey, PublicKey)>,
    /// Worked out when first asked after a change (adding a fact costs nothing: a
    /// batch of many links is resolved once, not once per link).
    #[serde(skip)]
    resolved: std::sync::OnceLock<Resolved>,
}

impl People {
    /// Whether any key here is another's: when not, everyone is their own key.
    pub fn is_empty(&self) -> bool {
        self.links.is_empty() && self.replacements.is_empty()
    }

    pub fn add_link(&mut self, entry: EntryId, link: &KeyLink) {
        let fact = LinkFact {
            relation: link.relation.clone(),
            time: link.time,
            entry,
        };
        let slot = self
            .links
            .entry((link.by, link.key()))
            .or_insert(fact.clone());
        if entry < slot.entry {
            *slot = fact;
        }
        self.continuations.insert(entry, (link.by, link.key()));
        self.changed();
    }

    pub fn add_unlink(&mut self, entry: EntryId, unlink: &KeyUnlink) {
        let slot = self
            .unlinks
            .entry((unlink.by, unlink.key))
            .or_insert((unlink.time, entry));
        if (unlink.time, entry) < *slot {
            *slot = (unlink.time, entry);
        }
        self.changed();
    }

    pub fn add_replacement(
        &mut self,
        entry: EntryId,
        lost: PublicKey,
        key: PublicKey,
        time: Timestamp,
    ) {
        self.replacements
            .insert(entry, ReplacementFact { lost, key, time });
        self.continuations.insert(entry, (lost, key));
        self.changed();
    }

    /// Forgets every replacement, before the role entries are decided again.
    pub fn clear_replacements(&mut self) {
        for id in std::mem::take(&mut self.replacements).keys() {
            self.continuations.remove(id);
        }
        self.changed();
    }

    /// Whether `entry` makes `to` continue `from` (a link or a replacement that takes
    /// effect).
    pub fn continues(&self, entry: &EntryId, from: &PublicKey, to: &PublicKey) -> bool {
        self.continuations.get(entry) == Some(&(*from, *to))
    }

    /// Forgets what the facts meant: worked out again when next asked.
    fn changed(&mut self) {
        self.resolved = std::sync::OnceLock::new();
    }

    fn resolved(&self) -> &Resolved {
        self.resolved.get_or_init(|| self.work_out())
    }

    fn work_out(&self) -> Resolved {
        let mut resolved = Resolved::default();
        // Successions first, earliest first; a key has one successor and one
        // predecessor, and no chain loops back.
        let mut handovers: Vec<(Timestamp, EntryId, PublicKey, PublicKey)> = self
            .links
            .iter()
            .filter(|(_, f)| f.relation == Relation::Successor)
            .map(|((old, new), f)| (f.time, f.entry, *old, *new))
            .chain(
                self.replacements
                    .iter()
                    .map(|(id, r)| (r.time, *id, r.lost, r.key)),
            )
            .collect();
        handovers.sort();
        for (time, _, old, new) in handovers {
            if resolved.successor.contains_key(&old) || resolved.predecessor.contains_key(&new) {
                continue;
            }
            let chain = chain_back(&resolved.predecessor, old);
            // No loops, and no chain longer than a person could need.
            if chain.contains(&new) || chain.len() >= MAX_CHAIN {
                continue;
            }
            resolved.successor.insert(old, (new, time));
            resolved.predecessor.insert(new, old);
        }
        // Devices: one level below an identity key, claimed by one person only.
        let root = |key: PublicKey| {
            *chain_back(&resolved.predecessor, key)
                .last()
                .unwrap_or(&key)
        };
        let mut claims: BTreeMap<PublicKey, BTreeSet<PublicKey>> = BTreeMap::new();
        let mut identity: BTreeMap<PublicKey, PublicKey> = BTreeMap::new();
        for ((by, device), fact) in &self.links {
            if matches!(fact.relation, Relation::Device { .. }) {
                claims.entry(*device).or_default().insert(root(*by));
                let slot = identity.entry(*device).or_insert(*by);
                *slot = (*slot).min(*by);
            }
        }
        for (device, people) in claims {
            if people.len() == 1 && !resolved.predecessor.contains_key(&device) {
                resolved.identity_of.insert(device, identity[&device]);
            }
        }
        // Unlinks by the device's own person.
        for ((by, device), (time, entry)) in &self.unlinks {
            let Some(identity) = resolved.identity_of.get(device) else {
                continue;
            };
            if root(*by) != root(*identity) {
                continue;
            }
            let slot = resolved.unlinked.entry(*device).or_insert((*time, *entry));
            if (*time, *entry) < *slot {
                *slot = (*time, *entry);
            }
        }
        resolved
    }

    /// The person `key` signs for, named by their first key.
    pub fn person(&self, key: &PublicKey) -> PublicKey {
        let key = self.resolved().identity_of.get(key).unwrap_or(key);
        *chain_back(&self.resolved().predecessor, *key)
            .last()
            .unwrap_or(key)
    }

    /// The person's keys that speak for them (their first key and its successors, not
    /// their devices), first to latest.
    pub fn identity_keys(&self, key: &PublicKey) -> Vec<PublicKey> {
        let mut keys = vec![self.person(key)];
        while let Some((next, _)) = keys.last().and_then(|k| self.resolved().successor.get(k)) {
            keys.push(*next);
        }
        keys
    }

    /// Why what `author` signed at `time` counts for nothing, if it does not.
    pub fn void(&self, author: &PublicKey, time: Timestamp) -> Option<String> {
        if let Some((since, entry)) = self.resolved().unlinked.get(author)
            && time >= *since
        {
            return Some(format!(
                "signed by a device after its person unlinked it ({})",
                entry.short()
            ));
        }
        if let Some((next, since)) = self.resolved().successor.get(author)
            && time >= *since
        {
            return Some(format!(
                "signed by a key after it was replaced by {}",
                margin_core::id::short(&next.to_string())
            ));
        }
        None
    }

    /// The identity key `device` is linked to, if it is a device.
    pub fn identity_of(&self, device: &PublicKey) -> Option<PublicKey> {
        self.resolved().identity_of.get(device).copied()
    }

    /// The key that replaced `key`, if one did.
    pub fn successor(&self, key: &PublicKey) -> Option<PublicKey> {
        self.resolved().successor.get(key).map(|(k, _)| *k)
    }

    /// The entry that carries `by`'s link to `key` here.
    pub fn link_entry(&self, by: &PublicKey, key: &PublicKey) -> Option<EntryId> {
        self.links.get(&(*by, *key)).map(|f| f.entry)
    }

    /// The entry that carries `by`'s unlink of `key` here.
    pub fn unlink_entry(&self, by: &PublicKey, key: &PublicKey) -> Option<EntryId> {
        self.unlinks.get(&(*by, *key)).map(|(_, e)| *e)
    }

    /// The entries, in refs, that tie `author` to `registered` (the same key, or one
    /// link or replacement from it).
    pub fn stands_for(&self, author: &PublicKey, registered: &PublicKey, refs: &[EntryId]) -> bool {
        author == registered || refs.iter().any(|r| self.continues(r, registered, author))
    }

    /// The links and replacements here that make `key` continue another key.
    pub fn continuation_entries_to(&self, key: &PublicKey) -> Vec<(EntryId, PublicKey)> {
        let mut out: Vec<(EntryId, PublicKey)> = self
            .continuations
            .iter()
            .filter(|(_, (_, to))| to == key)
            .map(|(id, (from, _))| (*id, *from))
            .collect();
        out.sort();
        out
    }

    /// Every device linked here, with its name and whether it was unlinked.
    pub fn devices(&self) -> Vec<Device> {
        self.links
            .iter()
            .filter_map(|((by, key), f)| match &f.relation {
                Relation::Device { name } => Some(Device {
                    identity: *by,
                    key: *key,
                    name: name.clone(),
                    linked: f.time,
                    entry: f.entry,
                    unlinked: self
                        .unlinks
                        .iter()
                        .filter(|((u, k), _)| k == key && self.person(u) == self.person(by))
                        .map(|(_, v)| *v)
                        .min(),
                }),
                Relation::Successor => None,
            })
            .collect()
    }
}

/// The most keys one person's succession may hold (rotations and replacements): a
/// longer chain is a key generator at work, and its later links are ignored.
const MAX_CHAIN: usize = 64;

/// `key`, its predecessor, its predecessor's predecessor, … (no loops, and at most
/// [`MAX_CHAIN`] keys: see `work_out`).
fn chain_back(predecessor: &BTreeMap<PublicKey, PublicKey>, key: PublicKey) -> Vec<PublicKey> {
    let mut chain = vec![key];
    while let Some(prev) = chain.last().and_then(|k| predecessor.get(k)) {
        if chain.len() >= MAX_CHAIN || chain.contains(prev) {
            break;
        }
        chain.push(*prev);
    }
    chain
}
