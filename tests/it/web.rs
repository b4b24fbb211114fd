//! The web interface and HTTP API of `margin node`, against running nodes: who may
//! write (the token, the same origin), what the public address of a mirror serves (no
//! writes at all), what the pages show, forms without JavaScript, clear refusals of
//! bad requests — and, in a real browser (Debian's chromium driven by playwright-core),
//! two nodes where an objection posted on one appears beside its passage on the other
//! and the editor's disposition comes back, without reloading either page.
//!
//! The browser test needs `/usr/bin/chromium`, `node` and `npm ci` in `tests/browser`;
//! without them it is skipped with a message, unless `MARGIN_REQUIRE_BROWSER=1` (as in
//! CI), where it fails instead.

use crate::common;

use std::time::Duration;

use common::running::eventually;
use common::web::*;
use common::*;
use serde_json::{Value, json};

// ---- a review to look at ---------------------------------------------------------------

const TWELVE: &str = "Twelve contributions described a policy in force";

struct Review {
    editor: Participant,
    draft: String,
    space: String,
}

/// An editor's space with the fixture draft, tagged v1.
fn review() -> Review {
    let editor = Participant::init("Maria Okafor", "technical-community");
    let space = editor.json(&["space", "create", "BPF on Cybersecurity"])["space"]
        .as_str()
        .expect("space")
        .to_owned();
    let v1 = fixture("bpf-draft-v1.md");
    let draft = editor.json(&["draft", "import", &space, v1.to_str().expect("path")])["draft"]
        .as_str()
        .expect("draft")
        .to_owned();
    editor.ok(&["draft", "tag", &draft, "v1"]);
    Review {
        editor,
        draft,
        space,
    }
}

// ---- tests ------------------------------------------------------------------------------

#[test]
fn writes_need_the_token_and_must_come_from_the_nodes_own_pages() {
    let r = review();
    let node = start(&r.editor, false, None);
    let para = para(&r.editor, &r.draft, "Coordinated vulnerability");
    let path = format!("/api/drafts/{}/comments", r.draft);
    let comment =
        json!({ "para": para, "quote": TWELVE, "kind": "question", "body": "Which twelve?" });

    assert!(
        node.login()
            .contains(&format!("http://{}/login?token={}", node.http, node.token)),
        "{}",
        node.login()
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(r.editor.home().join("api.token"))
            .expect("token")
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "api.token is readable by its owner only"
        );
    }

    let json = [("Content-Type", "application/json")];
    let no_token = request(node.http, "POST", &path, &json, &comment.to_string());
    assert_eq!(no_token.status, 401, "{}", no_token.body);
    assert!(
        no_token.json()["error"]
            .as_str()
            .unwrap_or_default()
            .contains("token")
    );

    let wrong = request(
        node.http,
        "POST",
        &path,
        &[
            ("Authorization", "Bearer 0123"),
            ("Content-Type", "application/json"),
        ],
        &comment.to_string(),
    );
    assert_eq!(wrong.status, 401);

    let auth = format!("Bearer {}", node.token);
    let cookie = format!("margin_token{}={}", node.http.port(), node.token);
    let cross_origin = request(
        node.http,
        "POST",
        &path,
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
            ("Origin", "http://evil.example"),
        ],
        &comment.to_string(),
    );
    assert_eq!(cross_origin.status, 403, "{}", cross_origin.body);
    let cross_site = request(
        node.http,
        "POST",
        &path,
        &[
            ("Cookie", &cookie),
            ("Sec-Fetch-Site", "cross-site"),
            ("Content-Type", "application/json"),
        ],
        &comment.to_string(),
    );
    assert_eq!(cross_site.status, 403);
    let cookie_without_origin = request(
        node.http,
        "POST",
        &path,
        &[("Cookie", &cookie), ("Content-Type", "application/json")],
        &comment.to_string(),
    );
    assert_eq!(cookie_without_origin.status, 403);
    let rebound = request(
        node.http,
        "GET",
        "/",
        &[("Host", "margin.evil.example")],
        "",
    );
    assert_eq!(rebound.status, 403, "a rebound DNS name is not served");
    assert!(comments(&node, &r.draft).is_empty(), "nothing was written");

    let posted = post_json(&node, &path, comment);
    assert_eq!(posted.status, 201, "{}", posted.body);
    let id = posted.json()["comment"].as_str().expect("id").to_owned();
    let stored = comments(&node, &r.draft);
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["id"], id.as_str());
    assert_eq!(stored[0]["anchor"]["text"], TWELVE);
    // The CLI reads the same store.
    assert!(
        r.editor
            .ok(&["comments", &r.draft])
            .contains("Which twelve?")
    );

    // The login link sets a cookie only the node's own pages send.
    let bad_login = get(node.http, "/login?token=nope");
    assert_eq!(bad_login.status, 401);
    let login = get(node.http, &format!("/login?token={}", node.token));
    assert_eq!(login.status, 303);
    let set = login.header("set-cookie").expect("a cookie");
    assert!(
        set.starts_with(&format!("margin_token{}=", node.http.port())),
        "{set}"
    );
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set.contains(attribute), "{set} lacks {attribute}");
    }
    let page = get(node.http, &format!("/drafts/{}", r.draft));
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    assert!(
        page.header("content-security-policy")
            .unwrap_or_default()
            .contains("frame-ancestors 'none'")
    );
}

