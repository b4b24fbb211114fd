//! Handlers that write: each takes a [`Writer`] (the request carries the token and
//! comes from this node's pages), reads its fields from JSON or from a form, and calls
//! the same [`Node`] operation as the CLI, signing as the node's participant. A form
//! gets a redirect back to the page it came from (`303 See Other`); JSON gets
//! `201 Created` with the new entry's id.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Form, Json};
use margin_core::body::{CommentKind, DispositionValue, Profile, StanceValue};
use margin_core::vocabulary::UnknownWord;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::json;

use super::auth::{self, Writer};
use super::model::parse_kind;
use super::read::{Reader, local_path, sync_line};
use super::{ApiError, PageError, WebError, on_store, view};
use crate::Context;
use margin_core::{ParaId, Timestamp};
use margin_node::node::NewComment;

/// How a request sent its fields, and so how it is answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// A browser form: answered with a redirect, or an HTML page on failure.
    Form,
    Json,
}

impl Format {
    fn of(headers: &HeaderMap) -> Format {
        let is = |name, what: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains(what))
        };
        if is(header::CONTENT_TYPE, "application/json") {
            Format::Json
        } else if is(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            || is(header::ACCEPT, "text/html")
        {
            Format::Form
        } else {
            Format::Json
        }
    }
}

/// A failure answered in the request's format.
pub struct Failure {
    pub error: WebError,
    pub format: Format,
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        match self.format {
            Format::Form => PageError(self.error).into_response(),
            Format::Json => ApiError(self.error).into_response(),
        }
    }
}

/// The proof that the request may write, with failures answered in its format.
pub struct Allowed(pub Format);

impl axum::extract::FromRequestParts<Arc<Context>> for Allowed {
    type Rejection = Failure;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &Arc<Context>,
    ) -> Result<Self, Self::Rejection> {
        let format = Format::of(&parts.headers);
        Writer::from_request_parts(parts, state)
            .await
            .map(|Writer| Allowed(format))
            .map_err(|error| Failure { error, format })
    }
}

/// A request's fields, from `application/json`, `application/x-www-form-urlencoded` or
/// `multipart/form-data` (an empty body without a type counts as an empty form). In a
/// multipart form, a file field `F` becomes the field `F` (its bytes, base64) and
/// `F_name` (the file's name); a file field left empty is no field.
pub struct Input<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Input<T> {
    type Rejection = Failure;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let format = Format::of(req.headers());
        let fail = |error| Failure { error, format };
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        if content_type.starts_with("application/json") {
            let Json(value) = Json::<T>::from_request(req, state)
                .await
                .map_err(|e| fail(WebError::BadRequest(e.body_text())))?;
            Ok(Input(value))
        } else if content_type.starts_with("application/x-www-form-urlencoded") {
            let Form(value) = Form::<T>::from_request(req, state)
                .await
                .map_err(|e| fail(WebError::BadRequest(e.body_text())))?;
            Ok(Input(value))
        } else if content_type.starts_with("multipart/form-data") {
            let fields = multipart_fields(req, state).await.map_err(fail)?;
            serde_json::from_value(serde_json::Value::Object(fields))
                .map(Input)
                .map_err(|e| fail(WebError::BadRequest(e.to_string())))
        } else if content_type.is_empty() {
            let bytes = Bytes::from_request(req, state)
                .await
                .map_err(|e| fail(WebError::BadRequest(e.body_text())))?;
            if !bytes.is_empty() {
                return Err(fail(WebError::ContentType));
            }
            serde_urlencoded::from_str("")
                .map(Input)
                .map_err(|e| fail(WebError::BadRequest(e.to_string())))
        } else {
            Err(fail(WebError::ContentType))
        }
    }
}

/// The fields of a multipart form, each a string: text as sent, files as base64 with
/// their names beside them.
async fn multipart_fields<S: Send + Sync>(
    req: Request,
    state: &S,
) -> Result<serde_json::Map<String, serde_json::Value>, WebError> {
    let mut form = axum::extract::Multipart::from_request(req, state)
        .await
        .map_err(|e| WebError::BadRequest(e.body_text()))?;
    let mut fields = serde_json::Map::new();
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| WebError::BadRequest(e.body_text()))?
    {
        let Some(name) = field.name().map(str::to_owned) else {
            continue;
        };
        let file_name = field.file_name().map(str::to_owned);
        let bytes = field
            .bytes()
            .await
            .map_err(|e| WebError::BadRequest(e.body_text()))?;
        match file_name {
            // A file input with no file chosen.
            Some(file_name) if file_name.is_empty() && bytes.is_empty() => {}
            Some(file_name) => {
                let encoded =
                    base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &bytes);
                fields.insert(format!("{name}_name"), file_name.into());
                fields.insert(name, encoded.into());
            }
            None => {
                let text = String::from_utf8(bytes.to_vec()).map_err(|_| {
                    WebError::BadRequest(format!("the field {name} is not UTF-8 text"))
                })?;
                fields.insert(name, text.into());
            }
        }
    }
    Ok(fields)
}

