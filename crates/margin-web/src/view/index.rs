//! `/`: the spaces of this node and their drafts.

use maud::{Markup, html};

use margin_space::view::DraftSummary;

use super::layout::{Chrome, page};
use super::{SyncLine, dir};
use crate::Viewer;
use crate::model::SpaceItem;
use crate::text::{Text, text};

pub fn home(spaces: &[SpaceItem], viewer: &Viewer, sync: &SyncLine) -> Markup {
    let t = text();
    let main = html! {
        h1 { (t.spaces) }
        @if spaces.is_empty() {
            p { (t.no_spaces) }
        }
        ul.spaces {
            @for s in spaces {
                li {
                    a href={ "/spaces/" (s.space) } dir=[dir(&s.title)] { (s.title) }
                    ul {
                        @for d in &s.drafts {
                            (draft_item(d, t))
                        }
                    }
                }
            }
        }
    };
    let mut c = Chrome::new(&t.spaces, viewer, sync);
    c.body.live_all = true;
    page(&c, main)
}

/// A draft in a list: its link and counts.
pub fn draft_item(d: &DraftSummary, t: &Text) -> Markup {
    let counts = t.draft_counts(d.paragraphs, d.comments, d.revisions);
    html! {
        li {
            a href={ "/drafts/" (d.draft) } dir=[dir(&d.title)] { (d.title) }
            " " span.gr { (counts) }
        }
    }
}