#[test]
fn the_public_address_serves_reading_and_has_no_write_routes() {
    let r = review();
    let node = start(&r.editor, true, None);
    let public = node.public.expect("public address");
    let page = get(public, &format!("/drafts/{}", r.draft));
    assert_eq!(page.status, 200);
    assert!(page.body.contains(TWELVE));
    assert!(
        !page.body.contains("method=\"post\""),
        "no form writes on the public view"
    );
    assert!(!page.body.contains("id=\"respond\""));
    assert_eq!(get(public, "/api/spaces").status, 200);
    assert_eq!(get(public, "/login").status, 404);
    let para = para(&r.editor, &r.draft, "Coordinated vulnerability");
    let auth = format!("Bearer {}", node.token);
    let writes = [
        format!("/api/drafts/{}/comments", r.draft),
        format!("/api/drafts/{}/stances", r.draft),
        format!("/api/drafts/{}/tags", r.draft),
        format!("/api/drafts/{}/revisions", r.draft),
        format!("/api/spaces/{}/drafts", r.space),
        "/api/identity".to_owned(),
        "/login".to_owned(),
        "/logout".to_owned(),
    ];
    for path in writes {
        let reply = request(
            public,
            "POST",
            &path,
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
            ],
            &json!({ "para": para, "body": "x", "value": "support", "name": "v9" }).to_string(),
        );
        assert!(
            reply.status == 404 || reply.status == 405,
            "POST {path} on the public address answered {}",
            reply.status
        );
    }
    assert!(comments(&node, &r.draft).is_empty());
    assert_eq!(
        get(node.http, &format!("/api/drafts/{}/stances", r.draft)).json(),
        json!([])
    );
}

/// Asking the node to reconcile makes it work: like a write, it needs the token (a page
/// on another site could otherwise make a browser post it again and again).
#[test]
fn reconciling_on_request_needs_the_token() {
    let r = review();
    let node = start(&r.editor, false, None);
    let path = format!("/api/sync/reconcile?space={}", r.space);
    let without = request(node.http, "POST", &path, &[], "");
    assert_eq!(without.status, 401, "{}", without.body);
    let auth = format!("Bearer {}", node.token);
    let with = request(node.http, "POST", &path, &[("Authorization", &auth)], "");
    assert_eq!(with.status, 200, "{}", with.body);
    assert!(with.json()["since"].as_u64().is_some(), "{}", with.body);
    // `margin sync wait` sends the token of its home.
    r.editor.ok(&["sync", "wait", &r.space, "--timeout", "30"]);
}

/// Each page open on a mirror's public site holds a live-update stream; their number is
/// bounded, so that visitors (or one visitor opening connections without end) cannot
/// hold a task and a connection each without limit. One over the bound is refused; once
/// pages close, new ones follow updates again.
#[test]
fn live_updates_on_the_public_address_are_bounded() {
    let r = review();
    let node = start(&r.editor, true, None);
    let public = node.public.expect("public address");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let url = format!("http://{public}/events");
    let open: Vec<_> = (0..margin_web::PUBLIC_MAX_LISTENERS)
        .map(|n| {
            let reply = agent.get(&url).call().expect("a live-update stream");
            assert_eq!(reply.status().as_u16(), 200, "stream {n}");
            reply
        })
        .collect();
    let over = agent.get(&url).call().expect("an answer");
    assert_eq!(over.status().as_u16(), 503);
    // Reading pages still works meanwhile.
    assert_eq!(get(public, &format!("/drafts/{}", r.draft)).status, 200);
    drop(open);
    eventually("a closed page's stream is freed", || {
        agent
            .get(&url)
            .call()
            .is_ok_and(|reply| reply.status().as_u16() == 200)
    });
}