/// A write request's fields as sent, and what they are once checked. Every handler
/// checks its fields with [`Fields::check`] before it asks the node for anything, so all
/// that a request's body can make a handler do before the node is involved is this
/// function of the body (the fuzz targets run it on every kind of body).
pub trait Fields: DeserializeOwned {
    /// The fields checked: what the handler asks the node for.
    type Checked;
    fn check(self) -> Result<Self::Checked, WebError>;
}

/// What a successful write answers: the new entry's id as JSON, or a redirect.
fn done(format: Format, field: &str, id: String, back: String) -> Response {
    match format {
        Format::Json => {
            let mut body = serde_json::Map::new();
            body.insert(field.to_owned(), id.into());
            (StatusCode::CREATED, Json(serde_json::Value::Object(body))).into_response()
        }
        Format::Form => Redirect::to(&back).into_response(),
    }
}

/// `back` with its fragment replaced by `#fragment`.
fn at(back: &str, fragment: &str) -> String {
    let path = back.split('#').next().unwrap_or(back);
    format!("{path}#{fragment}")
}

/// Optional text: absent, empty or blank all mean none.
fn text(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

fn required(s: Option<String>, what: &str) -> Result<String, WebError> {
    text(s).ok_or_else(|| WebError::BadRequest(format!("{what} is missing")))
}

/// A number given as a JSON number or as form text (empty: none).
fn optional_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<usize>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum NumberOrText {
        Number(usize),
        Text(String),
    }
    match Option::<NumberOrText>::deserialize(d)? {
        None => Ok(None),
        Some(NumberOrText::Number(n)) => Ok(Some(n)),
        Some(NumberOrText::Text(t)) if t.trim().is_empty() => Ok(None),
        Some(NumberOrText::Text(t)) => t
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("'{t}' is not a number"))),
    }
}

// ---- comments ----------------------------------------------------------------------

/// A new comment or reply.
#[derive(Debug, Deserialize)]
pub struct CommentForm {
    /// The paragraph; none for the whole draft (or for a reply).
    pub para: Option<String>,
    /// The passage quoted, exactly as in the paragraph.
    pub quote: Option<String>,
    /// Where the reader's selection started in the paragraph, in code points, to tell
    /// apart a quote that occurs more than once.
    #[serde(default, deserialize_with = "optional_number")]
    pub start: Option<usize>,
    /// The version read (a tag name); none for the current text.
    pub v: Option<String>,
    pub kind: Option<String>,
    pub body: Option<String>,
    pub suggestion: Option<String>,
    /// The comment answered.
    pub reply: Option<String>,
    #[serde(rename = "return")]
    pub back: Option<String>,
}

/// A [`CommentForm`], checked.
#[derive(Debug)]
pub struct CommentRequest {
    pub kind: CommentKind,
    pub body: String,
    pub suggestion: Option<String>,
    pub reply: Option<String>,
    pub para: Option<ParaId>,
    pub quote: Option<String>,
    pub version: Option<String>,
    pub start: Option<usize>,
    pub back: Option<String>,
}

impl Fields for CommentForm {
    type Checked = CommentRequest;

    fn check(self) -> Result<CommentRequest, WebError> {
        let back = local_path(self.back.as_deref());
        let kind = parse_kind(text(self.kind).as_deref().unwrap_or("comment"))?;
        let body = required(self.body, "the comment's text (body)")?;
        let suggestion = text(self.suggestion);
        if kind == CommentKind::Suggestion && suggestion.is_none() {
            return Err(WebError::BadRequest(
                "a suggestion needs the proposed wording (suggestion)".into(),
            ));
        }
        let reply = text(self.reply);
        let para = if reply.is_some() {
            None
        } else {
            text(self.para).map(ParaId::from)
        };
        Ok(CommentRequest {
            kind,
            body,
            suggestion,
            reply,
            para,
            // A quote is kept exactly as selected: only an all-blank one means none.
            quote: self.quote.filter(|q| !q.trim().is_empty()),
            version: text(self.v).filter(|v| v != "current"),
            start: self.start,
            back,
        })
    }
}

