//! Atom feeds, so that people follow a review in the feed reader they already use:
//! `/spaces/{id}/feed.atom` (every draft of the space) and `/drafts/{id}/feed.atom`
//! (one draft), on the local address and on a mirror's public one. A feed lists the
//! latest revisions, comments and replies, and editors' dispositions, newest first; a
//! retracted comment or one a convener hid is left out, as is the text of a muted
//! author on the node that muted them. Entry ids are the entries' own (`urn:margin:…`),
//! so the same comment read from two mirrors is one item in a reader.

use atom_syndication::{
    Content, Entry as AtomEntry, Feed, FixedDateTime, Link, Person, Text as AtomText,
};
use margin_core::Timestamp;
use margin_core::id::{DraftId, EntryId};
use margin_space::Space;
use margin_space::view::CommentView;

use crate::Viewer;
use crate::error::WebError;

/// The most items a feed lists (the newest).
pub const FEED_ITEMS: usize = 100;

/// An item before it is written: when, and the Atom entry.
struct Item {
    time: Timestamp,
    entry: AtomEntry,
}

/// The feed of every draft of `space`; links start with `base` (`http://host:port`).
pub fn space_feed(space: &Space, base: &str, viewer: &Viewer) -> Feed {
    let charter = space.charter();
    let mut items = vec![];
    for draft in space.drafts() {
        items.extend(draft_items(space, &draft.id, base, viewer));
    }
    let link = format!("{base}/spaces/{}", space.id());
    feed(
        format!("urn:margin:space:{}", space.id()),
        &charter.title,
        &link,
        &format!("{link}/feed.atom"),
        items,
    )
}

/// The feed of one draft.
pub fn draft_feed(
    space: &Space,
    draft: &DraftId,
    base: &str,
    viewer: &Viewer,
) -> Result<Feed, WebError> {
    let state = space
        .draft(draft)
        .ok_or_else(|| WebError::NotFound(format!("no draft {draft}")))?;
    let link = format!("{base}/drafts/{draft}");
    Ok(feed(
        format!("urn:margin:draft:{draft}"),
        &state.title(),
        &link,
        &format!("{link}/feed.atom"),
        draft_items(space, draft, base, viewer),
    ))
}

fn feed(id: String, title: &str, link: &str, itself: &str, mut items: Vec<Item>) -> Feed {
    items.sort_by_key(|i| std::cmp::Reverse(i.time));
    items.truncate(FEED_ITEMS);
    let updated = items
        .first()
        .map_or_else(|| atom_time(Timestamp::from_millis(0)), |i| i.entry.updated);
    Feed {
        id,
        title: AtomText::plain(title),
        updated,
        links: vec![
            alternate(link),
            link_to(itself, "self", "application/atom+xml"),
        ],
        generator: Some(atom_syndication::Generator {
            value: "Margin".into(),
            ..Default::default()
        }),
        entries: items.into_iter().map(|i| i.entry).collect(),
        ..Default::default()
    }
}

/// The revisions, comments and dispositions of one draft.
fn draft_items(space: &Space, draft: &DraftId, base: &str, viewer: &Viewer) -> Vec<Item> {
    let Some(state) = space.draft(draft) else {
        return vec![];
    };
    let title = state.title();
    let mut items = vec![];
    for (n, revision) in state.revisions.iter().enumerate() {
        let who = space.participant(&revision.author);
        let what = if n == 0 {
            format!("{} published “{title}”", who.name)
        } else {
            format!("{} revised “{title}”", who.name)
        };
        items.push(item(
            revision.entry,
            revision.time,
            what,
            &who.name,
            &format!("{base}/drafts/{draft}"),
            revision.message.clone(),
        ));
    }
    for view in space.comment_views(draft, None) {
        if view.retracted || view.hidden.is_some() {
            continue;
        }
        let Some(state) = view
            .id
            .parse::<EntryId>()
            .ok()
            .and_then(|id| space.comment(&id))
        else {
            continue;
        };
        let link = format!("{base}/comments/{}", view.id);
        let muted = viewer.muted.contains(&view.author.key);
        let what = match (&view.parent, view.kind) {
            (Some(_), _) => format!("{} replied on “{title}”", by(&view)),
            (None, "comment") => format!("{} commented on “{title}”", by(&view)),
            (None, kind) => format!("{} ({kind}) on “{title}”", by(&view)),
        };
        let words = if muted {
            "(muted on this node)".to_owned()
        } else {
            comment_text(&view)
        };
        items.push(item(
            state.id,
            state.time,
            what,
            &view.author.name,
            &link,
            words,
        ));
        if let (Some(d), Some(stamped)) = (&view.disposition, &state.disposition) {
            let editor = space.participant(&stamped.author).name;
            let mut text = d.value.to_owned();
            if !d.note.is_empty() {
                text.push_str(": ");
                text.push_str(&d.note);
            }
            items.push(item(
                stamped.entry,
                stamped.time,
                format!(
                    "{editor} marked a comment by {} {}",
                    view.author.name, d.value
                ),
                &editor,
                &link,
                text,
            ));
        }
    }
    items
}

/// "Name (group)".
fn by(view: &CommentView) -> String {
    if view.author.stakeholder.is_empty() {
        view.author.name.clone()
    } else {
        format!("{} ({})", view.author.name, view.author.stakeholder)
    }
}

/// A comment's words, with the passage it is about and its proposed wording.
fn comment_text(view: &CommentView) -> String {
    let mut text = String::new();
    if let Some(quote) = &view.quote {
        text.push_str(&format!("On “{}”: ", quote.exact));
    }
    text.push_str(&view.body);
    if let Some(suggestion) = &view.suggestion {
        text.push_str(&format!("\n\nProposed wording: “{suggestion}”"));
    }
    text
}

fn item(
    id: EntryId,
    time: Timestamp,
    title: String,
    author: &str,
    link: &str,
    text: String,
) -> Item {
    Item {
        time,
        entry: AtomEntry {
            id: format!("urn:margin:{id}"),
            title: AtomText::plain(title),
            updated: atom_time(time),
            published: Some(atom_time(time)),
            authors: vec![Person {
                name: author.to_owned(),
                ..Default::default()
            }],
            links: vec![alternate(link)],
            content: Some(Content {
                value: Some(text),
                content_type: Some("text".into()),
                ..Default::default()
            }),
            ..Default::default()
        },
    }
}

fn alternate(href: &str) -> Link {
    link_to(href, "alternate", "text/html")
}

fn link_to(href: &str, rel: &str, mime: &str) -> Link {
    Link {
        href: href.to_owned(),
        rel: rel.to_owned(),
        mime_type: Some(mime.to_owned()),
        ..Default::default()
    }
}

fn atom_time(time: Timestamp) -> FixedDateTime {
    i64::try_from(time.as_millis())
        .ok()
        .and_then(chrono::DateTime::from_timestamp_millis)
        .unwrap_or_default()
        .fixed_offset()
}