/// A mirror's public address tells anyone about the node, but not where its peers are:
/// participants' IP addresses stay on the local address.
#[test]
fn the_public_address_does_not_publish_the_addresses_of_peers() {
    let r = review();
    let mirror = start(&r.editor, true, None);
    let reader = Participant::init("Reader", "academia");
    let peer = start(&reader, false, Some(&mirror.address));
    eventually("the mirror lists its peer on the local address", || {
        get(mirror.http, "/api/peers")
            .json()
            .as_array()
            .is_some_and(|peers| {
                peers
                    .iter()
                    .any(|p| p["addresses"].as_array().is_some_and(|a| !a.is_empty()))
            })
    });
    let public = mirror.public.expect("public address");
    let peers = get(public, "/api/peers").json();
    let listed = peers.as_array().expect("a list of peers");
    assert!(!listed.is_empty(), "{peers}");
    for p in listed {
        assert_eq!(p["addresses"], json!([]), "{p}");
    }
    let status = get(public, "/api/node").json();
    for p in status["peers"].as_array().expect("peers") {
        assert_eq!(p["addresses"], json!([]), "{p}");
    }
    assert_eq!(status["banned"], json!([]));
    // The node's own addresses are what a mirror publishes for others to join it.
    assert!(
        status["addresses"]
            .as_array()
            .is_some_and(|a| !a.is_empty()),
        "{status}"
    );
    drop(peer);
}

#[test]
fn pages_show_passages_threads_versions_diffs_and_orphans() {
    let home = Participant::init("Ana Reader", "civil-society");
    let demo = home.json(&["demo"]);
    let draft = demo["draft"].as_str().expect("draft").to_owned();
    let node = start(&home, false, None);

    let page = get(node.http, &format!("/drafts/{draft}"));
    assert_eq!(page.status, 200);
    let html = &page.body;
    // Highlighted passage, what it was and what it reads now, a thread with a reply,
    // the disposition, an orphan, bracketed text, right-to-left Arabic.
    assert!(html.contains("<mark data-c=\""), "passages highlighted");
    assert!(html.contains("commented on v1:"));
    assert!(html.contains("now reads:"));
    assert!(html.contains("Fourteen contributions described a policy in force"));
    assert!(html.contains("class=\"re\""), "replies in their thread");
    assert!(html.contains("partly accepted"));
    assert!(html.contains("id=\"orphans\""));
    assert!(html.contains("class=\"b\""), "bracketed text marked");
    assert!(
        html.contains("<p class=\"t\" dir=\"rtl\">تم استلام"),
        "Arabic right to left"
    );
    assert!(html.contains("Support 2"), "stance tallies");
    assert!(html.contains("<option>v1</option>"), "version picker");

    let v1 = get(node.http, &format!("/drafts/{draft}?v=v1"));
    assert_eq!(v1.status, 200);
    assert!(
        v1.body
            .contains("Twelve contributions described a policy in force")
    );
    assert!(v1.body.contains("You are reading version v1"));

    let diff = get(node.http, &format!("/drafts/{draft}/diff?from=v1&to=v2"));
    assert_eq!(diff.status, 200);
    assert!(diff.body.contains("<del>Twelve</del>"), "{}", diff.body);
    assert!(diff.body.contains("<ins>Fourteen</ins>"));

    let filtered = get(node.http, &format!("/drafts/{draft}?kind=objection"));
    assert!(filtered.body.contains("k-objection"));
    assert!(
        !filtered.body.contains("k-question"),
        "other kinds filtered out"
    );
    let open = get(node.http, &format!("/drafts/{draft}?undisposed=1")).body;
    assert!(open.contains("Civil society supports removing the brackets"));
    assert!(
        !open.contains("Which contributions?"),
        "disposed comments filtered out"
    );

    let search = get(node.http, "/search?q=safe+harbours");
    assert_eq!(search.status, 200);
    assert!(search.body.contains("<mark>"), "{}", search.body);

    let all = comments(&node, &draft);
    let question = all
        .iter()
        .find(|c| c["kind"] == "question")
        .and_then(|c| c["id"].as_str())
        .expect("a question");
    let thread = get(node.http, &format!("/comments/{question}"));
    assert_eq!(thread.status, 200);
    assert!(thread.body.contains("Which contributions?"));

    let missing = get(node.http, "/drafts/ffffffffffff");
    assert_eq!(missing.status, 404);
    assert!(
        missing.body.contains("<!doctype html>"),
        "an error page for browsers"
    );
    assert_eq!(get(node.http, &format!("/drafts/{draft}?v=v7")).status, 404);
}

