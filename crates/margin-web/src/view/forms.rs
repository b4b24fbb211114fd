//! The forms that write: the response panel of a draft's pages (a comment on, or a
//! stance about, a paragraph) and the actions on one comment.

use maud::{Markup, html};

use margin_core::body::{CommentKind, DispositionValue, StanceValue};

use super::draft::para_url;
use super::{draft_url, short_time};
use crate::model::{Block, CommentModel, DraftModel, Item};
use crate::text::Text;

/// The kinds of comment as options.
fn kind_options(t: &Text) -> Markup {
    html! {
        @for k in CommentKind::ALL {
            option value=(k.as_str()) { (t.kind(*k)) }
        }
    }
}

/// The one form for commenting on, and taking a stance on, a paragraph; the script
/// moves it under the paragraph being answered and fills in the selected passage.
/// `in_browser`: on a site that takes part, hidden until the page finds a key in the
/// browser, which signs what the form says (`/static/respond.js`).
pub fn respond_panel(m: &DraftModel, t: &Text, para: Option<&Block>, in_browser: bool) -> Markup {
    let here = match para {
        Some(b) => para_url(m, &b.id),
        None => draft_url(&m.draft, m.reading.as_deref()),
    };
    let n = para
        .and_then(|b| b.n)
        .map(|n| n.to_string())
        .unwrap_or_else(|| "…".into());
    html! {
        section.panel #respond .kb[in_browser] hidden[in_browser] aria-labelledby="rh"
            data-sel=(t.selection_button) data-respond=(t.respond("{n}")) {
            h2 #rh { (t.respond_title) }
            form #rf method="post" action={ "/api/drafts/" (m.draft) "/comments" } {
                input type="hidden" name="v" value=(m.reading.as_deref().unwrap_or(""));
                input #rstart type="hidden" name="start" value="";
                input #rret type="hidden" name="return" value=(here);
                label for="rp" { (t.para_select) }
                select #rp name="para" {
                    option value="" { (t.whole_draft) }
                    @for b in m.blocks() {
                        option value=(b.id) selected[para.is_some_and(|p| p.id == b.id)] {
                            @match b.n {
                                Some(n) => { "¶" (n) }
                                None => { "§" }
                            }
                            " " (b.text.chars().take(20).collect::<String>()) "…"
                        }
                    }
                }
                label for="rq" { (t.passage) }
                input #rq name="quote" aria-describedby="rqh";
                small #rqh { (t.passage_help) }
                (word_chooser(t))
                label for="rk" { (t.kind) }
                select #rk name="kind" { (kind_options(t)) }
                label for="rb" { (t.body) }
                textarea #rb name="body" rows="4" required {}
                label for="rsg" { (t.suggestion) }
                textarea #rsg name="suggestion" rows="2" {}
                button { (t.post_comment) }
                fieldset.st {
                    legend #rsl data-template=(t.stance_title("{n}")) { (t.stance_title(n.as_str())) }
                    label for="rr" { (t.stance_reason) }
                    input #rr name="reason";
                    @for s in StanceValue::ALL {
                        " "
                        button class={ "sb s-" (s.as_str()) } formaction={ "/api/drafts/" (m.draft) "/stances" }
                            formnovalidate name="value" value=(s.as_str()) { (t.stance(*s)) }
                    }
                }
                button.link.x type="button" hidden { (t.cancel) }
            }
        }
    }
}

/// Choosing the passage among the words of the paragraph with the keyboard: the script
/// shows it once the form is about a paragraph on the page, and fills the text field
/// with the paragraph's words. A text field because every browser and screen reader
/// knows how to move in one and select words in it (Shift with the arrow keys), and
/// says what is selected. Not `readonly`: browsers move no caret in a read-only field.
/// It is read-only to assistive technologies, the script refuses every change (so the
/// words chosen are the paragraph's), phones open no keyboard for it, and it has no
/// name, so the form never sends it.
fn word_chooser(t: &Text) -> Markup {
    html! {
        div.pick #rpk hidden {
            button #rpick type="button" aria-expanded="false" aria-controls="rwords" {
                (t.choose_words)
            }
            div #rwords hidden {
                label for="rwt" { (t.choose_words_label) }
                textarea #rwt rows="4" aria-readonly="true" aria-describedby="rwth"
                    inputmode="none" spellcheck="false" autocomplete="off" {}
                small #rwth { (t.choose_words_help) }
                button #ruse type="button" { (t.choose_words_use) }
            }
        }
    }
}

