//! Comments as W3C Web Annotations (JSON-LD, <https://www.w3.org/TR/annotation-model/>):
//! an `AnnotationCollection` whose annotations target the draft's Markdown text at the
//! exported version with a `TextQuoteSelector` and a `TextPositionSelector` (positions
//! in Unicode code points from the start of that text). Replies target the annotation
//! they answer; comments on the whole draft target the draft. Retracted and hidden
//! comments are left out; a campaign of identical comments is one annotation with all
//! its authors and signatories as creators.
//!
//! Every annotation, the collection and its page pass the MUST assertions of the W3C Web
//! Annotation test suite (`tests/it/web_annotation_suite.rs`). So each annotation
//! carries its own `@context`: a tool that takes one out of the collection, to post it
//! to an annotation server, say, has a whole annotation.

use std::collections::HashMap;

use margin_consensus::signatories;
use margin_core::Timestamp;
use margin_core::id::{DraftId, EntryId};
use margin_space::Space;
use margin_space::view::{AnchorView, CommentView, ParticipantView};
use serde_json::{Value, json};

use crate::error::Error;
use crate::export::{Export, Format};

/// The JSON-LD context: the W3C annotation vocabulary, and Margin's own few terms.
fn context() -> Value {
    json!([
        "http://www.w3.org/ns/anno.jsonld",
        {
            "margin": "urn:margin:terms:",
            "provenance": "margin:provenance",
            "stakeholderGroup": "margin:stakeholderGroup",
            "region": "margin:region",
            "version": "margin:version",
            "orphaned": "margin:orphaned"
        }
    ])
}