pub async fn post_comment(
    State(state): State<Arc<Context>>,
    Allowed(format): Allowed,
    Path(draft): Path<String>,
    Input(f): Input<CommentForm>,
) -> Result<Response, Failure> {
    let fail = |error| Failure { error, format };
    let CommentRequest {
        kind,
        body,
        suggestion,
        reply,
        para,
        quote,
        version,
        start,
        back,
    } = f.check().map_err(fail)?;
    let (id, draft_id) = on_store(&state, move |node| {
        let new = NewComment {
            para: para.as_ref(),
            quote: quote.as_deref(),
            text: &body,
            kind,
            suggestion: suggestion.as_deref(),
            reply: reply.as_deref(),
            version: version.as_deref(),
        };
        let id = node.comment_near(&draft, new, start)?;
        let (draft_id, _) = node.locate_draft(&draft)?;
        Ok((id, draft_id))
    })
    .await
    .map_err(fail)?;
    let back = back.unwrap_or_else(|| format!("/drafts/{draft_id}"));
    Ok(done(
        format,
        "comment",
        id.to_string(),
        at(&back, &format!("c-{}", id.short())),
    ))
}

#[derive(Debug, Deserialize)]
pub struct EditForm {
    pub body: Option<String>,
    pub suggestion: Option<String>,
    #[serde(rename = "return")]
    pub back: Option<String>,
}

/// An [`EditForm`], checked.
#[derive(Debug)]
pub struct EditRequest {
    pub body: String,
    pub suggestion: Option<String>,
    pub back: Option<String>,
}

impl Fields for EditForm {
    type Checked = EditRequest;

    fn check(self) -> Result<EditRequest, WebError> {
        Ok(EditRequest {
            body: required(self.body, "the new text (body)")?,
            suggestion: self.suggestion.map(|s| s.trim().to_owned()),
            back: local_path(self.back.as_deref()),
        })
    }
}

pub async fn edit_comment(
    State(state): State<Arc<Context>>,
    Allowed(format): Allowed,
    Path(comment): Path<String>,
    Input(f): Input<EditForm>,
) -> Result<Response, Failure> {
    let fail = |error| Failure { error, format };
    let EditRequest {
        body,
        suggestion,
        back,
    } = f.check().map_err(fail)?;
    let (id, target) = on_store(&state, move |node| {
        let id = node.edit_comment(&comment, &body, suggestion.as_deref())?;
        Ok((id, back_to_comment(node, &comment)?))
    })
    .await
    .map_err(fail)?;
    Ok(done(format, "edit", id.to_string(), back.unwrap_or(target)))
}

/// The draft page at a comment.
fn back_to_comment(node: &margin_node::Node, comment: &str) -> Result<String, WebError> {
    let (id, space) = node.locate_comment(comment)?;
    let draft = node.with_space(&space, |s| {
        Ok::<_, WebError>(
            s.comment(&id)
                .map(|c| c.body.draft.to_string())
                .unwrap_or_default(),
        )
    })?;
    Ok(format!("/drafts/{draft}#c-{}", id.short()))
}

#[derive(Debug, Deserialize)]
pub struct BackForm {
    #[serde(rename = "return")]
    pub back: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct RetractForm {
    /// `1` (a form's checkbox) or `true`: also erase the text everywhere.
    pub erase: Option<String>,
    #[serde(rename = "return")]
    pub back: Option<String>,
}

/// A [`RetractForm`], checked.
#[derive(Debug)]
pub struct RetractRequest {
    pub erase: bool,
    pub back: Option<String>,
}

impl Fields for RetractForm {
    type Checked = RetractRequest;

