//! The sample review space: the fixture draft of a Best Practice Forum report, revised
//! once, with comments, replies, stances and dispositions from five participants of
//! different stakeholder groups and regions. `margin demo` loads it so that a newcomer
//! sees a real review at once.
//!
//! The sample participants' keys are derived from fixed seeds that are published here:
//! they are for the sample only.

use margin_core::body::Body;
use margin_core::body::Policy;
use margin_core::body::{CommentKind, DispositionValue, Profile, StanceValue};
use margin_core::entry::Entry;
use margin_core::id::{DraftId, SpaceId};
use margin_core::key::SigningKey;
use margin_core::{ParaId, Timestamp};
use serde::Serialize;

use crate::error::NodeError;
use crate::home::Identity;
use crate::node::{NewComment, Node};

const V1: &str = include_str!("../../../tests/fixtures/bpf-draft-v1.md");
const V2: &str = include_str!("../../../tests/fixtures/bpf-draft-v2.md");
const TITLE: &str = "Sample: BPF on Cybersecurity, 2026 output report";

/// What `margin demo` loaded.
#[derive(Clone, Debug, Serialize)]
pub struct Demo {
    pub space: String,
    pub draft: String,
    /// Whether this call loaded it (false: it was there already).
    pub loaded: bool,
    /// What to try next, with the real ids.
    pub walkthrough: String,
}

fn participant(
    seed: u8,
    name: &str,
    affiliation: &str,
    stakeholder: &str,
    region: &str,
) -> Result<Identity, NodeError> {
    let key = SigningKey::from_seed([seed; 32]);
    let profile = Profile {
        name: name.into(),
        affiliation: affiliation.into(),
        stakeholder: stakeholder.into(),
        region: region.into(),
    };
    let profile_entry = Entry::sign(
        &key,
        None,
        Timestamp::from_millis(1_760_000_000_000),
        vec![],
        &Body::Profile(profile.clone()),
    )?;
    Ok(Identity {
        key,
        profile_entry,
        profile,
        device: [0, 0, 0, seed],
    })
}

/// Loads the sample space into the node (once), signing as the sample participants.
pub fn load(node: &mut Node) -> Result<Demo, NodeError> {
    let chair = participant(
        101,
        "Maria Okafor",
        "BPF Cybersecurity co-facilitator",
        "technical-community",
        "Africa",
    )?;
    for id in node.space_ids()? {
        let found = node.with_space(&id, |space| {
            let charter = space.charter();
            if charter.title != TITLE || !charter.conveners.contains(&chair.key.public()) {
                return Ok(None);
            }
            space
                .drafts()
                .next()
                .map(|d| Some(d.id))
                .ok_or_else(|| NodeError::NotFound("sample draft".into()))
        })?;
        if let Some(draft) = found {
            return Ok(demo(id, draft, false));
        }
    }
    let result = write(node, &chair);
    node.act_as(None);
    let (space, draft) = result?;
    Ok(demo(space, draft, true))
}