/// The forms acting on one comment: reply; edit and retract for its author; mute for
/// others; hiding for conveners; disposition and re-attachment for editors.
/// `in_browser`: on a site that takes part, the forms a browser's key signs, hidden
/// until the page finds that key (edit and retract: only the author's key).
pub fn comment_actions(
    cm: &CommentModel,
    i: &Item,
    t: &Text,
    back: &str,
    in_browser: bool,
) -> Markup {
    let id = i.id();
    let s = i.short();
    let ret = html! { input type="hidden" name="return" value=(back); };
    let (mute_action, mute_button) = if i.view.muted {
        ("unmute", &t.unmute_button)
    } else {
        ("mute", &t.mute_button)
    };
    let (hide_action, hide_button) = if i.view.hidden.is_some() {
        ("show", &t.unhide_button)
    } else {
        ("hide", &t.hide_button)
    };
    html! {
        section #actions .acts .kb[in_browser] hidden[in_browser] data-c=(s) {
            form method="post" action={ "/api/drafts/" (cm.draft) "/comments" } {
                h2 { (t.reply_title) } (ret)
                input type="hidden" name="reply" value=(id);
                label for={ "k-" (s) } { (t.kind) }
                select id={ "k-" (s) } name="kind" { (kind_options(t)) }
                label for={ "b-" (s) } { (t.body) }
                textarea id={ "b-" (s) } name="body" rows="3" required {}
                label for={ "g-" (s) } { (t.suggestion) }
                textarea id={ "g-" (s) } name="suggestion" rows="2" {}
                button { (t.post_reply) }
            }
            @if (i.mine || in_browser) && !i.view.retracted {
                @let author = in_browser.then_some(i.view.author.key.as_str());
                form.kb[in_browser] method="post" action={ "/api/comments/" (id) "/edit" }
                    hidden[in_browser] data-author=[author] {
                    h2 { (t.edit_title) } (ret)
                    label for={ "e-" (s) } { (t.body) }
                    textarea id={ "e-" (s) } name="body" rows="3" required { (i.view.body) }
                    label for={ "es-" (s) } { (t.suggestion) }
                    textarea id={ "es-" (s) } name="suggestion" rows="2" {
                        (i.view.suggestion.as_deref().unwrap_or(""))
                    }
                    button { (t.save_edit) }
                }
                form.kb[in_browser] method="post" action={ "/api/comments/" (id) "/retract" }
                    hidden[in_browser] data-author=[author] {
                    h2 { (t.retract_title) } (ret)
                    label { input type="checkbox" name="erase" value="1"; " " (t.retract_erase) }
                    button.warn { (t.retract_button) }
                }
            }
            @if !i.mine && !in_browser {
                form method="post" action={ "/api/participants/" (i.view.author.key) "/mute" } {
                    h2 { (t.mute_title) } (ret)
                    input type="hidden" name="action" value=(mute_action);
                    button { (mute_button) }
                }
            }
            @if cm.convener {
                form method="post" action={ "/api/comments/" (id) "/moderation" } {
                    h2 { (t.hide_title) } (ret)
                    input type="hidden" name="action" value=(hide_action);
                    label for={ "hr-" (s) } { (t.hide_reason) }
                    input id={ "hr-" (s) } name="reason" required;
                    button.warn { (hide_button) }
                }
            }
            @if cm.editor {
                form method="post" action={ "/api/comments/" (id) "/dispose" } {
                    h2 { (t.dispose_title) } (ret)
                    label for={ "dv-" (s) } { (t.dispose_value) }
                    select id={ "dv-" (s) } name="value" {
                        @for value in DispositionValue::ALL {
                            option value=(value.as_str()) selected[i.disposition == Some(*value)] {
                                (t.disposition(*value))
                            }
                        }
                    }
                    label for={ "dn-" (s) } { (t.dispose_note) }
                    textarea id={ "dn-" (s) } name="note" rows="2" {}
                    label for={ "dr-" (s) } { (t.dispose_revision) }
                    select id={ "dr-" (s) } name="revision" {
                        option value="" { (t.dispose_no_revision) }
                        @for r in cm.revisions.iter().take(20) {
                            option value=(r.id) { (short_time(&r.time)) " — " (r.message) }
                        }
                    }
                    button { (t.dispose_button) }
                }
                @if i.view.parent.is_none() {
                    form method="post" action={ "/api/comments/" (id) "/reattach" } {
                        h2 { (t.reattach_title) } (ret)
                        label for={ "ap-" (s) } { (t.reattach_para) } " "
                        input id={ "ap-" (s) } name="para" required size="6" inputmode="numeric";
                        label for={ "aq-" (s) } { (t.passage) }
                        input id={ "aq-" (s) } name="quote"
                            value=(i.view.quote.as_ref().map(|q| q.exact.as_str()).unwrap_or(""));
                        button { (t.reattach_button) }
                    }
                }
            }
        }
    }
}