    fn check(self) -> Result<RetractRequest, WebError> {
        Ok(RetractRequest {
            erase: matches!(self.erase.as_deref(), Some("1" | "true" | "on")),
            back: local_path(self.back.as_deref()),
        })
    }
}

pub async fn retract_comment(
    State(state): State<Arc<Context>>,
    Allowed(format): Allowed,
    Path(comment): Path<String>,
    Input(f): Input<RetractForm>,
) -> Result<Response, Failure> {
    let fail = |error| Failure { error, format };
    let RetractRequest { erase, back } = f.check().map_err(fail)?;
    let (id, target) = on_store(&state, move |node| {
        // The page to go back to is found while the comment is still there.
        let target = back_to_comment(node, &comment)?;
        let id = if erase {
            node.erase_comment(&comment)?
        } else {
            node.retract_comment(&comment)?
        };
        Ok((id, target))
    })
    .await
    .map_err(fail)?;
    let field = if erase { "erasure" } else { "retraction" };
    Ok(done(format, field, id.to_string(), back.unwrap_or(target)))
}

#[derive(Debug, Deserialize)]
pub struct DisposeForm {
    pub value: Option<String>,
    pub note: Option<String>,
    pub revision: Option<String>,
    #[serde(rename = "return")]
    pub back: Option<String>,
}

/// A disposition by its word (`accepted`).
fn disposition_value(s: &str) -> Result<DispositionValue, WebError> {
    s.parse()
        .map_err(|e: UnknownWord| WebError::BadRequest(e.to_string()))
}

/// A [`DisposeForm`], checked.
#[derive(Debug)]
pub struct DispositionRequest {
    pub value: DispositionValue,
    pub note: String,
    pub revision: Option<String>,
    pub back: Option<String>,
}

impl Fields for DisposeForm {
    type Checked = DispositionRequest;

    fn check(self) -> Result<DispositionRequest, WebError> {
        Ok(DispositionRequest {
            value: disposition_value(&required(self.value, "the disposition (value)")?)?,
            note: text(self.note).unwrap_or_default(),
            revision: text(self.revision),
            back: local_path(self.back.as_deref()),
        })
    }
}

pub async fn dispose(
    State(state): State<Arc<Context>>,
    Allowed(format): Allowed,
    Path(comment): Path<String>,
    Input(f): Input<DisposeForm>,
) -> Result<Response, Failure> {
    let fail = |error| Failure { error, format };
    let DispositionRequest {
        value,
        note,
        revision,
        back,
    } = f.check().map_err(fail)?;
    let (id, target) = on_store(&state, move |node| {
        let id = node.dispose(&comment, value, &note, revision.as_deref())?;
        Ok((id, back_to_comment(node, &comment)?))
    })
    .await
    .map_err(fail)?;
    Ok(done(
        format,
        "disposition",
        id.to_string(),
        back.unwrap_or(target),
    ))
}

#[derive(Debug, Deserialize)]
pub struct ModerationForm {
    /// `hide` or `show`.
    pub action: Option<String>,
    pub reason: Option<String>,
    #[serde(rename = "return")]
    pub back: Option<String>,
}

/// A [`ModerationForm`], checked.
#[derive(Debug)]
pub struct ModerationRequest {
    pub hidden: bool,
    pub reason: String,
    pub back: Option<String>,
}

impl Fields for ModerationForm {
    type Checked = ModerationRequest;

    fn check(self) -> Result<ModerationRequest, WebError> {
        let hidden = match text(self.action).as_deref() {
            Some("hide") | None => true,
            Some("show") => false,
            Some(other) => {
                return Err(WebError::BadRequest(format!(
                    "action must be hide or show, not {other}"
                )));
            }
        };
        Ok(ModerationRequest {
            hidden,
            reason: required(self.reason, "the reason everyone will see (reason)")?,
            back: local_path(self.back.as_deref()),
        })
    }
}

/// A convener hides a comment from everyone's view (or shows it again), with a reason
/// every participant sees where it was.
pub async fn moderate(
    State(state): State<Arc<Context>>,
    Allowed(format): Allowed,
    Path(comment): Path<String>,
    Input(f): Input<ModerationForm>,
) -> Result<Response, Failure> {
    let fail = |error| Failure { error, format };
    let ModerationRequest {
        hidden,
        reason,
        back,
    } = f.check().map_err(fail)?;
    let (id, target) = on_store(&state, move |node| {
        let id = node.moderate(&comment, hidden, &reason)?;
        Ok((id, back_to_comment(node, &comment)?))
    })
    .await
    .map_err(fail)?;
    Ok(done(
        format,
        "moderation",
        id.to_string(),
        back.unwrap_or(target),
    ))
}

#[derive(Debug, Deserialize)]
pub struct MuteForm {
    /// `mute` (the default) or `unmute`.
    pub action: Option<String>,
    pub reason: Option<String>,
    #[serde(rename = "return")]
    pub back: Option<String>,
}

/// A [`MuteForm`], checked.
#[derive(Debug)]
pub struct MuteRequest {
    pub muting: bool,
    pub reason: String,
    pub back: String,
}

impl Fields for MuteForm {
    type Checked = MuteRequest;