#[test]
fn forms_work_without_javascript() {
    let r = review();
    let node = start(&r.editor, false, None);
    let para = para(&r.editor, &r.draft, "Coordinated vulnerability");
    let back = format!("/drafts/{}", r.draft);

    let posted = post_form(
        &node,
        &format!("/api/drafts/{}/comments", r.draft),
        &[
            ("para", &para),
            ("quote", TWELVE),
            ("kind", "objection"),
            ("body", "Recount, please."),
            ("return", &back),
        ],
    );
    assert_eq!(posted.status, 303, "{}", posted.body);
    let location = posted.header("location").expect("a redirect").to_owned();
    assert!(location.starts_with(&format!("{back}#c-")), "{location}");
    let id = comments(&node, &r.draft)[0]["id"]
        .as_str()
        .expect("id")
        .to_owned();

    let stance = post_form(
        &node,
        &format!("/api/drafts/{}/stances", r.draft),
        &[("para", &para), ("value", "accept"), ("return", &back)],
    );
    assert_eq!(stance.status, 303, "{}", stance.body);
    assert_eq!(
        stance.header("location"),
        Some(format!("{back}#p-{para}").as_str())
    );

    let disposed = post_form(
        &node,
        &format!("/api/comments/{id}/dispose"),
        &[
            ("value", "declined"),
            ("note", "The count is right: twelve."),
            ("return", &back),
        ],
    );
    assert_eq!(disposed.status, 303, "{}", disposed.body);
    let page = request(
        node.http,
        "GET",
        &back,
        &[(
            "Cookie",
            &format!("margin_token{}={}", node.http.port(), node.token),
        )],
        "",
    );
    assert!(page.body.contains("Recount, please."));
    assert!(page.body.contains("The count is right: twelve."));
    assert!(page.body.contains("your stance: Can live with it"));
    assert!(
        page.body.contains("id=\"respond\""),
        "the response form for a logged-in reader"
    );
    assert!(page.body.contains("Editor tools"), "the editor's tools");

    let edited = post_form(
        &node,
        &format!("/api/comments/{id}/edit"),
        &[("body", "Recount, please: I see fourteen.")],
    );
    assert_eq!(edited.status, 303, "{}", edited.body);
    let tagged = post_form(
        &node,
        &format!("/api/drafts/{}/tags", r.draft),
        &[("name", "for comment")],
    );
    assert_eq!(tagged.status, 303);
    let v2 = std::fs::read_to_string(fixture("bpf-draft-v2.md")).expect("v2");
    let revised = post_form(
        &node,
        &format!("/api/drafts/{}/revisions", r.draft),
        &[
            ("markdown", &v2.replace('\n', "\r\n")),
            ("message", "v2 after the first round"),
        ],
    );
    assert_eq!(revised.status, 303, "{}", revised.body);
    assert_eq!(
        r.editor.ok(&["draft", "show", &r.draft, "--markdown"]),
        v2,
        "the revision from a browser form is the file, byte for byte"
    );
    let retracted = post_form(&node, &format!("/api/comments/{id}/retract"), &[]);
    assert_eq!(retracted.status, 303);
    assert_eq!(comments(&node, &r.draft)[0]["retracted"], true);
}

