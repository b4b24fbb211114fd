//! One person, several keys, as a home keeps them: the key links this home signed (its
//! devices, its rotation) or received (its own link, as a device), carried into every
//! space it writes in; linking and unlinking devices; rotating the key; a convener's
//! replacement of a participant's lost key.
//!
//! The certificates themselves are in `margin_core::link`; what they mean in a space is
//! in `margin_space::people`. The home keeps them in the file `links`, one per line:
//! `link HEX` or `unlink HEX`, the hex of the certificate's canonical encoding.

use std::fs;
use std::path::PathBuf;

use margin_core::Timestamp;
use margin_core::body::{Body, Replacement};
use margin_core::encoding;
use margin_core::entry::Entry;
use margin_core::id::{EntryId, SpaceId};
use margin_core::key::{PublicKey, SigningKey};
use margin_core::link::{CONSENT_LIFETIME_MS, Consent, KeyLink, KeyUnlink, Relation};
use margin_space::Space;

use crate::error::NodeError;
use crate::home::{Home, Identity};
use crate::node::{Node, Outcome};
use crate::passphrase::Passphrase;

const LINKS_FILE: &str = "links";
/// The most certificates a home keeps (a person with this many devices has bigger
/// problems than a slow start).
const MAX_LINKS: usize = 10_000;

/// The certificates a home holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Links {
    pub links: Vec<KeyLink>,
    pub unlinks: Vec<KeyUnlink>,
}

impl Links {
    /// The identity key `key` is linked to as a device, by a link this home holds.
    pub fn identity_of(&self, key: &PublicKey) -> Option<PublicKey> {
        self.links
            .iter()
            .filter(|l| l.key() == *key && matches!(l.relation, Relation::Device { .. }))
            .map(|l| l.by)
            .min()
    }

    /// `key` and the keys it succeeded, by the rotations this home holds.
    pub fn chain_to(&self, key: &PublicKey) -> Vec<PublicKey> {
        let mut chain = vec![*key];
        while let Some(before) = self.links.iter().find(|l| {
            l.relation == Relation::Successor
                && chain.last() == Some(&l.key())
                && !chain.contains(&l.by)
        }) {
            chain.push(before.by);
        }
        chain
    }

    /// The certificates `key` may carry into a space: those that name it.
    fn carried_by<'a>(&'a self, key: &'a PublicKey) -> impl Iterator<Item = Body> + 'a {
        let links = self
            .links
            .iter()
            .filter(move |l| l.by == *key || l.key() == *key)
            .map(|l| Body::KeyLink(l.clone()));
        let unlinks = self
            .unlinks
            .iter()
            .filter(move |u| u.by == *key || u.key == *key)
            .map(|u| Body::KeyUnlink(u.clone()));
        links.chain(unlinks)
    }
}

/// A device, as `margin device list` shows it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DeviceInfo {
    pub key: String,
    pub name: String,
    pub linked: String,
    pub revoked: Option<String>,
    /// Whether this is the home's own key.
    pub this: bool,
}

fn links_path(home: &Home) -> PathBuf {
    home.dir().join(LINKS_FILE)
}