    fn check(self) -> Result<MuteRequest, WebError> {
        let muting = match text(self.action).as_deref() {
            Some("mute") | None => true,
            Some("unmute") => false,
            Some(other) => {
                return Err(WebError::BadRequest(format!(
                    "action must be mute or unmute, not {other}"
                )));
            }
        };
        Ok(MuteRequest {
            muting,
            reason: text(self.reason).unwrap_or_default(),
            back: local_path(self.back.as_deref()).unwrap_or_else(|| "/".to_owned()),
        })
    }
}

/// The node's participant mutes a key on this node only (or unmutes it): its comments
/// stay stored and passed on, their words are not shown here.
pub async fn mute(
    State(state): State<Arc<Context>>,
    Allowed(format): Allowed,
    Path(key): Path<String>,
    Input(f): Input<MuteForm>,
) -> Result<Response, Failure> {
    let fail = |error| Failure { error, format };
    let MuteRequest {
        muting,
        reason,
        back,
    } = f.check().map_err(fail)?;
    let (field, key) = on_store(&state, move |node| {
        Ok(if muting {
            ("muted", node.mute(&key, &reason)?)
        } else {
            ("unmuted", node.unmute(&key)?)
        })
    })
    .await
    .map_err(fail)?;
    Ok(done(format, field, key, back))
}

#[derive(Debug, Deserialize)]
pub struct ReattachForm {
    /// A paragraph id, or its number in the current version.
    pub para: Option<String>,
    pub quote: Option<String>,
    #[serde(rename = "return")]
    pub back: Option<String>,
}

/// A [`ReattachForm`], checked.
#[derive(Debug)]
pub struct ReattachRequest {
    pub para: String,
    pub quote: Option<String>,
    pub back: Option<String>,
}

impl Fields for ReattachForm {
    type Checked = ReattachRequest;

    fn check(self) -> Result<ReattachRequest, WebError> {
        Ok(ReattachRequest {
            para: required(self.para, "the paragraph (para)")?,
            quote: self.quote.filter(|q| !q.trim().is_empty()),
            back: local_path(self.back.as_deref()),
        })
    }
}

pub async fn reattach(
    State(state): State<Arc<Context>>,
    Allowed(format): Allowed,
    Path(comment): Path<String>,
    Input(f): Input<ReattachForm>,
) -> Result<Response, Failure> {
    let fail = |error| Failure { error, format };
    let ReattachRequest { para, quote, back } = f.check().map_err(fail)?;
    let (id, target) = on_store(&state, move |node| {
        let (cid, space) = node.locate_comment(&comment)?;
        let para = node.with_space(&space, |s| {
            let draft = s
                .comment(&cid)
                .map(|c| c.body.draft)
                .ok_or_else(|| WebError::NotFound(format!("no comment {comment}")))?;
            paragraph_id(s, &draft, &para)
        })?;
        let id = node.reattach(&comment, &ParaId::from(para), quote.as_deref())?;
        Ok((id, back_to_comment(node, &comment)?))
    })
    .await
    .map_err(fail)?;
    Ok(done(
        format,
        "reattachment",
        id.to_string(),
        back.unwrap_or(target),
    ))
}

/// A paragraph given by id or by its number (`12` or `¶12`) in the current version.
pub(crate) fn paragraph_id(
    space: &margin_space::Space,
    draft: &margin_core::id::DraftId,
    given: &str,
) -> Result<String, WebError> {
    let number = given.trim().trim_start_matches('¶');
    let Ok(n) = number.parse::<usize>() else {
        return Ok(given.trim().to_owned());
    };
    let state = space
        .draft(draft)
        .ok_or_else(|| WebError::NotFound(format!("no draft {draft}")))?;
    let view = state.doc.view(None).map_err(margin_node::NodeError::from)?;
    view.sections
        .into_iter()
        .flat_map(|s| s.paragraphs)
        .find(|p| p.n == n)
        .map(|p| p.id.into_string())
        .ok_or_else(|| WebError::NotFound(format!("the draft has no paragraph {n}")))
}

// ---- stances -----------------------------------------------------------------------

#[derive(Debug, Deserialize)]
pub struct StanceForm {
    pub para: Option<String>,
    pub value: Option<String>,
    pub reason: Option<String>,
    #[serde(rename = "return")]
    pub back: Option<String>,
}

/// A stance by its word (`object`).
fn stance_value(s: &str) -> Result<StanceValue, WebError> {
    s.parse().map_err(|e: UnknownWord| {
        WebError::BadRequest(format!("{e} (accept: you can live with it)"))
    })
}

/// A [`StanceForm`], checked.
#[derive(Debug)]
pub struct StanceRequest {
    pub para: String,
    pub value: StanceValue,
    pub reason: Option<String>,
    pub back: Option<String>,
}

impl Fields for StanceForm {
    type Checked = StanceRequest;

