//! Handlers that read: the pages, and the same data as JSON.

use std::sync::{Arc, RwLock};

use axum::Json;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Response};
use margin_space::view::{ParagraphStances, SpaceView};
use margin_store::SearchHit;
use serde::{Deserialize, Serialize};

use super::model::{self, CommentModel, DiffModel, DraftModel, DraftQuery, Item, SpaceItem};
use super::view::{self, SyncLine};
use super::{ApiError, PageError, Viewer, WebError, auth, me, on_store};
use crate::{Context, feed};
use margin_daemon::Status;
use margin_node::news::{News, Since};
use margin_node::node::Node;

/// Which address a request came in on: the local one, or a mirror's public view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Surface {
    Local,
    Public,
}

/// Who is reading, as far as the request tells: the address, and whether the browser
/// carries the token. The participant is looked up on the store thread.
#[derive(Clone, Copy, Debug)]
pub struct Reader {
    pub public: bool,
    pub logged_in: bool,
    /// On a public site that takes part: visitors may sign with a key in their browser.
    pub take_part: bool,
}

impl FromRequestParts<Arc<Context>> for Reader {
    type Rejection = WebError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<Context>,
    ) -> Result<Self, Self::Rejection> {
        let public = parts.extensions.get::<Surface>() != Some(&Surface::Local);
        let logged_in = !public && auth::logged_in(&state.home, &parts.headers);
        let take_part = public && state.participation.is_some();
        Ok(Reader {
            public,
            logged_in,
            take_part,
        })
    }
}

impl Reader {
    /// The viewer, with the node's participant (call on the store thread).
    pub fn viewer(self, node: &Node) -> Viewer {
        Viewer {
            public: self.public,
            logged_in: self.logged_in,
            take_part: self.take_part,
            me: if self.public { None } else { me(node) },
            muted: if self.public {
                Default::default()
            } else {
                node.muted().unwrap_or_default()
            },
        }
    }
}

/// The sync state the header shows: peers, and whether `space` (else every space with
/// peers) is in sync with them.
pub fn sync_line(status: &RwLock<Status>, space: Option<&str>) -> SyncLine {
    let Ok(status) = status.read() else {
        return SyncLine::default();
    };
    let shared: Vec<bool> = status
        .spaces
        .iter()
        .filter(|s| space.is_none_or(|id| s.space == id) && s.peers > 0)
        .map(|s| s.in_sync)
        .collect();
    SyncLine {
        peers: status.peers.len(),
        in_sync: (!shared.is_empty()).then(|| shared.iter().all(|s| *s)),
    }
}

// ---- pages -------------------------------------------------------------------------
//
// Each page's model is computed on the store thread, reading spaces in place; the page
// is rendered here, after the store thread is done with it.

pub async fn home(
    State(state): State<Arc<Context>>,
    reader: Reader,
) -> Result<Html<String>, PageError> {
    let sync = sync_line(&state.status, None);
    let (viewer, spaces) = on_store(&state, move |node| {
        Ok((reader.viewer(node), model::space_items(node)?))
    })
    .await?;
    Ok(Html(view::home(&spaces, &viewer, &sync).into_string()))
}

pub async fn space(
    State(state): State<Arc<Context>>,
    reader: Reader,
    Path(id): Path<String>,
) -> Result<Html<String>, PageError> {
    let (viewer, m) = on_store(&state, move |node| {
        let viewer = reader.viewer(node);
        let space = node.locate_space(&id)?;
        let m = node.with_space(&space, |s| {
            Ok::<_, WebError>(model::space_model(s, &viewer))
        })?;
        Ok((viewer, m))
    })
    .await?;
    let sync = sync_line(&state.status, Some(&m.view.space));
    Ok(Html(view::space(&m, &viewer, &sync).into_string()))
}

