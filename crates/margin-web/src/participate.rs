//! Taking part through a mirror's public site (`margin node --public ADDR
//! --public-participation`), without trusting the mirror: the visitor's key is made and
//! kept in their browser, every entry is built and signed there (`/static/entry.js`),
//! and the mirror only relays what it cannot forge.
//!
//! `POST /api/entries` takes one signed entry as its bytes. The node judges it exactly as
//! it judges a peer's: decoded canonically, its signature verified, then applied by the
//! space's rules (who may comment, the comment period, limits); only the kinds of entries
//! a participant signs are taken, only in spaces this node holds. Each address and each
//! key has a budget of entries per minute; a refused entry costs its address five, so a
//! sender of bad entries is soon answered `429` without the store being touched.
//! `GET /api/spaces/{space}/context` gives the browser what an entry refers to (the
//! charter's heads) and the node's time; `GET /api/drafts/{draft}/anchor` the anchor of
//! a passage (its Automerge cursors, made here as for the node's own comments), which
//! the browser checks against the words the visitor selected before signing it.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use margin_core::entry::{Entry, Kind, Unverified};
use margin_core::key::PublicKey;
use margin_node::node::Outcome;
use serde_json::json;

use crate::{Context, on_store};

/// Entries an address may post per minute, and at once.
const PER_ADDRESS_PER_MINUTE: u32 = 60;
const PER_ADDRESS_BURST: u32 = 20;
/// Entries a key may sign through this site per minute, and at once.
const PER_KEY_PER_MINUTE: u32 = 30;
const PER_KEY_BURST: u32 = 10;
/// What a refused entry costs its address, in entries.
const REFUSAL_COST: u32 = 5;
/// The largest entry taken here: comments and their edits, not drafts.
pub const MAX_POSTED_BYTES: usize = 64 * 1024;
/// The longest passage an anchor is made for, in bytes: a passage lies inside one
/// paragraph, and paragraphs are far shorter.
pub const MAX_QUOTE_BYTES: usize = 16 * 1024;

/// The kinds of entries a participant signs, the only ones taken from browsers.
const PARTICIPANT_KINDS: [Kind; 8] = [
    Kind::Profile,
    Kind::Comment,
    Kind::CommentEdit,
    Kind::Retraction,
    Kind::Erasure,
    Kind::Stance,
    Kind::AlternativeStance,
    Kind::CoSign,
];

/// The budgets of addresses and keys.
pub struct Limits {
    addresses: DefaultKeyedRateLimiter<IpAddr>,
    keys: DefaultKeyedRateLimiter<PublicKey>,
}

fn quota(per_minute: u32, burst: u32) -> Quota {
    let per_minute = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
    Quota::per_minute(per_minute).allow_burst(burst)
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            addresses: RateLimiter::keyed(quota(PER_ADDRESS_PER_MINUTE, PER_ADDRESS_BURST)),
            keys: RateLimiter::keyed(quota(PER_KEY_PER_MINUTE, PER_KEY_BURST)),
        }
    }
}

impl Limits {
    /// Forgets the addresses and keys whose budget is full again (memory stays bounded
    /// by the senders of the last minute).
    pub fn forget_idle(&self) {
        self.addresses.retain_recent();
        self.keys.retain_recent();
    }

    fn penalize(&self, address: IpAddr) {
        let cost = NonZeroU32::new(REFUSAL_COST).unwrap_or(NonZeroU32::MIN);
        // More than the budget left only means the address waits longer.
        let _ = self.addresses.check_key_n(&address, cost);
    }
}

fn refused(status: StatusCode, reason: impl Into<String>) -> Response {
    (status, Json(json!({ "error": reason.into() }))).into_response()
}

fn too_many(what: &str) -> Response {
    (
        StatusCode::TOO_MANY_REQUESTS,
        [(header::RETRY_AFTER, "60")],
        Json(
            json!({ "error": format!("too many entries from this {what}; try again in a minute") }),
        ),
    )
        .into_response()
}

/// `POST /api/entries`: one entry signed in a browser.
pub async fn post_entry(
    State(state): State<Arc<Context>>,
    ConnectInfo(from): ConnectInfo<SocketAddr>,
    body: Bytes,
) -> Response {
    let Some(limits) = state.participation.clone() else {
        return refused(StatusCode::NOT_FOUND, "this site does not take part");
    };
    let address = from.ip();
    if limits.addresses.check_key(&address).is_err() {
        return too_many("address");
    }
    let answer = judge(&state, &limits, body.to_vec()).await;
    if answer.status().is_client_error() && answer.status() != StatusCode::TOO_MANY_REQUESTS {
        limits.penalize(address);
        tracing::info!(target: "http", "an entry from {address} refused ({})", answer.status());
    }
    answer
}