fn write(node: &mut Node, chair: &Identity) -> Result<(SpaceId, DraftId), NodeError> {
    let kenji = participant(
        102,
        "Kenji Tanaka",
        "Asia Cloud Alliance",
        "private-sector",
        "Asia-Pacific",
    )?;
    let amina = participant(
        103,
        "Amina Diallo",
        "Réseau Numérique Citoyen",
        "civil-society",
        "Africa",
    )?;
    let lucia = participant(
        104,
        "Lucía Fernández",
        "Ministry of ICT",
        "government",
        "Latin America and Caribbean",
    )?;
    let pierre = participant(
        105,
        "Pierre Martin",
        "Université de Lyon",
        "academia",
        "Western Europe",
    )?;

    node.act_as(Some(chair.clone()));
    let space = node
        .create_space(TITLE, Policy::Open, None, None)?
        .to_string();
    let draft = node.import_draft(&space, V1, None, "First draft for public comment")?;
    let d = draft.to_string();
    node.tag(&d, "v1")?;
    let para = |node: &Node, starts: &str| -> Result<ParaId, NodeError> {
        let (_, space) = node.locate_draft(&d)?;
        let view = node.with_space(&space, |s| {
            Ok::<_, NodeError>(
                s.draft(&draft)
                    .ok_or_else(|| NodeError::NotFound(d.clone()))?
                    .doc
                    .view(None)?,
            )
        })?;
        view.sections
            .into_iter()
            .flat_map(|s| s.paragraphs)
            .find(|p| p.text.starts_with(starts))
            .map(|p| p.id)
            .ok_or_else(|| NodeError::NoParagraph(ParaId::from(starts)))
    };
    let harbours = para(node, "[Governments should establish")?;
    let cvd = para(node, "Coordinated vulnerability")?;
    let workshops = para(node, "Short workshops")?;
    let duration = para(node, "Capacity-building programmes should")?;
    let core = para(node, "[Participants agreed")?;
    let comment = |node: &mut Node,
                   who: &Identity,
                   para: &ParaId,
                   quote: Option<&str>,
                   text: &str,
                   kind: CommentKind,
                   suggestion: Option<&str>| {
        node.act_as(Some(who.clone()));
        node.comment(
            &d,
            NewComment {
                para: Some(para),
                quote,
                text,
                kind,
                suggestion,
                reply: None,
                version: None,
            },
        )
    };

    let objection = comment(
        node,
        &kenji,
        &harbours,
        Some(
            "Governments should establish legal safe harbours for good-faith security researchers.",
        ),
        "Operators cannot support an obligation on governments without a definition of good faith; the second wording is acceptable.",
        CommentKind::Objection,
        None,
    )?;
    let question = comment(
        node,
        &amina,
        &cvd,
        Some("Twelve contributions described a policy in force"),
        "Which contributions? Please list them in an annex so that readers can find the policies.",
        CommentKind::Question,
        None,
    )?;
    let suggestion = comment(
        node,
        &lucia,
        &duration,
        Some("commit to a duration of at least three years"),
        "Duration alone is not enough; the finding in 3.3 is about design with the recipients.",
        CommentKind::Suggestion,
        Some("be designed with their recipients and commit to a duration of at least three years"),
    )?;
    let evidence = comment(
        node,
        &pierre,
        &workshops,
        None,
        "Is there evidence for this beyond the contributions? Two evaluations we ran found the opposite for follow-up-free trainings.",
        CommentKind::Comment,
        None,
    )?;
    comment(
        node,
        &amina,
        &core,
        None,
        "Civil society supports removing the brackets: this is the Forum's central finding.",
        CommentKind::Comment,
        None,
    )?;
    node.act_as(Some(amina.clone()));
    node.comment(
        &d,
        NewComment {
            para: None,
            quote: None,
            text: "Smaller economies need the safe harbour most; we prefer the first wording.",
            kind: CommentKind::Comment,
            suggestion: None,
            reply: Some(&objection.to_string()),
            version: None,
        },
    )?;

    for (who, p, value, reason) in [
        (
            &kenji,
            &harbours,
            StanceValue::Object,
            Some("Without a definition of good faith"),
        ),
        (&amina, &harbours, StanceValue::Support, None),
        (
            &lucia,
            &harbours,
            StanceValue::Accept,
            Some("Either wording, if national law is respected"),
        ),
        (&pierre, &harbours, StanceValue::Support, None),
        (&amina, &core, StanceValue::Support, None),
        (&lucia, &core, StanceValue::Support, None),
        (&kenji, &core, StanceValue::Accept, None),
        (
            &pierre,
            &workshops,
            StanceValue::Object,
            Some("Not supported by evidence"),
        ),
    ] {
        node.act_as(Some(who.clone()));
        node.stance(&d, p, value, reason)?;
    }

    // Pierre signs on to Amina's question; Kenji and Amina weigh in on Lucía's
    // alternative wording.
    node.act_as(Some(pierre.clone()));
    node.cosign(&question.to_string(), None, false)?;
    for (who, value, reason) in [
        (&kenji, StanceValue::Support, None),
        (
            &amina,
            StanceValue::Accept,
            Some("Better than duration alone"),
        ),
    ] {
        node.act_as(Some(who.clone()));
        node.alternative_stance(&d, Some(&duration), &suggestion.to_string(), value, reason)?;
    }

    node.act_as(Some(chair.clone()));
    let revision = node
        .update_draft(&d, V2, "Revised after the first comment round")?
        .ok_or_else(|| NodeError::Invalid("the sample revision changed nothing".into()))?;
    node.tag(&d, "v2")?;
    let rev = revision.to_string();
    node.dispose(
        &question.to_string(),
        DispositionValue::Partly,
        "Counts updated to fourteen; the list will be in the annex of the final version.",
        Some(&rev),
    )?;
    node.dispose(
        &suggestion.to_string(),
        DispositionValue::Accepted,
        "",
        Some(&rev),
    )?;
    node.dispose(
        &evidence.to_string(),
        DispositionValue::Accepted,
        "Sentence removed: the contributions alone do not support it.",
        Some(&rev),
    )?;
    node.dispose(
        &objection.to_string(),
        DispositionValue::Noted,
        "Both wordings stay bracketed for the second round.",
        None,
    )?;
    Ok((node.locate_space(&space)?, draft))
}

fn demo(space: SpaceId, draft: DraftId, loaded: bool) -> Demo {
    let s = space.short();
    let d = draft.short();
    let walkthrough = format!(
        "{intro}\n\
         Try:\n\
         \x20 margin space show {s}            # the charter, roles and drafts\n\
         \x20 margin draft show {d}            # sections and numbered paragraphs with their ids\n\
         \x20 margin comments {d}              # comments beside their passages, and what the text reads now\n\
         \x20 margin draft diff {d} v1 v2      # what the editors changed\n\
         \x20 margin stances {d}               # who supports, can live with, or objects to what\n\
         \x20 margin draft log {d}             # signed revisions and named versions\n\
         \x20 margin objections {d}            # every objection, and whether it was addressed\n\
         \x20 margin consensus {d}             # status per paragraph, convergence across groups\n\
         \x20 margin brackets {d}              # bracketed wordings to choose between, to offer as alternatives\n\
         \x20 margin export {d} --format csv --out matrix.csv   # the comment-resolution matrix\n\
         \x20 margin search \"safe harbours\"\n\
         Then take part yourself (after `margin init --name \"Your Name\"`):\n\
         \x20 margin comment {d} --para PARAGRAPH-ID --quote \"some words\" --body \"Your comment\"\n\
         Or run `margin node` and open the address it prints: the same review in your browser.\n",
        intro = if loaded {
            format!(
                "Loaded the sample review space {s}: a Best Practice Forum draft, revised once, with comments from five participants.\n"
            )
        } else {
            format!("The sample review space {s} is already here.\n")
        }
    );
    Demo {
        space: space.to_string(),
        draft: draft.to_string(),
        loaded,
        walkthrough,
    }
}
