//! Test and benchmark helpers: a large review space written straight into a node (a
//! draft of many paragraphs, thousands of comments, replies, stances and dispositions by
//! dozens of participants), as a real review at its busiest.
//!
//! The participants' keys come from fixed seeds: the space is for tests only.

use margin_core::body::{
    Body, Comment, CommentKind, Disposition, DispositionValue, Policy, Profile, Stance, StanceValue,
};
use margin_core::entry::Entry;
use margin_core::id::{DraftId, EntryId, SpaceId};
use margin_core::key::SigningKey;
use margin_core::{ParaId, Timestamp};
use margin_space::view::wire_anchor;

use margin_node::error::NodeError;
use margin_node::node::Node;

const GROUPS: [&str; 6] = [
    "government",
    "civil-society",
    "private-sector",
    "technical-community",
    "academia",
    "intergovernmental",
];
const REGIONS: [&str; 5] = [
    "Africa",
    "Asia-Pacific",
    "Europe",
    "Latin America and Caribbean",
    "North America",
];
const WORDS: [&str; 24] = [
    "coordinated",
    "vulnerability",
    "disclosure",
    "capacity",
    "regional",
    "norms",
    "stakeholders",
    "implementation",
    "public",
    "core",
    "Internet",
    "operators",
    "governments",
    "researchers",
    "practice",
    "contributions",
    "programmes",
    "design",
    "recipients",
    "follow-up",
    "evaluation",
    "annex",
    "responsible",
    "behaviour",
];

/// A paragraph of about 50 words, different for each `i`.
fn paragraph(i: usize) -> String {
    if i % 50 == 7 {
        return "تم استلام مساهمات باللغة العربية وتُرجمت إلى الإنكليزية، والنصوص الأصلية متاحة عند الطلب.".into();
    }
    let mut words = vec![];
    for k in 0..50 {
        words.push(WORDS[(i * 7 + k * 5 + k / 3) % WORDS.len()]);
    }
    let mut text = format!("Paragraph {i} says that {}.", words.join(" "));
    if i % 9 == 4 {
        text.push_str(" [Participants should commit to a review of this practice.]");
    }
    text
}

/// The Markdown of a draft with `paragraphs` paragraphs in sections of ten.
pub fn large_draft(paragraphs: usize) -> String {
    let mut md = String::from("# A large draft for review\n");
    for i in 0..paragraphs {
        if i % 10 == 0 {
            md.push_str(&format!("\n## Section {}\n", i / 10 + 1));
        }
        md.push_str(&format!("\n{}\n", paragraph(i)));
    }
    md
}

/// What [`large_space`] made.
pub struct LargeSpace {
    pub space: SpaceId,
    pub draft: DraftId,
}