async fn judge(state: &Arc<Context>, limits: &Limits, bytes: Vec<u8>) -> Response {
    if bytes.len() > MAX_POSTED_BYTES {
        return refused(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("an entry posted here is at most {MAX_POSTED_BYTES} bytes"),
        );
    }
    let entry = match Entry::<Unverified>::decode(&bytes) {
        Ok(entry) => entry,
        Err(e) => return refused(StatusCode::BAD_REQUEST, format!("not an entry: {e}")),
    };
    if !PARTICIPANT_KINDS.contains(&entry.kind()) {
        return refused(
            StatusCode::FORBIDDEN,
            format!(
                "a {} entry cannot be posted here: only a participant's entries are",
                entry.kind().name()
            ),
        );
    }
    let Some(space) = entry.space() else {
        return refused(
            StatusCode::BAD_REQUEST,
            "an entry posted here names its space",
        );
    };
    if limits.keys.check_key(&entry.author()).is_err() {
        return too_many("key");
    }
    let id = entry.id();
    let outcome = on_store(state, move |node| {
        if !node
            .store()
            .contains(&space)
            .map_err(margin_node::NodeError::from)?
        {
            return Ok(None);
        }
        let outcomes = node.receive_entries(vec![bytes])?;
        // A participant's own entry: findable at once.
        node.catch_up_space(&space);
        Ok(outcomes.into_iter().find(|(e, _)| *e == id).map(|(_, o)| o))
    })
    .await;
    match outcome {
        Err(e) => refused(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
        Ok(None) => refused(
            StatusCode::NOT_FOUND,
            format!("this site holds no space {space}"),
        ),
        Ok(Some(Outcome::Accepted { .. })) => {
            (StatusCode::CREATED, Json(json!({ "entry": id.to_hex() }))).into_response()
        }
        Ok(Some(Outcome::Duplicate { .. })) => {
            (StatusCode::OK, Json(json!({ "entry": id.to_hex() }))).into_response()
        }
        Ok(Some(Outcome::Pending)) => (
            StatusCode::ACCEPTED,
            Json(json!({ "entry": id.to_hex(), "waiting": "for entries it refers to" })),
        )
            .into_response(),
        Ok(Some(Outcome::Rejected(reason))) => refused(StatusCode::UNPROCESSABLE_ENTITY, reason),
        Ok(Some(Outcome::Held { .. })) => refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            "the entry is dated in the future: check this device's clock",
        ),
        Ok(Some(Outcome::Ignored { .. })) => refused(
            StatusCode::FORBIDDEN,
            "this site does not take this key's entries",
        ),
        Ok(Some(Outcome::Failed(reason))) => refused(StatusCode::INTERNAL_SERVER_ERROR, reason),
        Ok(Some(Outcome::Dropped | Outcome::Withheld)) => refused(
            StatusCode::SERVICE_UNAVAILABLE,
            "the space cannot take more waiting entries now; try again later",
        ),
    }
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct ContextQuery {
    /// A draft of the space: its current heads and paragraphs are added.
    pub draft: Option<String>,
    /// The author's key (hex): under a registered-only policy, their registration is
    /// among what their entries refer to.
    pub key: Option<String>,
}

/// `GET /api/spaces/{space}/context[?draft=ID]`: what an entry made in a browser refers
/// to (the charter's heads), the node's time, and a draft's current version.
pub async fn context(
    State(state): State<Arc<Context>>,
    Path(space): Path<String>,
    Query(query): Query<ContextQuery>,
) -> Response {
    if state.participation.is_none() {
        return refused(StatusCode::NOT_FOUND, "this site does not take part");
    }
    let found = on_store(&state, move |node| {
        let id = node.locate_space(&space)?;
        let now = node.now();
        node.with_space(&id, |s| {
            let charter = s.charter();
            let mut refs = s.charter_heads();
            let author = query
                .key
                .as_deref()
                .and_then(|k| hex::decode(k).ok())
                .and_then(|k| <[u8; 32]>::try_from(k).ok())
                .map(PublicKey);
            if let Some(author) = author {
                refs.extend(s.registration_entry(&author));
            }
            let mut value = json!({
                "space": id.to_hex(),
                "title": charter.title,
                "refs": refs.iter().map(|h| h.to_hex()).collect::<Vec<_>>(),
                "time": now.as_millis(),
                "registered_only": charter.policy == margin_core::body::Policy::Registered,
            });
            if let Some(draft) = &query.draft {
                let state = s
                    .drafts()
                    .find(|d| d.id.to_hex().starts_with(draft.as_str()) && !draft.is_empty())
                    .ok_or_else(|| crate::WebError::NotFound(format!("no draft {draft}")))?;
                let view = state.doc.view(None).map_err(margin_node::NodeError::from)?;
                let paragraphs: Vec<_> = view
                    .sections
                    .iter()
                    .flat_map(|s| &s.paragraphs)
                    .map(|p| json!({ "n": p.n, "id": p.id, "text": p.text }))
                    .collect();
                // What an entry about this version names: the draft and the revisions
                // that carry its heads.
                let heads = state.doc.heads();
                let mut draft_refs = vec![state.id.to_hex()];
                draft_refs.extend(state.entries_carrying(&heads).iter().map(|e| e.to_hex()));
                value["draft"] = json!({
                    "id": state.id.to_hex(),
                    "refs": draft_refs,
                    "title": view.title,
                    "heads": state.doc.heads().iter().map(hex::encode).collect::<Vec<_>>(),
                    "paragraphs": paragraphs,
                });
            }
            Ok::<_, crate::WebError>(value)
        })
    })
    .await;
    match found {
        Ok(value) => Json(value).into_response(),
        Err(e) => e.into_response(),
    }
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct AnchorQuery {
    /// The paragraph, by id or by its number in the current version; none for the whole
    /// draft (a reply, a comment on the whole draft).
    pub para: Option<String>,
    /// The passage, exactly as selected; none for the whole paragraph.
    pub quote: Option<String>,
    /// Where the selection started in the paragraph, in code points (a quote that
    /// occurs more than once).
    pub start: Option<usize>,
    /// The version read: a tag name, `@HEX,HEX` heads, or none (or `current`) for the
    /// current text.
    pub v: Option<String>,
}

/// `GET /api/drafts/{draft}/anchor?para=P[&quote=Q][&start=N][&v=V]`: what a comment
/// about (a passage of) a paragraph names, as the node makes it for its own comments:
/// the draft, the heads read, the entries carrying them, and the anchor (Automerge
/// cursors and the quote with its context). Read-only; the browser signs it.
pub async fn anchor(
    State(state): State<Arc<Context>>,
    Path(draft): Path<String>,
    Query(query): Query<AnchorQuery>,
) -> Response {
    if state.participation.is_none() {
        return refused(StatusCode::NOT_FOUND, "this site does not take part");
    }
    let quote = query.quote.filter(|q| !q.trim().is_empty());
    if quote.as_ref().is_some_and(|q| q.len() > MAX_QUOTE_BYTES) {
        return refused(
            StatusCode::BAD_REQUEST,
            format!("a passage is at most {MAX_QUOTE_BYTES} bytes"),
        );
    }
    let para = query.para.filter(|p| !p.trim().is_empty());
    if quote.is_some() && para.is_none() {
        return crate::WebError::from(margin_node::NodeError::QuoteWithoutParagraph)
            .into_response();
    }
    let version = query.v.filter(|v| !v.is_empty() && v != "current");
    let start = query.start;
    let found = on_store(&state, move |node| {
        let (draft_id, space) = node.locate_draft(&draft)?;
        node.with_space(&space, |s| {
            let state = s
                .draft(&draft_id)
                .ok_or_else(|| crate::WebError::NotFound(format!("no draft {draft}")))?;
            let heads = state.version_heads(version.as_deref()).ok_or_else(|| {
                margin_node::NodeError::NoVersion(version.clone().unwrap_or_default())
            })?;
            let anchor = match &para {
                None => None,
                Some(given) => {
                    let pid = margin_draft::ParaId::from(crate::write::paragraph_id(
                        s, &draft_id, given,
                    )?);
                    if state
                        .doc
                        .paragraph_text(&pid, Some(&heads))
                        .map_err(margin_node::NodeError::from)?
                        .is_none()
                    {
                        return Err(margin_node::NodeError::NoParagraph(pid).into());
                    }
                    let made = state
                        .doc
                        .anchor_near(&pid, quote.as_deref(), start, &heads)
                        .map_err(margin_node::NodeError::from)?;
                    Some(margin_space::view::wire_anchor(&made))
                }
            };
            let mut refs = vec![state.id];
            refs.extend(state.entries_carrying(&heads));
            refs.sort();
            refs.dedup();
            Ok::<_, crate::WebError>(json!({
                "space": s.id().to_hex(),
                "draft": state.id.to_hex(),
                "heads": heads.iter().map(hex::encode).collect::<Vec<_>>(),
                "refs": refs.iter().map(|h| h.to_hex()).collect::<Vec<_>>(),
                "anchor": anchor.map(|a| json!({
                    "para": a.para,
                    "start": a.start.map(hex::encode),
                    "end": a.end.map(hex::encode),
                    "quote": a.quote.map(|q| json!({
                        "exact": q.exact,
                        "prefix": q.prefix,
                        "suffix": q.suffix,
                    })),
                })),
            }))
        })
    })
    .await;
    match found {
        Ok(value) => Json(value).into_response(),
        Err(e) => e.into_response(),
    }
}