/// `/spaces/{id}/feed.atom`: the space's Atom feed.
pub async fn space_feed(
    State(state): State<Arc<Context>>,
    reader: Reader,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    serve_feed(&state, reader, &headers, move |node, viewer, base| {
        let space = node.locate_space(&id)?;
        node.with_space(
            &space,
            |s| Ok(feed::space_feed(s, base, viewer).to_string()),
        )
    })
    .await
}

/// `/drafts/{id}/feed.atom`: the draft's Atom feed.
pub async fn draft_feed(
    State(state): State<Arc<Context>>,
    reader: Reader,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    serve_feed(&state, reader, &headers, move |node, viewer, base| {
        let (draft, space) = node.locate_draft(&id)?;
        node.with_space(&space, |s| {
            feed::draft_feed(s, &draft, base, viewer).map(|f| f.to_string())
        })
    })
    .await
}

/// A feed written on the store thread by `write`, for this reader, with links on the
/// site asked.
async fn serve_feed(
    state: &Arc<Context>,
    reader: Reader,
    headers: &HeaderMap,
    write: impl FnOnce(&Node, &Viewer, &str) -> Result<String, WebError> + Send + 'static,
) -> Result<Response, PageError> {
    let base = base_url(headers);
    let xml = on_store(state, move |node| {
        let viewer = reader.viewer(node);
        write(node, &viewer, &base)
    })
    .await?;
    Ok(atom(xml))
}

fn atom(xml: String) -> Response {
    (
        [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
        xml,
    )
        .into_response()
}

/// Where the reader reached this node (`http://host:port`), for the feed's absolute
/// links: the `Host` it asked (only the characters of a host name or address), and
/// `https` when a proxy in front says so.
fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c))
        })
        .unwrap_or("localhost");
    let https = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .is_some_and(|p| p.eq_ignore_ascii_case("https"));
    format!("{}://{host}", if https { "https" } else { "http" })
}

/// A draft's page model, its space read in place.
fn draft_model(
    node: &Node,
    id: &str,
    query: &DraftQuery,
    viewer: &Viewer,
) -> Result<DraftModel, WebError> {
    let (draft, space) = node.locate_draft(id)?;
    node.with_space(&space, |s| model::draft_model(s, &draft, query, viewer))
}

pub async fn draft(
    State(state): State<Arc<Context>>,
    reader: Reader,
    Path(id): Path<String>,
    Query(query): Query<DraftQuery>,
) -> Result<Html<String>, PageError> {
    let (viewer, m) = on_store(&state, move |node| {
        let viewer = reader.viewer(node);
        let m = draft_model(node, &id, &query, &viewer)?;
        // The node's participant read the current text: the news says what changes
        // after it. A failure to note it does not fail the page.
        if !reader.public
            && query.version().is_none()
            && let Err(e) = node.mark_current_read(&m.draft)
        {
            tracing::warn!(target: "http", "could not note that the draft was read: {e}");
        }
        Ok((viewer, m))
    })
    .await?;
    let sync = sync_line(&state.status, Some(&m.space));
    Ok(Html(view::draft(&m, &viewer, &sync).into_string()))
}

pub async fn paragraph(
    State(state): State<Arc<Context>>,
    reader: Reader,
    Path((id, para)): Path<(String, String)>,
    Query(query): Query<DraftQuery>,
) -> Result<Html<String>, PageError> {
    let (viewer, m) = on_store(&state, move |node| {
        let viewer = reader.viewer(node);
        let mut m = draft_model(node, &id, &query, &viewer)?;
        m.only(&para)?;
        Ok((viewer, m))
    })
    .await?;
    let sync = sync_line(&state.status, Some(&m.space));
    Ok(Html(view::paragraph(&m, &viewer, &sync).into_string()))
}

#[derive(Debug, Default, Deserialize)]
pub struct Back {
    #[serde(rename = "return")]
    pub back: Option<String>,
}