#[test]
fn bad_requests_are_refused_with_a_reason() {
    let r = review();
    let node = start(&r.editor, false, None);
    let para = para(&r.editor, &r.draft, "Coordinated vulnerability");
    let comments_path = format!("/api/drafts/{}/comments", r.draft);
    let cases: Vec<(String, Value, u16, &str)> = vec![
        (
            comments_path.clone(),
            json!({ "para": para, "body": "x", "kind": "rant" }),
            400,
            "not a kind",
        ),
        (
            comments_path.clone(),
            json!({ "para": para }),
            400,
            "missing",
        ),
        (
            comments_path.clone(),
            json!({ "para": para, "body": "x", "quote": "not in the text" }),
            422,
            "does not occur",
        ),
        (
            comments_path.clone(),
            json!({ "para": "p000", "body": "x" }),
            404,
            "p000",
        ),
        (
            comments_path.clone(),
            json!({ "para": para, "body": "x", "v": "v9" }),
            404,
            "v9",
        ),
        (
            comments_path.clone(),
            json!({ "body": "x", "kind": "suggestion" }),
            400,
            "proposed wording",
        ),
        (
            comments_path.clone(),
            json!({ "para": para, "body": "x", "start": "twelve" }),
            400,
            "not a number",
        ),
        (
            "/api/drafts/ffffffffffff/comments".into(),
            json!({ "body": "x" }),
            404,
            "ffffffffffff",
        ),
        (
            format!("/api/drafts/{}/stances", r.draft),
            json!({ "para": para, "value": "object" }),
            400,
            "reason",
        ),
        (
            format!("/api/drafts/{}/stances", r.draft),
            json!({ "para": para, "value": "maybe" }),
            400,
            "not a stance",
        ),
        (
            format!("/api/drafts/{}/tags", r.draft),
            json!({ "name": "current" }),
            400,
            "current",
        ),
    ];
    for (path, body, status, says) in cases {
        let reply = post_json(&node, &path, body.clone());
        assert_eq!(reply.status, status, "{body}: {}", reply.body);
        let error = reply.json()["error"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(
            error.contains(says),
            "{body}: '{error}' should mention '{says}'"
        );
    }
    let auth = format!("Bearer {}", node.token);
    let malformed = request(
        node.http,
        "POST",
        &comments_path,
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        "{\"body\":",
    );
    assert_eq!(malformed.status, 400);
    let text = request(
        node.http,
        "POST",
        &comments_path,
        &[("Authorization", &auth), ("Content-Type", "text/plain")],
        "hello",
    );
    assert_eq!(text.status, 415);
    assert!(
        comments(&node, &r.draft).is_empty(),
        "nothing written by a bad request"
    );
}

#[test]
fn a_passage_that_occurs_twice_is_anchored_where_it_was_selected() {
    let r = review();
    let node = start(&r.editor, false, None);
    let para = para(&r.editor, &r.draft, "[Governments should establish");
    let text = comments_text(&r.editor, &r.draft, &para);
    let quote = "legal safe harbours for good-faith security researchers";
    let second = text.rfind(quote).expect("twice");
    assert_ne!(text.find(quote), Some(second), "the fixture has it twice");
    let start = text[..second].chars().count();
    let path = format!("/api/drafts/{}/comments", r.draft);
    for (near, expected) in [
        (None, text.find(quote).map(|b| text[..b].chars().count())),
        (Some(start), Some(start)),
    ] {
        let mut body = json!({ "para": para, "quote": quote, "body": "Which one?" });
        if let Some(n) = near {
            body["start"] = json!(n);
        }
        let posted = post_json(&node, &path, body);
        assert_eq!(posted.status, 201, "{}", posted.body);
        let id = posted.json()["comment"].as_str().expect("id").to_owned();
        let c = comments(&node, &r.draft)
            .into_iter()
            .find(|c| c["id"] == id.as_str())
            .expect("stored");
        assert_eq!(
            c["anchor"]["start"].as_u64().map(|s| s as usize),
            expected,
            "{c}"
        );
        assert_eq!(c["anchor"]["text"], quote);
    }
}

/// A paragraph's text, as the CLI shows it.
fn comments_text(p: &Participant, draft: &str, pid: &str) -> String {
    p.json(&["draft", "show", draft])["sections"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["paragraphs"].as_array().cloned().unwrap_or_default())
        .find(|x| x["id"] == pid)
        .and_then(|x| x["text"].as_str().map(str::to_owned))
        .expect("the paragraph")
}

#[test]
fn word_and_opendocument_files_are_imported_from_the_web_as_from_the_cli() {
    let r = review();
    let node = start(&r.editor, false, None);
    let cookie = format!("margin_token{}={}", node.http.port(), node.token);
    let space_page = request(
        node.http,
        "GET",
        &format!("/spaces/{}", r.space),
        &[("Cookie", &cookie)],
        "",
    )
    .body;
    assert!(
        space_page.contains("enctype=\"multipart/form-data\"") && space_page.contains(".docx"),
        "the import form sends files"
    );
    let mut drafts = vec![];
    for name in ["bpf-draft.docx", "bpf-draft.odt", "bpf-draft.fodt"] {
        let bytes = std::fs::read(fixture(name)).expect("fixture");
        let reply = post_multipart(
            &node,
            &format!("/api/spaces/{}/drafts", r.space),
            &[("message", "v1")],
            (name, &bytes),
        );
        assert_eq!(reply.status, 303, "{name}: {}", reply.body);
        let location = reply.header("location").expect("where the draft is");
        let draft = location.trim_start_matches("/drafts/").to_owned();
        let markdown = r.editor.ok(&["draft", "show", &draft, "--markdown"]);
        assert!(
            markdown.contains("Twelve contributions described a policy in force; the others"),
            "{name}: {markdown}"
        );
        assert!(
            markdown.contains("1. Capacity building"),
            "{name}: {markdown}"
        );
        drafts.push((draft, markdown));
    }
    // The CLI reads the same files to the same drafts.
    let cli = r.editor.json(&[
        "draft",
        "import",
        &r.space,
        fixture("bpf-draft.odt").to_str().expect("path"),
    ])["draft"]
        .as_str()
        .expect("draft")
        .to_owned();
    let from_cli = r.editor.ok(&["draft", "show", &cli, "--markdown"]);
    assert!(
        drafts.iter().all(|(_, m)| *m == from_cli),
        "the same text every way"
    );

    // A revision as a document, through the editor tools' form.
    let (draft, _) = &drafts[0];
    let revised = std::fs::read_to_string(fixture("bpf-draft.fodt"))
        .expect("fodt")
        .replace("Twelve contributions", "Fourteen contributions");
    let reply = post_multipart(
        &node,
        &format!("/api/drafts/{draft}/revisions"),
        &[("message", "v2 from Writer")],
        ("bpf-draft-v2.fodt", revised.as_bytes()),
    );
    assert_eq!(reply.status, 303, "{}", reply.body);
    assert!(
        r.editor
            .ok(&["draft", "show", draft, "--markdown"])
            .contains("Fourteen contributions described")
    );

    // Nothing to import, or XML that is not a document: refused with the reason.
    for (name, bytes, reason) in [
        ("empty.md", &b""[..], "no paragraph or heading"),
        ("blank.odt.md", b"\n\n  \n", "no paragraph or heading"),
        (
            "drawing.md",
            b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"/>",
            "the file is XML, not Markdown",
        ),
    ] {
        let reply = post_multipart(
            &node,
            &format!("/api/spaces/{}/drafts", r.space),
            &[("message", "v1")],
            (name, bytes),
        );
        assert_eq!(reply.status, 400, "{name}: {}", reply.body);
        assert!(reply.body.contains(reason), "{name}: {}", reply.body);
    }
}

#[test]
fn a_new_node_creates_its_identity_and_an_editor_imports_revises_and_reattaches() {
    // A node without a participant: the pages say how to create one.
    let fresh = Participant::new("Newcomer");
    let node = start(&fresh, false, None);
    let cookie = format!("margin_token{}={}", node.http.port(), node.token);
    let home = request(node.http, "GET", "/", &[("Cookie", &cookie)], "");
    assert!(home.body.contains("href=\"/identity\""), "{}", home.body);
    let created = post_form(
        &node,
        "/api/identity",
        &[
            ("name", "Lucía Fernández"),
            ("stakeholder", "government"),
            ("region", "Latin America"),
        ],
    );
    assert_eq!(created.status, 303, "{}", created.body);
    assert!(fresh.ok(&["whoami"]).contains("Lucía Fernández"));
    let again = post_json(&node, "/api/identity", json!({ "name": "Someone else" }));
    assert_eq!(again.status, 409, "one identity per home");
    drop(node);

    // The editor imports a draft through the space page's form, revises it, and
    // re-attaches a comment that the revision orphaned.
    let r = review();
    let node = start(&r.editor, false, None);
    let v1 = std::fs::read_to_string(fixture("bpf-draft-v1.md")).expect("v1");
    let imported = post_json(
        &node,
        &format!("/api/spaces/{}/drafts", r.space),
        json!({ "markdown": v1, "title": "Second draft", "message": "v1" }),
    );
    assert_eq!(imported.status, 201, "{}", imported.body);
    let draft = imported.json()["draft"].as_str().expect("draft").to_owned();
    assert_eq!(r.editor.ok(&["draft", "show", &draft, "--markdown"]), v1);

    let workshops =
        "Short workshops without follow-up were reported to have little lasting effect.";
    let para = para(&r.editor, &draft, "Short workshops");
    let posted = post_json(
        &node,
        &format!("/api/drafts/{draft}/comments"),
        json!({ "para": para, "quote": "little lasting effect", "body": "Evidence?" }),
    );
    let id = posted.json()["comment"].as_str().expect("id").to_owned();
    let v2 = std::fs::read_to_string(fixture("bpf-draft-v2.md")).expect("v2");
    assert!(!v2.contains(workshops), "v2 removes the sentence");
    let revised = post_json(
        &node,
        &format!("/api/drafts/{draft}/revisions"),
        json!({ "markdown": v2, "message": "v2" }),
    );
    assert_eq!(revised.status, 201, "{}", revised.body);
    let page = get(node.http, &format!("/drafts/{draft}"));
    assert!(
        page.body.contains("id=\"orphans\""),
        "the comment is orphaned"
    );
    let reattached = post_json(
        &node,
        &format!("/api/comments/{id}/reattach"),
        json!({ "para": "¶13", "quote": "Capacity-building programmes" }),
    );
    assert_eq!(reattached.status, 201, "{}", reattached.body);
    let c = comments(&node, &draft)
        .into_iter()
        .find(|c| c["id"] == id.as_str())
        .expect("comment");
    assert_eq!(c["anchor"]["state"], "anchored", "{c}");
    assert_eq!(c["anchor"]["text"], "Capacity-building programmes");
    assert_eq!(c["reattached"], true);
    let unchanged = post_json(
        &node,
        &format!("/api/drafts/{draft}/revisions"),
        json!({ "markdown": v2, "message": "again" }),
    );
    assert_eq!(
        unchanged.json()["revision"],
        Value::Null,
        "nothing changed, nothing recorded"
    );
}

// ---- in a browser ------------------------------------------------------------------------

#[test]
fn an_objection_travels_between_two_nodes_in_a_browser() {
    let Some((chromium, dir)) =
        browser_or_skip("an_objection_travels_between_two_nodes_in_a_browser")
    else {
        return;
    };
    // Node 2 belongs to the editor; node 1 to a reviewer who received the space.
    let r = review();
    let reviewer = Participant::init("Amina Diallo", "civil-society");
    reviewer.import(&r.editor.bundle(&r.space));
    let node1 = start(&reviewer, false, None);
    let node2 = start(&r.editor, false, Some(&node1.address));
    eventually("the nodes see each other", || {
        get(node1.http, "/api/peers")
            .json()
            .as_array()
            .is_some_and(|p| !p.is_empty())
    });
    let artifacts = browser_artifacts();
    run_browser_script(
        &chromium,
        &dir,
        "two_nodes.mjs",
        &[
            ("MARGIN_NODE1", format!("http://{}", node1.http)),
            ("MARGIN_TOKEN1", node1.token.clone()),
            ("MARGIN_NODE2", format!("http://{}", node2.http)),
            ("MARGIN_TOKEN2", node2.token.clone()),
            ("MARGIN_DRAFT", r.draft.clone()),
            ("MARGIN_QUOTE", TWELVE.to_owned()),
            ("MARGIN_ARTIFACTS", artifacts.display().to_string()),
        ],
    );
    assert!(artifacts.join("draft-with-comments.png").exists());
    // The objection and its disposition are in both stores.
    for p in [&reviewer, &r.editor] {
        let listed = p.ok(&["comments", &r.draft]);
        assert!(listed.contains("please recount"), "{}: {listed}", p.name);
        assert!(listed.contains("partly"), "{}: {listed}", p.name);
    }
}

#[test]
fn moderation_muting_and_erasure_work_from_the_nodes_pages() {
    let r = review();
    let troll = Participant::init("Troll", "private-sector");
    troll.import(&r.editor.bundle(&r.space));
    let tpara = para(&troll, &r.draft, "Coordinated vulnerability");
    let abusive = troll.json(&[
        "comment",
        &r.draft,
        "--para",
        &tpara,
        "--body",
        "Abusive words here.",
    ])["comment"]
        .as_str()
        .expect("comment")
        .to_owned();
    r.editor.import(&troll.bundle(&r.space));
    let troll_key = troll.key();

    let node = start(&r.editor, false, None);
    let back = format!("/drafts/{}", r.draft);
    let page = |node: &Daemon| {
        request(
            node.http,
            "GET",
            &format!("/comments/{abusive}"),
            &[(
                "Cookie",
                &format!("margin_token{}={}", node.http.port(), node.token),
            )],
            "",
        )
        .body
    };
    // The convener's thread page offers hiding and muting.
    let thread = page(&node);
    assert!(thread.contains("/moderation\""), "{thread}");
    assert!(thread.contains("/mute\""), "{thread}");

    // Hide for everyone, with a reason shown where the comment was.
    let hidden = post_form(
        &node,
        &format!("/api/comments/{abusive}/moderation"),
        &[
            ("action", "hide"),
            ("reason", "Personal attack (code of conduct, 3.2)"),
            ("return", &back),
        ],
    );
    assert_eq!(hidden.status, 303, "{}", hidden.body);
    let draft_page = get(node.http, &back).body;
    assert!(draft_page.contains("Personal attack (code of conduct, 3.2)"));
    assert!(!draft_page.contains("Abusive words here."));
    let listed = comments(&node, &r.draft);
    assert_eq!(
        listed[0]["hidden"], "Personal attack (code of conduct, 3.2)",
        "{listed:?}"
    );
    let shown = post_form(
        &node,
        &format!("/api/comments/{abusive}/moderation"),
        &[("action", "show"), ("reason", "Apology received")],
    );
    assert_eq!(shown.status, 303, "{}", shown.body);
    assert!(page(&node).contains("Abusive words here."));

    // Mute on this node only: the words go from this node's pages.
    let muted = post_form(
        &node,
        &format!("/api/participants/{troll_key}/mute"),
        &[("reason", "not for me"), ("return", &back)],
    );
    assert_eq!(muted.status, 303, "{}", muted.body);
    assert!(!page(&node).contains("Abusive words here."));
    assert!(
        r.editor
            .ok(&["comments", &r.draft])
            .contains("muted on this node")
    );
    assert!(
        troll
            .ok(&["comments", &r.draft])
            .contains("Abusive words here.")
    );
    let unmuted = post_form(
        &node,
        &format!("/api/participants/{troll_key}/mute"),
        &[("action", "unmute")],
    );
    assert_eq!(unmuted.status, 303, "{}", unmuted.body);
    assert!(page(&node).contains("Abusive words here."));
    // Blocking the key refuses its later entries; its earlier comments stay listed, as
    // the record, without their words.
    r.editor
        .ok(&["block", "key", &troll_key, "--reason", "abuse"]);
    assert!(!page(&node).contains("Abusive words here."));
    assert!(
        r.editor
            .ok(&["comments", &r.draft])
            .contains("muted on this node")
    );
    r.editor.ok(&["unblock", "key", &troll_key]);
    assert!(page(&node).contains("Abusive words here."));
    let bad = post_form(
        &node,
        &format!("/api/participants/{troll_key}/mute"),
        &[("action", "silence")],
    );
    assert_eq!(bad.status, 400, "{}", bad.body);

    // The author's own comment: retract and erase it from the retract form.
    let para = para(&r.editor, &r.draft, "Coordinated vulnerability");
    let posted = post_form(
        &node,
        &format!("/api/drafts/{}/comments", r.draft),
        &[
            ("para", &para),
            ("body", "Call me on 555-0142."),
            ("return", &back),
        ],
    );
    assert_eq!(posted.status, 303, "{}", posted.body);
    let mine = comments(&node, &r.draft)
        .into_iter()
        .find(|c| c["body"] == "Call me on 555-0142.")
        .expect("the posted comment");
    let mine = mine["id"].as_str().expect("id").to_owned();
    let form = request(
        node.http,
        "GET",
        &format!("/comments/{mine}"),
        &[(
            "Cookie",
            &format!("margin_token{}={}", node.http.port(), node.token),
        )],
        "",
    )
    .body;
    assert!(form.contains("name=\"erase\""), "{form}");
    let erased = post_form(
        &node,
        &format!("/api/comments/{mine}/retract"),
        &[("erase", "1"), ("return", &back)],
    );
    assert_eq!(erased.status, 303, "{}", erased.body);
    assert!(!get(node.http, &back).body.contains("555-0142"));
    assert!(
        comments(&node, &r.draft)
            .iter()
            .all(|c| c["id"] != mine.as_str())
    );
}