    fn check(self) -> Result<StanceRequest, WebError> {
        Ok(StanceRequest {
            para: required(self.para, "the paragraph (para)")?,
            value: stance_value(&required(self.value, "the stance (value)")?)?,
            reason: text(self.reason),
            back: local_path(self.back.as_deref()),
        })
    }
}

pub async fn stance(
    State(state): State<Arc<Context>>,
    Allowed(format): Allowed,
    Path(draft): Path<String>,
    Input(f): Input<StanceForm>,
) -> Result<Response, Failure> {
    let fail = |error| Failure { error, format };
    let StanceRequest {
        para,
        value,
        reason,
        back,
    } = f.check().map_err(fail)?;
    let (id, draft_id, para) = on_store(&state, move |node| {
        let (draft_id, space) = node.locate_draft(&draft)?;
        let para = node.with_space(&space, |s| paragraph_id(s, &draft_id, &para))?;
        let id = node.stance(
            &draft,
            &ParaId::from(para.as_str()),
            value,
            reason.as_deref(),
        )?;
        Ok((id, draft_id, para))
    })
    .await
    .map_err(fail)?;
    let back = back.unwrap_or_else(|| format!("/drafts/{draft_id}"));
    Ok(done(
        format,
        "stance",
        id.to_string(),
        at(&back, &format!("p-{para}")),
    ))
}

// ---- drafts ------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
pub struct TagForm {
    pub name: Option<String>,
    #[serde(rename = "return")]
    pub back: Option<String>,
}

/// A [`TagForm`], checked.
#[derive(Debug)]
pub struct TagRequest {
    pub name: String,
    pub back: Option<String>,
}

impl Fields for TagForm {
    type Checked = TagRequest;

    fn check(self) -> Result<TagRequest, WebError> {
        let name = required(self.name, "the version's name (name)")?;
        if name == "current" {
            return Err(WebError::BadRequest(
                "'current' always names the latest text; choose another name".into(),
            ));
        }
        Ok(TagRequest {
            name,
            back: local_path(self.back.as_deref()),
        })
    }
}

pub async fn tag(
    State(state): State<Arc<Context>>,
    Allowed(format): Allowed,
    Path(draft): Path<String>,
    Input(f): Input<TagForm>,
) -> Result<Response, Failure> {
    let fail = |error| Failure { error, format };
    let TagRequest { name, back } = f.check().map_err(fail)?;
    let (id, draft_id) = on_store(&state, move |node| {
        let id = node.tag(&draft, &name)?;
        Ok((id, node.locate_draft(&draft)?.0))
    })
    .await
    .map_err(fail)?;
    Ok(done(
        format,
        "tag",
        id.to_string(),
        back.unwrap_or_else(|| format!("/drafts/{draft_id}")),
    ))
}

#[derive(Debug, Deserialize)]
pub struct RevisionForm {
    pub markdown: Option<String>,
    /// A draft file instead of `markdown`: Markdown, Word (`.docx`) or OpenDocument
    /// (`.odt`, `.fodt`), as a form's file field sends it, or base64 in JSON.
    pub file: Option<String>,
    /// The file's name (its extension tells its kind), sent with the file.
    pub file_name: Option<String>,
    pub message: Option<String>,
    #[serde(rename = "return")]
    pub back: Option<String>,
}

/// Browsers send form text with CRLF line ends; drafts keep the file's own.
fn unix_lines(s: String) -> String {
    if s.contains("\r\n") {
        s.replace("\r\n", "\n")
    } else {
        s
    }
}

/// The Markdown of a draft sent in a form: a file (converted as `margin draft import`
/// converts it), else the text; one of them is required.
fn markdown(
    markdown: Option<String>,
    file: Option<String>,
    file_name: Option<String>,
) -> Result<String, WebError> {
    // A file was sent when it has bytes or a name (an empty file is refused for that).
    let named = file_name.as_deref().is_some_and(|n| !n.is_empty());
    if let Some(file) = file.filter(|f| !f.is_empty() || named) {
        let bytes = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, file)
            .map_err(|_| WebError::BadRequest("the file (file) is not base64".into()))?;
        let name = file_name.unwrap_or_default();
        let kind = margin_draft::import::FileKind::detect(&name, &bytes);
        return margin_draft::import::to_markdown(kind, &bytes)
            .map(unix_lines)
            .map_err(|e| WebError::BadRequest(format!("{name}: {e}")));
    }
    markdown
        .filter(|m| !m.trim().is_empty())
        .map(unix_lines)
        .ok_or_else(|| {
            WebError::BadRequest(
                "the draft is missing: choose a file (file) or give its Markdown (markdown)".into(),
            )
        })
}

