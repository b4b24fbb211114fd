//! `/identity`, creating the node's participant, and `/login`, pasting the token.

use maud::{Markup, html};

use super::SyncLine;
use super::layout::{Chrome, page};
use crate::Viewer;
use crate::text::text;

pub fn identity(viewer: &Viewer, sync: &SyncLine) -> Markup {
    let t = text();
    let main = html! {
        h1 { (t.identity_title) }
        p { (t.no_identity) }
        @if viewer.logged_in && viewer.me.is_none() {
            form.acts method="post" action="/api/identity" {
                input type="hidden" name="return" value="/";
                label for="in" { (t.identity_name) }
                input #in name="name" required autocomplete="name";
                label for="ia" { (t.identity_affiliation) }
                input #ia name="affiliation" autocomplete="organization";
                label for="ig" { (t.identity_stakeholder) }
                select #ig name="stakeholder" {
                    option value="" {}
                    @for g in margin_consensus::options::IGF_STAKEHOLDER_GROUPS {
                        option { (g) }
                    }
                }
                label for="ir" { (t.identity_region) }
                input #ir name="region";
                button { (t.identity_create) }
            }
        }
        p.gr { code { (t.identity_cli) } }
    };
    page(&Chrome::new(&t.identity_title, viewer, sync), main)
}

/// `/login` without a token: a form to paste it.
pub fn login(viewer: &Viewer, sync: &SyncLine) -> Markup {
    let t = text();
    let main = html! {
        h1 { (t.login_title) }
        form.acts method="post" action="/login" {
            label for="lt" { (t.login_token) }
            input #lt name="token" type="password" required autocomplete="off";
            button { (t.login_button) }
        }
    };
    page(&Chrome::new(&t.login_title, viewer, sync), main)
}
