//! `/participate`: taking part from a browser, through a mirror that cannot forge. The
//! page says plainly what the mirror sees; the script (`/static/participate.js`, with
//! `/static/entry.js`) makes the key, keeps it in the browser, and signs every entry.

use maud::{Markup, html};

use super::layout::{Chrome, page};
use super::{SyncLine, dir};
use crate::Viewer;
use crate::assets::{BACKUP_JS_VERSION, PARTICIPATE_JS_VERSION};
use crate::model::SpaceItem;
use crate::text::text;

pub fn participate(spaces: &[SpaceItem], viewer: &Viewer, sync: &SyncLine) -> Markup {
    let t = text();
    let main = html! {
        h1 { (t.take_part_title) }
        section.notice {
            h2 { (t.take_part_trust) }
            ul {
                li { (t.take_part_key) }
                li { (t.take_part_sees) }
                li { (t.take_part_cannot) }
            }
        }
        noscript { p."notice err" { (t.take_part_script) } }
        form #pid.acts data-taking-part="identity" {
            h2 { (t.take_part_identity) }
            label for="psp" { (t.take_part_space) }
            select #psp name="space" required {
                @for s in spaces {
                    option value=(s.space) dir=[dir(&s.title)] { (s.title) }
                }
            }
            label for="pn" { (t.identity_name) }
            input #pn name="name" required autocomplete="name";
            label for="pg" { (t.identity_stakeholder) }
            select #pg name="stakeholder" required {
                option value="" {}
                @for g in margin_consensus::options::IGF_STAKEHOLDER_GROUPS {
                    option { (g) }
                }
            }
            label for="pa" { (t.identity_affiliation) }
            input #pa name="affiliation" autocomplete="organization";
            label for="pr" { (t.identity_region) }
            input #pr name="region";
            button { (t.take_part_create) }
        }
        form #prestore.acts data-taking-part="restore" {
            h2 { (t.take_part_restore_title) }
            label for="prf" { (t.take_part_restore_file) }
            input #prf name="file" type="file" required accept=".age,.txt,text/plain";
            label for="prp" { (t.take_part_passphrase) }
            input #prp name="passphrase" type="password" required autocomplete="current-password";
            button { (t.take_part_restore) }
        }
        p #pkey.gr hidden { (t.take_part_your_key) " " code {} }
        form #pbackup.acts data-taking-part="backup" hidden
            data-src={ "/static/backup.js?v=" (BACKUP_JS_VERSION.as_str()) } {
            h2 { (t.take_part_backup_title) }
            p { (t.take_part_backup_help) }
            label for="pbp" { (t.take_part_passphrase) }
            input #pbp name="passphrase" type="password" required autocomplete="new-password" minlength="8";
            label for="pbq" { (t.take_part_passphrase_again) }
            input #pbq name="again" type="password" required autocomplete="new-password" minlength="8";
            button { (t.take_part_backup) }
        }
        form #plink.acts data-taking-part="link" hidden {
            h2 { (t.take_part_link_title) }
            p { (t.take_part_link_help) }
            button { (t.take_part_link) }
            output hidden { code.linkcode {} }
        }
        form #pcomment.acts data-taking-part="comment" hidden {
            h2 { (t.take_part_respond) }
            label for="pd" { (t.drafts) }
            select #pd name="draft" required {
                @for s in spaces {
                    @for d in &s.drafts {
                        option value=(d.draft) data-space=(s.space) dir=[dir(&d.title)] { (d.title) }
                    }
                }
            }
            label for="pp" { (t.reattach_para) }
            input #pp name="para" type="number" min="1" required;
            label for="pk" { (t.kind) }
            select #pk name="kind" {
                @for kind in [margin_core::body::CommentKind::Comment, margin_core::body::CommentKind::Question, margin_core::body::CommentKind::Suggestion, margin_core::body::CommentKind::Objection] {
                    option value=(kind.as_str()) { (t.kind(kind)) }
                }
            }
            label for="pb" { (t.body) }
            textarea #pb name="body" rows="4" {}
            label for="ps" { (t.suggestion) }
            textarea #ps name="suggestion" rows="2" {}
            button name="act" value="comment" { (t.post_comment) }
            fieldset {
                legend { (t.stances_title) }
                label.vh for="pv" { (t.stances_title) }
                select #pv name="stance" {
                    option value="support" { (t.stance_support) }
                    option value="accept" { (t.stance_accept) }
                    option value="object" { (t.stance_object) }
                    option value="abstain" { (t.stance_abstain) }
                }
                label for="pre" { (t.stance_reason) }
                input #pre name="reason";
                button name="act" value="stance" { (t.take_part_stance) }
            }
        }
        script src={ "/static/participate.js?v=" (PARTICIPATE_JS_VERSION.as_str()) } defer {}
    };
    page(&Chrome::new(&t.take_part_title, viewer, sync), main)
}