impl Home {
    /// The key links this home holds (none when it never linked anything).
    pub fn links(&self) -> Result<Links, NodeError> {
        let path = links_path(self);
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Links::default()),
            Err(e) => return Err(NodeError::io(&path, e)),
        };
        let damaged = |line: usize, why: &str| {
            NodeError::Invalid(format!("{} line {line} is damaged: {why}", path.display()))
        };
        let mut links = Links::default();
        for (n, line) in text.lines().enumerate().take(MAX_LINKS) {
            let (what, hex_text) = line.split_once(' ').unwrap_or((line, ""));
            let bytes = hex::decode(hex_text.trim()).map_err(|_| damaged(n + 1, "not hex"))?;
            match what {
                "link" => {
                    let link: KeyLink = encoding::decode_canonical(&bytes)
                        .map_err(|e| damaged(n + 1, &e.to_string()))?;
                    link.verify().map_err(|e| damaged(n + 1, &e.to_string()))?;
                    links.links.push(link);
                }
                "unlink" => {
                    let unlink: KeyUnlink = encoding::decode_canonical(&bytes)
                        .map_err(|e| damaged(n + 1, &e.to_string()))?;
                    unlink
                        .verify()
                        .map_err(|e| damaged(n + 1, &e.to_string()))?;
                    links.unlinks.push(unlink);
                }
                "" => {}
                other => return Err(damaged(n + 1, &format!("unknown record '{other}'"))),
            }
        }
        Ok(links)
    }

    /// Keeps a certificate (once).
    fn keep_links(&self, links: &Links) -> Result<(), NodeError> {
        let encode = |what: &str, bytes: Result<Vec<u8>, encoding::EncodingError>| {
            bytes
                .map(|b| format!("{what} {}\n", hex::encode(b)))
                .map_err(|e| NodeError::Invalid(e.to_string()))
        };
        let mut text = String::new();
        for link in &links.links {
            text.push_str(&encode("link", encoding::encode(link))?);
        }
        for unlink in &links.unlinks {
            text.push_str(&encode("unlink", encoding::encode(unlink))?);
        }
        crate::home::write_file(&links_path(self), text.as_bytes())
    }

    pub(crate) fn add_link(&self, link: KeyLink) -> Result<bool, NodeError> {
        let mut links = self.links()?;
        if links.links.contains(&link) {
            return Ok(false);
        }
        links.links.push(link);
        self.keep_links(&links)?;
        Ok(true)
    }

    fn add_unlink(&self, unlink: KeyUnlink) -> Result<(), NodeError> {
        let mut links = self.links()?;
        if !links.unlinks.contains(&unlink) {
            links.unlinks.push(unlink);
            self.keep_links(&links)?;
        }
        Ok(())
    }

    /// The person this home signs for: `(identity key, own key)`. The identity key is
    /// the home's own unless the home is a linked device.
    pub fn person(&self) -> Result<(PublicKey, PublicKey), NodeError> {
        let me = self.public_identity()?.key;
        let identity = self.links()?.identity_of(&me).unwrap_or(me);
        Ok((identity, me))
    }

    /// A one-time code for linking this home's key to a person's identity: the key's
    /// consent, good for a day.
    pub fn link_code(&self, now: Timestamp) -> Result<Consent, NodeError> {
        let identity = self.identity()?;
        Ok(Consent::sign(
            &identity.key,
            now.saturating_add(std::time::Duration::from_millis(CONSENT_LIFETIME_MS)),
        ))
    }
}

impl Node {
    /// The entries `identity` still has to carry into `space` (its key links), signed.
    pub(crate) fn link_entries_for(
        &self,
        identity: &Identity,
        space: &Space,
        time: Timestamp,
    ) -> Result<Vec<Entry>, NodeError> {
        if self.is_acting() {
            return Ok(vec![]);
        }
        link_entries(&self.home().links()?, identity, space, time)
    }

    /// Whether this home is a device linked to another key (it then speaks under its
    /// person's profile, not its own).
    pub(crate) fn is_linked_device(&self, key: &PublicKey) -> Result<bool, NodeError> {
        if self.is_acting() {
            return Ok(false);
        }
        Ok(self.home().links()?.identity_of(key).is_some())
    }

    /// Carries this home's key links into every space it holds, signed by `identity`;
    /// returns how many entries that took.
    fn carry_links(&mut self, identity: &Identity) -> Result<usize, NodeError> {
        let links = self.home().links()?;
        let mut carried = 0;
        for space_id in self.space_ids()? {
            let time = self.now();
            let entries = self.with_space(&space_id, |space| {
                link_entries(&links, identity, space, time)
            })?;
            if entries.is_empty() {
                continue;
            }
            let ids: Vec<EntryId> = entries.iter().map(Entry::id).collect();
            let decided = self.ingest_now(space_id, entries)?;
            carried += decided
                .iter()
                .filter(|(id, o)| ids.contains(id) && matches!(o, Outcome::Accepted { .. }))
                .count();
        }
        Ok(carried)
    }