pub(crate) fn annotations(space: &Space, draft: &DraftId, e: &Export) -> Result<Value, Error> {
    let provenance = e.provenance(Format::Annotations);
    let source = format!("urn:margin:draft:{}", provenance.draft);
    let offsets = paragraph_offsets(e);
    let views: HashMap<String, CommentView> = space
        .comment_views(draft, None)
        .into_iter()
        .map(|v| (v.id.clone(), v))
        .collect();
    let mut items = vec![];
    let groups = margin_consensus::campaigns(space, draft);
    let representative: HashMap<String, String> = groups
        .iter()
        .flat_map(|g| g.iter().map(|id| (id.to_string(), g[0].to_string())))
        .collect();
    let mut order: Vec<(Timestamp, EntryId, Vec<EntryId>)> = groups
        .into_iter()
        .filter_map(|g| space.comment(&g[0]).map(|c| (c.time, c.id, g.clone())))
        .collect();
    order.sort();
    let doc = space.draft(draft).map(|state| &state.doc);
    for (_, id, group) in order {
        let (Some(v), Some(comment)) = (views.get(&id.to_string()), space.comment(&id)) else {
            continue;
        };
        if v.retracted || v.hidden.is_some() {
            continue;
        }
        let motivation = match (v.parent.is_some(), v.kind) {
            (true, _) => "replying",
            (false, "question") => "questioning",
            (false, "suggestion") => "editing",
            (false, "objection") => "assessing",
            _ => "commenting",
        };
        let mut body = vec![json!({
            "type": "TextualBody",
            "value": v.body,
            "format": "text/plain",
            "purpose": motivation,
        })];
        if let Some(s) = &v.suggestion {
            body.push(json!({
                "type": "TextualBody",
                "value": s,
                "format": "text/plain",
                "purpose": "editing",
            }));
        }
        let mut creators = vec![person(&v.author)];
        for s in signatories(space, &group, e.options()) {
            creators.push(person(&s.participant));
        }
        let target = match (&v.parent, &v.anchor) {
            (Some(parent), _) => {
                let parent = representative.get(parent).unwrap_or(parent);
                json!(format!("urn:margin:entry:{parent}"))
            }
            (None, AnchorView::Draft) => json!({ "source": source }),
            (
                None,
                AnchorView::Anchored {
                    para,
                    start,
                    end,
                    text,
                    ..
                },
            ) => {
                let paragraph = offsets.get(para.as_str());
                let (prefix, suffix) = paragraph
                    .map(|(_, t)| context_of(t, *start, *end))
                    .unwrap_or_default();
                let mut selectors = vec![json!({
                    "type": "TextQuoteSelector",
                    "exact": text,
                    "prefix": prefix,
                    "suffix": suffix,
                })];
                if let Some((offset, _)) = paragraph {
                    selectors.push(json!({
                        "type": "TextPositionSelector",
                        "start": offset + start,
                        "end": offset + end,
                    }));
                }
                json!({ "source": source, "version": provenance.heads, "selector": selectors })
            }
            (None, AnchorView::Orphaned) => {
                // The passage as commented; for a comment on a whole paragraph, the
                // paragraph as it read then.
                let whole = || {
                    let para = comment.body.anchor.as_ref()?;
                    doc?.paragraph_text(&para.para, Some(&comment.body.heads))
                        .ok()
                        .flatten()
                };
                let selector = match &v.quote {
                    Some(q) => Some(json!({
                        "type": "TextQuoteSelector",
                        "exact": q.exact,
                        "prefix": q.prefix,
                        "suffix": q.suffix,
                    })),
                    None => whole().filter(|t| !t.is_empty()).map(|t| {
                        json!({ "type": "TextQuoteSelector", "exact": t, "prefix": "", "suffix": "" })
                    }),
                };
                let mut target = json!({
                    "source": source,
                    "version": v.version.heads,
                    "orphaned": true,
                });
                // The model's selector is a selector, never an empty list of them.
                if let Some(selector) = selector {
                    target["selector"] = json!([selector]);
                }
                target
            }
        };
        items.push(json!({
            "@context": context(),
            "id": format!("urn:margin:entry:{}", v.id),
            "type": "Annotation",
            "motivation": motivation,
            "created": v.time,
            "creator": if creators.len() == 1 { creators.remove(0) } else { Value::Array(creators) },
            "body": body,
            "target": target,
        }));
    }
    let id = format!(
        "urn:margin:draft:{}:annotations:{}",
        provenance.draft, provenance.entry_set
    );
    Ok(json!({
        "@context": context(),
        "id": id,
        "type": "AnnotationCollection",
        "label": format!("Comments on {}", provenance.draft_title),
        "total": items.len(),
        "provenance": provenance,
        "first": {
            "id": format!("{id}:page:1"),
            "type": "AnnotationPage",
            "startIndex": 0,
            "items": items,
        },
    }))
}

fn person(p: &ParticipantView) -> Value {
    json!({
        "id": p.key,
        "type": "Person",
        "name": p.name,
        "stakeholderGroup": p.stakeholder,
        "region": p.region,
    })
}

/// Where each block's text starts in the draft's Markdown, in code points, with the text.
fn paragraph_offsets(e: &Export) -> HashMap<&str, (usize, &str)> {
    let mut out = HashMap::new();
    let md = e.markdown.as_str();
    let mut at = 0; // byte position after the previous block
    let blocks = e.view.sections.iter().flat_map(|s| {
        s.heading
            .iter()
            .map(|h| (h.id.as_str(), h.text.as_str()))
            .chain(
                s.paragraphs
                    .iter()
                    .map(|p| (p.id.as_str(), p.text.as_str())),
            )
    });
    for (id, text) in blocks {
        if let Some(found) = md.get(at..).and_then(|rest| rest.find(text)) {
            let start = at + found;
            out.insert(id, (md[..start].chars().count(), text));
            at = start + text.len();
        }
    }
    out
}

/// Up to 32 code points before and after `[start, end)` of `text`, as the quote selector
/// of a comment records them.
fn context_of(text: &str, start: usize, end: usize) -> (String, String) {
    let chars: Vec<char> = text.chars().collect();
    let start = start.min(chars.len());
    let end = end.clamp(start, chars.len());
    let prefix: String = chars[start.saturating_sub(32)..start].iter().collect();
    let suffix: String = chars[end..(end + 32).min(chars.len())].iter().collect();
    (prefix, suffix)
}