/// A [`RevisionForm`], checked.
#[derive(Debug)]
pub struct RevisionRequest {
    pub markdown: String,
    pub message: String,
    pub back: Option<String>,
}

impl Fields for RevisionForm {
    type Checked = RevisionRequest;

    fn check(self) -> Result<RevisionRequest, WebError> {
        Ok(RevisionRequest {
            markdown: markdown(self.markdown, self.file, self.file_name)?,
            message: required(self.message, "a message saying what changed")?,
            back: local_path(self.back.as_deref()),
        })
    }
}

pub async fn update_draft(
    State(state): State<Arc<Context>>,
    Allowed(format): Allowed,
    Path(draft): Path<String>,
    Input(f): Input<RevisionForm>,
) -> Result<Response, Failure> {
    let fail = |error| Failure { error, format };
    let RevisionRequest {
        markdown,
        message,
        back,
    } = f.check().map_err(fail)?;
    let (id, draft_id) = on_store(&state, move |node| {
        let id = node.update_draft(&draft, &markdown, &message)?;
        Ok((id, node.locate_draft(&draft)?.0))
    })
    .await
    .map_err(fail)?;
    let back = back.unwrap_or_else(|| format!("/drafts/{draft_id}"));
    match id {
        Some(id) => Ok(done(format, "revision", id.to_string(), back)),
        // Nothing changed: nothing to record.
        None => Ok(match format {
            Format::Json => Json(json!({ "revision": null })).into_response(),
            Format::Form => Redirect::to(&back).into_response(),
        }),
    }
}

#[derive(Debug, Deserialize)]
pub struct ImportForm {
    pub markdown: Option<String>,
    /// As in [`RevisionForm`].
    pub file: Option<String>,
    pub file_name: Option<String>,
    pub title: Option<String>,
    pub message: Option<String>,
    #[serde(rename = "return")]
    pub back: Option<String>,
}

/// An [`ImportForm`], checked (a new draft's page is where the form goes back to).
#[derive(Debug)]
pub struct ImportRequest {
    pub markdown: String,
    pub title: Option<String>,
    pub message: String,
}

impl Fields for ImportForm {
    type Checked = ImportRequest;

    fn check(self) -> Result<ImportRequest, WebError> {
        Ok(ImportRequest {
            markdown: markdown(self.markdown, self.file, self.file_name)?,
            title: text(self.title),
            message: text(self.message).unwrap_or_else(|| "v1".into()),
        })
    }
}

pub async fn import_draft(
    State(state): State<Arc<Context>>,
    Allowed(format): Allowed,
    Path(space): Path<String>,
    Input(f): Input<ImportForm>,
) -> Result<Response, Failure> {
    let fail = |error| Failure { error, format };
    let ImportRequest {
        markdown,
        title,
        message,
    } = f.check().map_err(fail)?;
    let id = on_store(&state, move |node| {
        Ok(node.import_draft(&space, &markdown, title.as_deref(), &message)?)
    })
    .await
    .map_err(fail)?;
    Ok(done(
        format,
        "draft",
        id.to_string(),
        format!("/drafts/{id}"),
    ))
}

// ---- identity and login ------------------------------------------------------------

#[derive(Debug, Deserialize)]
pub struct IdentityForm {
    pub name: Option<String>,
    pub affiliation: Option<String>,
    pub stakeholder: Option<String>,
    pub region: Option<String>,
    #[serde(rename = "return")]
    pub back: Option<String>,
}

/// An [`IdentityForm`], checked.
#[derive(Debug)]
pub struct IdentityRequest {
    pub profile: Profile,
    pub back: String,
}

impl Fields for IdentityForm {
    type Checked = IdentityRequest;