    /// Links the device whose code is given to this home's participant.
    pub fn add_device(&mut self, code: &str, name: &str) -> Result<(KeyLink, usize), NodeError> {
        let consent = Consent::from_code(code).map_err(|e| NodeError::Invalid(e.to_string()))?;
        let identity = self.identity()?;
        let me = identity.key.public();
        if consent.key == me {
            return Err(NodeError::Invalid(
                "that code is this home's own: run `margin device link` on the new device, and `margin device add CODE` here".into(),
            ));
        }
        if let Some(other) = self.home().links()?.identity_of(&me) {
            return Err(NodeError::Invalid(format!(
                "this home is itself a device of {other}: add devices from the home that holds the identity"
            )));
        }
        let name = name.trim();
        if name.is_empty() {
            return Err(NodeError::Invalid("a device needs a name (--name)".into()));
        }
        let link = KeyLink::sign(
            &identity.key,
            Relation::Device {
                name: name.to_owned(),
            },
            consent,
            self.now(),
        )
        .map_err(|e| NodeError::Invalid(e.to_string()))?;
        self.home().add_link(link.clone())?;
        let carried = self.carry_links(&identity)?;
        Ok((link, carried))
    }

    /// Unlinks a device of this home's participant: what it signs from now on counts
    /// for nothing.
    pub fn revoke_device(&mut self, device: &PublicKey) -> Result<(KeyUnlink, usize), NodeError> {
        let identity = self.identity()?;
        let me = identity.key.public();
        let links = self.home().links()?;
        let mine = links.chain_to(&me);
        if !links
            .links
            .iter()
            .any(|l| mine.contains(&l.by) && l.key() == *device)
        {
            return Err(NodeError::NotFound(format!(
                "{device} is not a device this home linked (margin device list)"
            )));
        }
        let unlink = KeyUnlink::sign(&identity.key, *device, self.now());
        self.home().add_unlink(unlink.clone())?;
        let carried = self.carry_links(&identity)?;
        Ok((unlink, carried))
    }

    /// The devices of this home's person, as the home and its spaces know them.
    pub fn devices(&self) -> Result<Vec<DeviceInfo>, NodeError> {
        let (identity, me) = self.home().person()?;
        let mut found: std::collections::BTreeMap<PublicKey, DeviceInfo> = Default::default();
        let links = self.home().links()?;
        let show = |t: Timestamp| margin_space::view::format_time(t);
        let mine = links.chain_to(&identity);
        for link in &links.links {
            if let (true, Relation::Device { name }) = (mine.contains(&link.by), &link.relation) {
                found.insert(
                    link.key(),
                    DeviceInfo {
                        key: link.key().to_string(),
                        name: name.clone(),
                        linked: show(link.time),
                        revoked: None,
                        this: link.key() == me,
                    },
                );
            }
        }
        for space_id in self.space_ids()? {
            self.with_space(&space_id, |space| {
                for d in space.devices() {
                    if space.person(&d.identity) != space.person(&identity) {
                        continue;
                    }
                    let info = found.entry(d.key).or_insert_with(|| DeviceInfo {
                        key: d.key.to_string(),
                        name: d.name.clone(),
                        linked: show(d.linked),
                        revoked: None,
                        this: d.key == me,
                    });
                    if let Some((time, _)) = d.unlinked {
                        info.revoked = Some(show(time));
                    }
                }
                Ok::<_, NodeError>(())
            })?;
        }
        for unlink in &links.unlinks {
            if let Some(info) = found.get_mut(&unlink.key) {
                info.revoked.get_or_insert_with(|| show(unlink.time));
            }
        }
        Ok(found.into_values().collect())
    }

    /// Notices a link of this home's own key among entries that arrived: the home
    /// becomes that person's device.
    pub(crate) fn notice_own_link(&self, entries: &[Entry]) -> Result<(), NodeError> {
        let links: Vec<&KeyLink> = entries
            .iter()
            .filter_map(|e| match e.body() {
                Some(Body::KeyLink(l)) if matches!(l.relation, Relation::Device { .. }) => Some(l),
                _ => None,
            })
            .collect();
        if links.is_empty() || self.is_acting() {
            return Ok(());
        }
        let Ok(me) = self.home().public_identity().map(|p| p.key) else {
            return Ok(());
        };
        for link in links {
            if link.key() == me && link.verify().is_ok() {
                self.home().add_link(link.clone())?;
            }
        }
        Ok(())
    }

