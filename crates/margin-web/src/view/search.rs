//! `/search?q=…`: matches in paragraphs and comments, the matched words marked.

use maud::{Markup, html};

use margin_store::SearchHit;

use super::layout::{Chrome, page};
use super::{SyncLine, dir};
use crate::Viewer;
use crate::text::text;

/// Where the search index marks matched words in snippets: characters no text
/// contains, replaced by `mark` elements when the snippet is shown.
pub const MARKS: (&str, &str) = ("\u{2}", "\u{3}");

/// A snippet cut into plain and matched runs: `(text, matched)`.
pub fn snippet_runs(snippet: &str) -> Vec<(&str, bool)> {
    let mut out = vec![];
    let mut rest = snippet;
    while let Some(at) = rest.find(MARKS.0) {
        if at > 0 {
            out.push((&rest[..at], false));
        }
        rest = &rest[at + MARKS.0.len()..];
        let end = rest.find(MARKS.1).unwrap_or(rest.len());
        if end > 0 {
            out.push((&rest[..end], true));
        }
        rest = rest.get(end + MARKS.1.len()..).unwrap_or("");
    }
    if !rest.is_empty() {
        out.push((rest, false));
    }
    out
}

/// The results of a search: `query` as typed, `space` when searching one space.
pub fn search(
    query: &str,
    hits: &[SearchHit],
    viewer: &Viewer,
    sync: &SyncLine,
    space: Option<&str>,
) -> Markup {
    let t = text();
    let main = html! {
        h1 { (t.search) }
        // The page's own search form, not a second search landmark beside the header's.
        form.tools method="get" action="/search" {
            label for="sq" { (t.search_label) } " "
            input #sq name="q" type="search" value=(query);
            @if let Some(space) = space {
                " "
                span.ck {
                    input #ss type="checkbox" name="space" value=(space) checked;
                    " " label for="ss" { (t.search_in_space) }
                }
            }
            " " button { (t.search) }
        }
        @if !query.trim().is_empty() {
            @if hits.is_empty() {
                p { (t.no_matches) }
            } @else {
                p.gr { (t.hits(hits.len())) }
            }
        }
        ol.hits {
            @for h in hits {
                @let (href, label) = if h.kind == "comment" {
                    (format!("/comments/{}", h.target), &t.match_comment)
                } else {
                    (format!("/drafts/{}#p-{}", h.draft, h.target), &t.match_paragraph)
                };
                li {
                    a href=(href) { (label) } " "
                    span dir=[dir(&h.snippet)] {
                        @for (run, matched) in snippet_runs(&h.snippet) {
                            @if matched { mark { (run) } } @else { (run) }
                        }
                    }
                }
            }
        }
    };
    let mut c = Chrome::new(&t.search, viewer, sync);
    c.space = space.map(str::to_owned);
    page(&c, main)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snippet_is_cut_into_plain_and_matched_runs() {
        let s = format!("a {}word{} b {}c{}", MARKS.0, MARKS.1, MARKS.0, MARKS.1);
        assert_eq!(
            snippet_runs(&s),
            vec![("a ", false), ("word", true), (" b ", false), ("c", true)]
        );
        assert_eq!(snippet_runs("plain"), vec![("plain", false)]);
    }
}