    fn check(self) -> Result<IdentityRequest, WebError> {
        Ok(IdentityRequest {
            profile: Profile {
                name: required(self.name, "your name (name)")?,
                affiliation: text(self.affiliation).unwrap_or_default(),
                stakeholder: text(self.stakeholder).unwrap_or_default(),
                region: text(self.region).unwrap_or_default(),
            },
            back: local_path(self.back.as_deref()).unwrap_or_else(|| "/".into()),
        })
    }
}

pub async fn create_identity(
    State(state): State<Arc<Context>>,
    Allowed(format): Allowed,
    Input(f): Input<IdentityForm>,
) -> Result<Response, Failure> {
    let fail = |error| Failure { error, format };
    let IdentityRequest { profile, back } = f.check().map_err(fail)?;
    let key = on_store(&state, move |node| {
        let identity = node.home().init(profile, Timestamp::now())?;
        Ok(identity.key.public().to_string())
    })
    .await
    .map_err(fail)?;
    Ok(done(format, "key", key, back))
}

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    pub token: Option<String>,
}

/// `GET /login?token=…`: the link `margin node` prints. Sets the cookie and goes home;
/// without a token, shows a form to paste it.
pub async fn login(
    State(state): State<Arc<Context>>,
    reader: Reader,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> Result<Response, PageError> {
    match q.token {
        Some(token) => Ok(log_in(&state, &headers, &token)?),
        None => {
            let sync = sync_line(&state.status, None);
            let viewer = on_store(&state, move |node| Ok(reader.viewer(node))).await?;
            Ok(Html(view::login(&viewer, &sync).into_string()).into_response())
        }
    }
}

/// `POST /login` with the pasted token.
pub async fn login_form(
    State(state): State<Arc<Context>>,
    headers: HeaderMap,
    Form(q): Form<LoginQuery>,
) -> Result<Response, PageError> {
    auth::same_origin(&headers, true)?;
    Ok(log_in(
        &state,
        &headers,
        q.token.as_deref().unwrap_or_default(),
    )?)
}

fn log_in(state: &Context, headers: &HeaderMap, given: &str) -> Result<Response, WebError> {
    let token = auth::read_token(&state.home).ok_or(WebError::NoToken)?;
    if !auth::same_token(given.trim(), &token) {
        return Err(WebError::WrongToken);
    }
    let mut response = Redirect::to("/").into_response();
    if let Ok(value) = auth::login_cookie(headers, &token).parse() {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    Ok(response)
}

/// `POST /logout`: forgets the cookie.
pub async fn logout(headers: HeaderMap) -> Result<Response, PageError> {
    auth::same_origin(&headers, true)?;
    let mut response = Redirect::to("/").into_response();
    if let Ok(value) = auth::logout_cookie(&headers).parse() {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    Ok(response)
}

#[derive(Deserialize)]
pub struct SpaceQuery {
    space: String,
}

impl Fields for SpaceQuery {
    type Checked = margin_core::id::SpaceId;

    fn check(self) -> Result<margin_core::id::SpaceId, WebError> {
        self.space
            .parse()
            .map_err(|e| WebError::BadRequest(format!("{e}")))
    }
}

/// Reconciles a space with every connected peer now (`margin sync wait` asks for it).
/// It changes no data, but it makes the node work, so it needs the token like a write.
pub async fn reconcile(
    _: Writer,
    State(state): State<Arc<Context>>,
    Query(query): Query<SpaceQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let space = query.check()?;
    let since = state.worker.reconcile_now(space).await?;
    Ok(Json(json!({ "since": since })))
}

#[derive(Debug, Deserialize)]
pub struct NewsReadForm {
    #[serde(rename = "return")]
    pub back: Option<String>,
}

impl Fields for NewsReadForm {
    /// Where to go back to.
    type Checked = String;

    fn check(self) -> Result<String, WebError> {
        Ok(local_path(self.back.as_deref()).unwrap_or_else(|| "/news".to_owned()))
    }
}

/// Marks the news read for the node's participant (on this node only): `/news` then
/// starts after everything that arrived so far, and every draft counts as read.
pub async fn news_read(
    State(state): State<Arc<Context>>,
    Allowed(format): Allowed,
    Input(f): Input<NewsReadForm>,
) -> Result<Response, Failure> {
    let fail = |error| Failure { error, format };
    let back = f.check().map_err(fail)?;
    let mark = on_store(&state, |node| Ok(node.mark_news_read()?))
        .await
        .map_err(fail)?;
    Ok(done(format, "marked", mark.to_string(), back))
}