/// A path on this node to go back to after a form, never another site.
pub fn local_path(path: Option<&str>) -> Option<String> {
    path.filter(|p| p.starts_with('/') && !p.starts_with("//") && !p.contains('\\'))
        .filter(|p| !p.chars().any(char::is_control))
        .map(str::to_owned)
}

pub async fn comment(
    State(state): State<Arc<Context>>,
    reader: Reader,
    Path(id): Path<String>,
    Query(back): Query<Back>,
) -> Result<Html<String>, PageError> {
    let (viewer, m) = on_store(&state, move |node| {
        let viewer = reader.viewer(node);
        let m = comment_model(node, &id, &viewer)?;
        Ok((viewer, m))
    })
    .await?;
    let sync = sync_line(&state.status, Some(&m.space));
    let back = local_path(back.back.as_deref())
        .unwrap_or_else(|| format!("/drafts/{}#c-{}", m.draft, view::short(&m.comment)));
    Ok(Html(view::comment(&m, &viewer, &sync, &back).into_string()))
}

/// A comment's page model, its space read in place.
fn comment_model(node: &Node, id: &str, viewer: &Viewer) -> Result<CommentModel, WebError> {
    let (comment, space) = node.locate_comment(id)?;
    node.with_space(&space, |s| model::comment_model(s, &comment, viewer))
}

#[derive(Debug, Default, Deserialize)]
pub struct DiffQuery {
    pub from: Option<String>,
    pub to: Option<String>,
}

/// A diff's model, its space read in place.
fn diff_model(node: &Node, id: &str, q: &DiffQuery) -> Result<DiffModel, WebError> {
    let (draft, space) = node.locate_draft(id)?;
    node.with_space(&space, |s| {
        model::diff_model(s, &draft, q.from.as_deref(), q.to.as_deref())
    })
}

pub async fn diff(
    State(state): State<Arc<Context>>,
    reader: Reader,
    Path(id): Path<String>,
    Query(q): Query<DiffQuery>,
) -> Result<Html<String>, PageError> {
    let (viewer, m) = on_store(&state, move |node| {
        let viewer = reader.viewer(node);
        let m = diff_model(node, &id, &q)?;
        Ok((viewer, m))
    })
    .await?;
    let sync = sync_line(&state.status, Some(&m.space));
    Ok(Html(view::diff(&m, &viewer, &sync).into_string()))
}

#[derive(Debug, Default, Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    pub q: String,
    pub space: Option<String>,
}

fn search_hits(
    node: &Node,
    q: &SearchQuery,
    marks: (&str, &str),
) -> Result<(Vec<SearchHit>, Option<String>), WebError> {
    let space = match q.space.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(node.locate_space(s)?),
        None => None,
    };
    if q.q.trim().is_empty() {
        return Ok((vec![], space.map(|s| s.to_string())));
    }
    let hits = node.search(&q.q, space.as_ref(), 50, marks)?;
    Ok((hits, space.map(|s| s.to_string())))
}

pub async fn search(
    State(state): State<Arc<Context>>,
    reader: Reader,
    Query(q): Query<SearchQuery>,
) -> Result<Html<String>, PageError> {
    let sync = sync_line(&state.status, None);
    let (viewer, hits, space, q) = on_store(&state, move |node| {
        let viewer = reader.viewer(node);
        let (hits, space) = match search_hits(node, &q, view::search::MARKS) {
            Ok(found) => found,
            // A query without words finds nothing; say so rather than fail.
            Err(WebError::Node(margin_node::NodeError::Store(
                margin_store::StoreError::BadQuery(_),
            ))) => (vec![], None),
            Err(e) => return Err(e),
        };
        Ok((viewer, hits, space, q))
    })
    .await?;
    let page = view::search(&q.q, &hits, &viewer, &sync, space.as_deref());
    Ok(Html(page.into_string()))
}

