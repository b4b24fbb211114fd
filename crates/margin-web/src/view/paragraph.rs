//! `/drafts/{id}/p/{para}`: one paragraph with all its threads, and the response form.
//! The script also loads it into a compact draft page, in place of the paragraph.

use maud::{Markup, html};

use super::draft::{block, draft_chrome, highlight_help};
use super::forms::respond_panel;
use super::layout::page;
use super::{Mode, SyncLine, dir, draft_url};
use crate::Viewer;
use crate::model::DraftModel;
use crate::text::text;

/// The page of the one block `m` keeps (see [`DraftModel::only`]).
pub fn paragraph(m: &DraftModel, viewer: &Viewer, sync: &SyncLine) -> Markup {
    let t = text();
    let here = draft_url(&m.draft, m.reading.as_deref());
    let first = m.blocks().next();
    let main = html! {
        // The draft's title is the page's heading, as on the draft's page.
        h1.sub dir=[dir(&m.title)] { a href=(here) { (m.title) } }
        (highlight_help(t))
        div.doc #doc {
            @if let Some(b) = first {
                (block(m, b, viewer, t, Mode::Full))
            }
        }
        @if viewer.can_write() || viewer.take_part {
            (respond_panel(m, t, first, viewer.take_part))
        }
    };
    let mut c = draft_chrome(m, viewer, sync, Mode::Full);
    c.crumbs.push((here.clone(), m.title.clone()));
    page(&c, main)
}
