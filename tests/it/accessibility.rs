//! The web interface for everyone (WCAG 2.2, levels A and AA), in a real browser: axe-core
//! finds no serious or critical violation on any kind of page, in English and in Arabic
//! (left to right and right to left), as a participant, an editor, a newcomer without an
//! identity and a visitor of a mirror's public site see it; and, with the keyboard
//! alone, highlighted passages lead to their comments and a comment is anchored to words
//! chosen in the paragraph.
//!
//! Like the other browser test, it needs `/usr/bin/chromium`, `node` and `npm ci` in
//! `tests/browser`; without them it is skipped with a message, unless
//! `MARGIN_REQUIRE_BROWSER=1`.

use crate::common;

use common::web::*;
use common::*;
use serde_json::{Value, json};

/// The paragraph of the sample draft whose words are chosen with the keyboard, and the
/// words chosen (plain words, so that moving word by word counts them the same way on
/// every platform).
const CHOSEN_IN: &str = "Contributors from smaller economies";
const CHOSEN: &str = "smaller economies reported that";

/// A page to check: its kind, which browser opens it (see the sites below), its path.
fn page(kind: &str, site: &str, path: String) -> Value {
    json!({ "kind": kind, "site": site, "path": path })
}

#[test]
fn every_kind_of_page_passes_axe_and_works_with_the_keyboard() {
    let Some((chromium, dir)) =
        browser_or_skip("every_kind_of_page_passes_axe_and_works_with_the_keyboard")
    else {
        return;
    };
    // A participant's node with the sample review (threads, dispositions, a revision
    // between tagged versions) and a space of their own, where they are the editor.
    let me = Participant::init("Nadia Haddad", "civil-society");
    let demo = me.json(&["demo"]);
    let (space, draft) = (field(&demo, "space"), field(&demo, "draft"));
    let own_space = field(&me.json(&["space", "create", "Open data charter"]), "space");
    let v1 = fixture("bpf-draft-v1.md");
    let own_draft = field(
        &me.json(&["draft", "import", &own_space, v1.to_str().expect("path")]),
        "draft",
    );
    me.ok(&["draft", "tag", &own_draft, "v1"]);
    let v2 = fixture("bpf-draft-v2.md");
    me.ok(&["draft", "update", &own_draft, v2.to_str().expect("path")]);
    me.ok(&["draft", "tag", &own_draft, "v2"]);
    let cvd = para(&me, &draft, "Coordinated vulnerability");
    let own_para = para(&me, &own_draft, "Coordinated vulnerability");
    let mine = field(
        &me.json(&[
            "comment",
            &own_draft,
            "--para",
            &own_para,
            "--quote",
            "Fourteen contributions",
            "--kind",
            "objection",
            "--body",
            "Which fourteen?",
        ]),
        "comment",
    );
    // A comment withdrawn: shown struck through, and as legible as the others.
    let withdrawn = field(
        &me.json(&[
            "comment",
            &own_draft,
            "--para",
            &own_para,
            "--body",
            "On second thoughts, nothing to add.",
        ]),
        "comment",
    );
    me.ok(&["comment", "retract", &withdrawn]);
    let node = start(&me, true, None);
    let public = node.public.expect("the public address");
    let question = comments(&node, &draft)
        .into_iter()
        .find(|c| c["kind"] == "question")
        .and_then(|c| c["id"].as_str().map(str::to_owned))
        .expect("the sample question");
    // A node without an identity yet.
    let newcomer = Participant::new("Newcomer");
    let fresh = start(&newcomer, false, None);

    // Who looks: `local` is the participant logged in on their node; `visitor` the same
    // node without the token; `newcomer` a node without an identity; `public` a
    // mirror's public site.
    let sites = json!({
        "local": { "url": format!("http://{}", node.http), "token": node.token },
        "visitor": { "url": format!("http://{}", node.http) },
        "newcomer": { "url": format!("http://{}", fresh.http), "token": fresh.token },
        "public": { "url": format!("http://{public}") },
    });
    let pages = [
        page("index", "local", "/".into()),
        page("space", "local", format!("/spaces/{space}")),
        page(
            "space, as its editor",
            "local",
            format!("/spaces/{own_space}"),
        ),
        page("draft", "local", format!("/drafts/{draft}")),
        page(
            "draft at a version",
            "local",
            format!("/drafts/{draft}?v=v1"),
        ),
        page(
            "draft, as its editor",
            "local",
            format!("/drafts/{own_draft}"),
        ),
        page("paragraph", "local", format!("/drafts/{draft}/p/{cvd}")),
        page("comment", "local", format!("/comments/{question}")),
        page(
            "comment, its editor's own",
            "local",
            format!("/comments/{mine}"),
        ),
        page("diff", "local", format!("/drafts/{draft}/diff")),
        page("search", "local", "/search?q=contributions".into()),
        page("news", "local", "/news".into()),
        page(
            "news since a date",
            "local",
            "/news?since=2020-01-01".into(),
        ),
        page("error", "local", "/drafts/000000000000".into()),
        page("identity", "newcomer", "/identity".into()),
        page("index, without an identity", "newcomer", "/".into()),
        page("login", "visitor", "/login".into()),
        page(
            "draft, without the token",
            "visitor",
            format!("/drafts/{draft}"),
        ),
        page("public draft", "public", format!("/drafts/{draft}")),
        page("public comment", "public", format!("/comments/{question}")),
    ];
    let chosen_in = para(&me, &draft, CHOSEN_IN);
    let before = comments(&node, &draft).len();

    run_browser_script(
        &chromium,
        &dir,
        "accessibility.mjs",
        &[
            ("MARGIN_SITES", sites.to_string()),
            ("MARGIN_PAGES", Value::from(pages.to_vec()).to_string()),
            ("MARGIN_NODE", format!("http://{}", node.http)),
            ("MARGIN_TOKEN", node.token.clone()),
            ("MARGIN_DRAFT", draft.clone()),
            ("MARGIN_PARA", chosen_in.clone()),
            ("MARGIN_WORDS", CHOSEN.to_owned()),
            (
                "MARGIN_ARTIFACTS",
                browser_artifacts().display().to_string(),
            ),
        ],
    );

    // The comment posted with the keyboard is anchored to exactly the words chosen.
    let posted: Vec<Value> = comments(&node, &draft)
        .into_iter()
        .filter(|c| c["para"] == chosen_in.as_str())
        .collect();
    assert_eq!(comments(&node, &draft).len(), before + 1);
    assert_eq!(posted.len(), 1, "{posted:?}");
    assert_eq!(posted[0]["anchor"]["text"], CHOSEN, "{}", posted[0]);
    assert_eq!(posted[0]["quote"]["exact"], CHOSEN, "{}", posted[0]);
}