pub async fn identity(
    State(state): State<Arc<Context>>,
    reader: Reader,
) -> Result<Html<String>, PageError> {
    let sync = sync_line(&state.status, None);
    let viewer = on_store(&state, move |node| Ok(reader.viewer(node))).await?;
    Ok(Html(view::identity(&viewer, &sync).into_string()))
}

/// When the news starts: `since=YYYY-MM-DD` (or RFC 3339) for entries made since then,
/// else what arrived since the news was last marked read.
#[derive(Debug, Default, Deserialize)]
pub struct NewsQuery {
    pub since: Option<String>,
}

impl NewsQuery {
    fn since(&self) -> Result<Since, WebError> {
        match self
            .since
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => Ok(Since::LastLooked),
            Some(date) => {
                let day = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
                    .ok()
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
                    .map(|t| t.and_utc());
                let time = day
                    .or_else(|| {
                        chrono::DateTime::parse_from_rfc3339(date)
                            .ok()
                            .map(|t| t.to_utc())
                    })
                    .ok_or_else(|| {
                        WebError::BadRequest(format!(
                            "since: '{date}' is not a date: use YYYY-MM-DD or 2026-12-31T18:00:00Z"
                        ))
                    })?;
                let millis = u64::try_from(time.timestamp_millis()).unwrap_or(0);
                Ok(Since::Time(margin_core::Timestamp::from_millis(millis)))
            }
        }
    }
}

/// `/news`: what is new for the node's participant (local address only).
pub async fn news(
    State(state): State<Arc<Context>>,
    reader: Reader,
    Query(query): Query<NewsQuery>,
) -> Result<Html<String>, PageError> {
    let since = query.since()?;
    let sync = sync_line(&state.status, None);
    let (viewer, news) = on_store(&state, move |node| {
        let viewer = reader.viewer(node);
        let news = match viewer.me {
            Some(_) => Some(node.news(since)?),
            None => None,
        };
        Ok((viewer, news))
    })
    .await?;
    Ok(Html(
        view::news(news.as_ref(), &viewer, &sync).into_string(),
    ))
}

/// `GET /api/news[?since=DATE]`: the same as JSON, as `margin news --json` prints it.
pub async fn api_news(
    State(state): State<Arc<Context>>,
    Query(query): Query<NewsQuery>,
) -> Result<Json<News>, ApiError> {
    let since = query.since()?;
    Ok(Json(
        on_store(&state, move |node| Ok(node.news(since)?)).await?,
    ))
}

/// `/participate`, on a public address that takes part: creating an identity held in
/// the browser, and commenting or taking a stance with it.
pub async fn participate(
    State(state): State<Arc<Context>>,
    reader: Reader,
) -> Result<Html<String>, PageError> {
    if state.participation.is_none() {
        return Err(
            WebError::NotFound("this site does not take part; it is read-only".into()).into(),
        );
    }
    let sync = sync_line(&state.status, None);
    let (viewer, spaces) = on_store(&state, move |node| {
        Ok((reader.viewer(node), model::space_items(node)?))
    })
    .await?;
    Ok(Html(
        view::participate(&spaces, &viewer, &sync).into_string(),
    ))
}

// ---- JSON --------------------------------------------------------------------------

pub async fn api_spaces(
    State(state): State<Arc<Context>>,
) -> Result<Json<Vec<SpaceItem>>, ApiError> {
    let spaces = on_store(&state, |node| model::space_items(node)).await?;
    Ok(Json(spaces))
}

pub async fn api_space(
    State(state): State<Arc<Context>>,
    Path(id): Path<String>,
) -> Result<Json<SpaceView>, ApiError> {
    let view = on_store(&state, move |node| {
        let space = node.locate_space(&id)?;
        node.with_space(&space, |s| Ok::<_, WebError>(s.view()))
    })
    .await?;
    Ok(Json(view))
}

