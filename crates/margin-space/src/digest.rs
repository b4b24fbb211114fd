//! Digests: one of the state (what participants see), one of the entry set.

use margin_core::Timestamp;
use margin_core::id::EntryId;
use serde::Serialize;

use crate::space::Space;
use crate::view::{CommentView, ParagraphStances, ParticipantView};

/// Everything a participant can see, in a fixed order.
#[derive(Serialize)]
struct StateForDigest {
    title: String,
    policy: &'static str,
    opens: Option<Timestamp>,
    closes: Option<Timestamp>,
    conveners: Vec<String>,
    editors: Vec<String>,
    registrars: Vec<String>,
    participants: Vec<ParticipantView>,
    drafts: Vec<DraftForDigest>,
    /// (coalition, member, active); left out when empty, so that the digest of a space
    /// without coalitions is what it was before coalitions existed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    memberships: Vec<(String, String, bool)>,
    /// (comment, author) of comments their authors erased, sorted; left out when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    erased: Vec<(String, String)>,
}

/// (comment, participant, wording, stance, reason).
type AlternativeStanceForDigest = (String, String, Option<String>, &'static str, Option<String>);

#[derive(Serialize)]
struct DraftForDigest {
    id: String,
    markdown: String,
    heads: Vec<String>,
    tags: Vec<(String, Vec<String>)>,
    comments: Vec<CommentView>,
    stances: Vec<ParagraphStances>,
    /// (comment, signer, coalition, withdrawn), sorted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    cosigns: Vec<(String, String, Option<String>, bool)>,
    /// (comment, participant, wording, stance, reason), sorted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    alternative_stances: Vec<AlternativeStanceForDigest>,
}

impl Space {
    /// BLAKE3 over the state as participants see it (charter, people, draft texts and
    /// versions, comments with resolved anchors, stances). Two nodes with the same entries
    /// have the same digest, whatever order the entries came in.
    pub fn digest(&self) -> String {
        let charter = self.charter.current();
        let keys = |set: &std::collections::BTreeSet<margin_core::key::PublicKey>| {
            set.iter().map(|k| k.to_string()).collect::<Vec<_>>()
        };
        let mut people: std::collections::BTreeSet<margin_core::key::PublicKey> =
            self.profiles.keys().copied().collect();
        people.extend(self.registrations.keys().copied());
        let state = StateForDigest {
            title: charter.title.clone(),
            policy: charter.policy.as_str(),
            opens: charter.opens,
            closes: charter.closes,
            conveners: keys(&charter.conveners),
            editors: keys(&charter.editors),
            registrars: keys(&charter.registrars),
            participants: people.iter().map(|k| self.participant(k)).collect(),
            drafts: self
                .drafts()
                .map(|d| {
                    let mut heads: Vec<String> = d.doc.heads().iter().map(hex::encode).collect();
                    heads.sort();
                    DraftForDigest {
                        id: d.id.to_string(),
                        markdown: d.doc.render_markdown(None).unwrap_or_default(),
                        heads,
                        tags: d
                            .tags
                            .iter()
                            .map(|(name, t)| {
                                let mut h: Vec<String> = t.heads.iter().map(hex::encode).collect();
                                h.sort();
                                (name.clone(), h)
                            })
                            .collect(),
                        comments: {
                            // Sorted by id: acceptance order differs between nodes.
                            let mut c = self.comment_views(&d.id, None);
                            c.sort_by(|a, b| a.id.cmp(&b.id));
                            c
                        },
                        stances: self.stance_views(&d.id),
                        cosigns: self
                            .cosigns()
                            .filter(|((c, _), _)| {
                                self.comment(c).is_some_and(|c| c.body.draft == d.id)
                            })
                            .map(|((c, signer), s)| {
                                (
                                    c.to_string(),
                                    signer.to_string(),
                                    s.value.coalition.map(|k| k.to_string()),
                                    s.value.withdrawn,
                                )
                            })
                            .collect(),
                        alternative_stances: self
                            .alternative_stances()
                            .filter(|((c, _), _)| {
                                self.comment(c).is_some_and(|c| c.body.draft == d.id)
                            })
                            .map(|((c, who), s)| {
                                (
                                    c.to_string(),
                                    who.to_string(),
                                    s.value.wording.map(|w| w.to_string()),
                                    s.value.value.as_str(),
                                    s.value.reason.clone(),
                                )
                            })
                            .collect(),
                    }
                })
                .collect(),
            memberships: self
                .memberships()
                .map(|((coalition, member), m)| {
                    (coalition.to_string(), member.to_string(), m.value)
                })
                .collect(),
            erased: self
                .erased_comments()
                .map(|e| (e.id.to_string(), e.author.to_string()))
                .collect(),
        };
        let bytes = serde_json::to_vec(&state).expect("the digest input is plain data");
        blake3::hash(&bytes).to_hex().to_string()
    }

    /// BLAKE3 over the sorted ids of all accepted entries: names exactly which signed
    /// entries an export or a view was made from.
    pub fn entry_set_digest(&self) -> String {
        let mut ids: Vec<EntryId> = self.order().to_vec();
        ids.sort();
        entry_set_digest(&ids)
    }
}

/// BLAKE3 over entry ids given in ascending order: [`Space::entry_set_digest`] of the
/// space holding exactly these entries (a store computes it from its own rows).
pub fn entry_set_digest<'a>(sorted: impl IntoIterator<Item = &'a EntryId>) -> String {
    let mut hasher = blake3::Hasher::new();
    for id in sorted {
        hasher.update(id.as_bytes());
    }
    hasher.finalize().to_hex().to_string()
}