    /// Rotates this home's key: a new key, linked from the old one as its successor,
    /// takes over from now on; the old key's later entries count for nothing. Roles the
    /// old key holds are granted to the new one first, in every space where it holds
    /// them. Returns the new key and how many entries were published.
    pub fn rotate_key(
        &mut self,
        protection: Option<&Passphrase>,
    ) -> Result<(PublicKey, usize), NodeError> {
        let old = self.identity()?;
        let old_key = old.key.public();
        if self.home().links()?.identity_of(&old_key).is_some() {
            return Err(NodeError::Invalid(
                "this home is a linked device: rotate the identity's key on the home that holds it, then link this device again".into(),
            ));
        }
        let new = SigningKey::generate().map_err(|e| NodeError::Invalid(e.to_string()))?;
        let mut published = self.grant_roles_to(&old, new.public())?;
        let time = self.now();
        let consent = Consent::sign(&new, time.saturating_add_millis(1));
        let link = KeyLink::sign(&old.key, Relation::Successor, consent, time)
            .map_err(|e| NodeError::Invalid(e.to_string()))?;
        self.home().add_link(link)?;
        // The old key carries the rotation into every space while it still can.
        published += self.carry_links(&old)?;
        let profile_time = time.max(old.profile_entry.time().saturating_add_millis(1));
        let profile = Entry::sign(
            &new,
            None,
            profile_time,
            vec![],
            &Body::Profile(old.profile.clone()),
        )?;
        self.home().adopt(new.clone(), profile, protection, true)?;
        Ok((new.public(), published))
    }

    /// Grants `new` the roles `old` holds, in every space.
    fn grant_roles_to(&mut self, old: &Identity, new: PublicKey) -> Result<usize, NodeError> {
        use margin_core::body::{CharterAmendment, CharterChange, Role};
        let me = old.key.public();
        let mut published = 0;
        for space_id in self.space_ids()? {
            let roles: Vec<Role> = self.with_space(&space_id, |space| {
                Ok::<_, NodeError>(
                    [Role::Convener, Role::Editor, Role::Registrar]
                        .into_iter()
                        .filter(|r| space.charter().has(*r, &me))
                        .collect(),
                )
            })?;
            if roles.is_empty() {
                continue;
            }
            let changes = roles
                .into_iter()
                .map(|role| CharterChange::Grant { role, key: new })
                .collect();
            self.publish(
                old,
                &space_id,
                vec![],
                Body::CharterAmendment(CharterAmendment { changes }),
            )?;
            published += 1;
        }
        Ok(published)
    }

    /// A convener attests, for one space, that `key` replaces a participant's lost key.
    pub fn replace_key(
        &mut self,
        space: &str,
        lost: PublicKey,
        key: PublicKey,
        reason: &str,
    ) -> Result<EntryId, NodeError> {
        let identity = self.identity()?;
        let space: SpaceId = self.locate_space(space)?;
        let body = Body::Replacement(Replacement {
            lost,
            key,
            reason: reason.trim().to_owned(),
        });
        self.publish(&identity, &space, vec![], body)
    }
}

/// The entries `identity` still has to carry into `space`: the certificates of `links`
/// that name it and the space does not hold yet, signed.
fn link_entries(
    links: &Links,
    identity: &Identity,
    space: &Space,
    time: Timestamp,
) -> Result<Vec<Entry>, NodeError> {
    let me = identity.key.public();
    let mut out = vec![];
    for body in links.carried_by(&me) {
        let here = match &body {
            Body::KeyLink(l) => space.link_entry(&l.by, &l.key()),
            Body::KeyUnlink(u) => space.unlink_entry(&u.by, &u.key),
            _ => None,
        };
        if here.is_some() {
            continue;
        }
        let mut refs = space.charter_heads();
        refs.extend(space.registration_entry(&me));
        out.push(Entry::sign(
            &identity.key,
            Some(space.id()),
            time,
            refs,
            &body,
        )?);
    }
    Ok(out)
}