pub async fn api_draft(
    State(state): State<Arc<Context>>,
    reader: Reader,
    Path(id): Path<String>,
    Query(query): Query<DraftQuery>,
) -> Result<Json<DraftModel>, ApiError> {
    let m = on_store(&state, move |node| {
        let viewer = reader.viewer(node);
        draft_model(node, &id, &query, &viewer)
    })
    .await?;
    Ok(Json(m))
}

pub async fn api_comments(
    State(state): State<Arc<Context>>,
    reader: Reader,
    Path(id): Path<String>,
    Query(query): Query<DraftQuery>,
) -> Result<Json<Vec<Item>>, ApiError> {
    let items = on_store(&state, move |node| {
        let viewer = reader.viewer(node);
        let m = draft_model(node, &id, &query, &viewer)?;
        let mut out = vec![];
        let all = m
            .whole
            .into_iter()
            .chain(m.sections.into_iter().flat_map(|s| {
                s.heading
                    .into_iter()
                    .chain(s.paragraphs)
                    .flat_map(|b| b.threads)
            }))
            .chain(m.orphans)
            .chain(m.elsewhere);
        for t in all {
            out.push(t.root);
            out.extend(t.replies);
        }
        Ok(out)
    })
    .await?;
    Ok(Json(items))
}

pub async fn api_stances(
    State(state): State<Arc<Context>>,
    Path(id): Path<String>,
) -> Result<Json<Vec<ParagraphStances>>, ApiError> {
    let stances = on_store(&state, move |node| {
        let (draft, space) = node.locate_draft(&id)?;
        node.with_space(&space, |s| Ok::<_, WebError>(s.stance_views(&draft)))
    })
    .await?;
    Ok(Json(stances))
}

pub async fn api_diff(
    State(state): State<Arc<Context>>,
    Path(id): Path<String>,
    Query(q): Query<DiffQuery>,
) -> Result<Json<DiffModel>, ApiError> {
    Ok(Json(
        on_store(&state, move |node| diff_model(node, &id, &q)).await?,
    ))
}

pub async fn api_comment(
    State(state): State<Arc<Context>>,
    reader: Reader,
    Path(id): Path<String>,
) -> Result<Json<CommentModel>, ApiError> {
    let m = on_store(&state, move |node| {
        let viewer = reader.viewer(node);
        comment_model(node, &id, &viewer)
    })
    .await?;
    Ok(Json(m))
}

pub async fn api_search(
    State(state): State<Arc<Context>>,
    Query(q): Query<SearchQuery>,
) -> Result<Json<Vec<SearchHit>>, ApiError> {
    let hits = on_store(&state, move |node| {
        if q.q.trim().is_empty() {
            return Err(WebError::BadRequest(
                "say what to search for: ?q=WORDS".into(),
            ));
        }
        Ok(search_hits(node, &q, ("[", "]"))?.0)
    })
    .await?;
    Ok(Json(hits))
}

/// The node's participant, as `/api/me` shows it.
#[derive(Debug, Serialize)]
pub struct MeView {
    pub key: Option<String>,
    pub name: Option<String>,
    pub affiliation: Option<String>,
    pub stakeholder: Option<String>,
    pub region: Option<String>,
    /// Whether this request carries the token (may write).
    pub logged_in: bool,
}

pub async fn api_me(
    State(state): State<Arc<Context>>,
    reader: Reader,
) -> Result<Json<MeView>, ApiError> {
    let view = on_store(&state, move |node| {
        let identity = if reader.public {
            None
        } else {
            node.public_identity().ok()
        };
        Ok(MeView {
            key: identity.as_ref().map(|i| i.key.to_string()),
            name: identity.as_ref().map(|i| i.profile.name.clone()),
            affiliation: identity.as_ref().map(|i| i.profile.affiliation.clone()),
            stakeholder: identity.as_ref().map(|i| i.profile.stakeholder.clone()),
            region: identity.as_ref().map(|i| i.profile.region.clone()),
            logged_in: reader.logged_in,
        })
    })
    .await?;
    Ok(Json(view))
}