/// Writes a space with a draft of `paragraphs` paragraphs and `comments` comments (one
/// in ten a reply), a stance per participant on every fifth paragraph, and dispositions
/// on a third of the comments. The node's own participant is the convener and editor.
pub fn large_space(
    node: &mut Node,
    paragraphs: usize,
    comments: usize,
) -> Result<LargeSpace, NodeError> {
    let editor = node.identity()?;
    let space_id = node.create_space("A large review", Policy::Open, None, None)?;
    let draft_id = node.import_draft(&space_id.to_hex(), &large_draft(paragraphs), None, "v1")?;
    node.tag(&draft_id.to_hex(), "v1")?;
    let space = node.load_space(&space_id)?;
    let state = space
        .draft(&draft_id)
        .ok_or_else(|| NodeError::NotFound(draft_id.to_string()))?;
    let heads = state.doc.heads();
    let mut refs = vec![draft_id];
    refs.extend(state.entries_carrying(&heads));
    refs.extend(space.charter_heads());
    let paras: Vec<(ParaId, String)> = state
        .doc
        .view(None)?
        .sections
        .into_iter()
        .flat_map(|s| s.paragraphs)
        .map(|p| (p.id, p.text))
        .collect();
    let mut time = Timestamp::now();
    let mut tick = || {
        time = time.saturating_add_millis(1);
        time
    };
    let people: Vec<SigningKey> = (0..40u8)
        .map(|i| SigningKey::from_seed([i + 1; 32]))
        .collect();
    let mut entries: Vec<Entry> = vec![];
    for (i, key) in people.iter().enumerate() {
        let profile = Profile {
            name: format!("Participant {}", i + 1),
            affiliation: format!("Organisation {}", i % 13 + 1),
            stakeholder: GROUPS[i % GROUPS.len()].into(),
            region: REGIONS[i % REGIONS.len()].into(),
        };
        entries.push(Entry::sign(
            key,
            Some(space_id),
            tick(),
            space.charter_heads(),
            &Body::Profile(profile),
        )?);
    }
    // Each comment's passage, read from the one version they all comment on: the whole
    // paragraph for every third comment, three of its words for the others.
    let passages: Vec<(usize, Option<String>)> = (0..comments)
        .map(|c| {
            let p = (c * 7) % paras.len().max(1);
            let quote = (c % 3 != 0).then(|| {
                let words: Vec<&str> = paras[p].1.split(' ').collect();
                let from = (c / 3) % words.len().saturating_sub(4).max(1);
                words[from..(from + 3).min(words.len())].join(" ")
            });
            (p, quote)
        })
        .collect();
    let wanted: Vec<(&ParaId, Option<&str>, Option<usize>)> = passages
        .iter()
        .map(|(p, quote)| (&paras[*p].0, quote.as_deref(), quote.as_ref().map(|_| 0)))
        .collect();
    let mut anchors = state.doc.anchor_all(&wanted, &heads)?.into_iter();
    let mut made: Vec<(EntryId, usize)> = vec![];
    for c in 0..comments {
        let p = (c * 7) % paras.len().max(1);
        // Vary who writes what on each paragraph (the paragraph repeats every
        // `paras.len()` comments).
        let round = c / paras.len().max(1);
        let author = &people[(c * 13 + round) % people.len()];
        let kind = match (c + round) % 4 {
            0 => CommentKind::Comment,
            1 => CommentKind::Question,
            2 => CommentKind::Suggestion,
            _ => CommentKind::Objection,
        };
        let reply_to = (c % 10 == 9)
            .then(|| made.iter().rev().find(|(_, q)| *q == p).map(|(id, _)| *id))
            .flatten();
        let mut comment_refs = refs.clone();
        let passage = anchors.next().expect("one passage per comment");
        let anchor = match reply_to {
            Some(parent) => {
                comment_refs.push(parent);
                None
            }
            None => Some(passage),
        };
        let body = Body::Comment(Comment {
            draft: draft_id,
            heads: heads.clone(),
            anchor: anchor.as_ref().map(wire_anchor),
            kind,
            text: format!(
                "Comment {c}: the wording should say more clearly who does what, and by when; \
                 contributors from {} asked for this.",
                REGIONS[c % REGIONS.len()]
            ),
            suggestion: (kind == CommentKind::Suggestion)
                .then(|| format!("Stakeholders should publish their practice {c} every year.")),
            parent: reply_to,
        });
        let entry = Entry::sign(author, Some(space_id), tick(), comment_refs, &body)?;
        made.push((entry.id(), p));
        entries.push(entry);
    }
    for (i, key) in people.iter().enumerate() {
        for (p, (pid, _)) in paras.iter().enumerate().filter(|(p, _)| p % 5 == i % 5) {
            let value = match (i + p) % 4 {
                0 => StanceValue::Support,
                1 => StanceValue::Accept,
                2 => StanceValue::Object,
                _ => StanceValue::Abstain,
            };
            let body = Body::Stance(Stance {
                draft: draft_id,
                para: pid.clone(),
                heads: heads.clone(),
                value,
                reason: (value == StanceValue::Object).then(|| "Too vague to implement.".into()),
            });
            entries.push(Entry::sign(
                key,
                Some(space_id),
                tick(),
                refs.clone(),
                &body,
            )?);
        }
    }
    for (k, (id, _)) in made.iter().enumerate().filter(|(k, _)| k % 3 == 0) {
        let value = match k % 4 {
            0 => DispositionValue::Accepted,
            1 => DispositionValue::Partly,
            2 => DispositionValue::Declined,
            _ => DispositionValue::Noted,
        };
        let body = Body::Disposition(Disposition {
            comment: *id,
            value,
            note: "Answered in the comment-resolution matrix.".into(),
            revision: None,
        });
        let mut disposition_refs = space.charter_heads();
        disposition_refs.push(*id);
        entries.push(Entry::sign(
            &editor.key,
            Some(space_id),
            tick(),
            disposition_refs,
            &body,
        )?);
    }
    let report = node.submit(space_id, entries)?;
    if !report.rejected.is_empty() {
        return Err(NodeError::Invalid(format!(
            "the large space refused {} entries, first: {}",
            report.rejected.len(),
            report.rejected[0].reason
        )));
    }
    Ok(LargeSpace {
        space: space_id,
        draft: draft_id,
    })
}
