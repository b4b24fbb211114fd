//! "What's new since I last looked", through the `margin` command and a running node's
//! web interface: replies to and dispositions of my comments, a new revision with what
//! changed since I last read the draft, comments and objections where I took part, the
//! comment period closing soon; and nothing of it once marked read.

use crate::common;

use std::path::PathBuf;

use common::running::RunningNode;
use common::*;
use serde_json::Value;

/// Everyone's entries reach everyone, by bundles.
fn exchange(space: &str, people: &[&Participant]) {
    let bundles: Vec<PathBuf> = people.iter().map(|p| p.bundle(space)).collect();
    for p in people {
        for b in &bundles {
            p.import(b);
        }
    }
}

fn of_type<'a>(news: &'a Value, kind: &str) -> Vec<&'a Value> {
    news["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|i| i["type"] == kind)
        .collect()
}

fn day_in(days: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

#[test]
fn the_news_shows_what_concerns_me_since_i_last_looked() {
    let maria = Participant::init("Maria Okafor", "technical-community");
    let amina = Participant::init("Amina Diallo", "civil-society");
    let bruno = Participant::init("Bruno Keller", "government");
    let closes = day_in(4);
    let space = field(
        &maria.json(&["space", "create", "BPF Cybersecurity", "--closes", &closes]),
        "space",
    );
    let v1 = fixture("bpf-draft-v1.md");
    let draft = field(
        &maria.json(&["draft", "import", &space, v1.to_str().unwrap()]),
        "draft",
    );
    let first = maria.bundle(&space);
    amina.import(&first);
    bruno.import(&first);
    let twelve = para(&amina, &draft, "Coordinated vulnerability disclosure");
    let harbours = para(&amina, &draft, "[Governments should establish");
    let elsewhere = para(&amina, &draft, "[Participants agreed");

    // Amina reads the draft, comments on one paragraph, supports another, and marks the
    // news read.
    amina.ok(&["draft", "show", &draft]);
    let mine = field(
        &amina.json(&[
            "comment",
            &draft,
            "--para",
            &twelve,
            "--kind",
            "question",
            "--body",
            "Which twelve contributions?",
        ]),
        "comment",
    );
    amina.ok(&["stance", &draft, "--para", &harbours, "support"]);
    let first = amina.json(&["news"]);
    assert_eq!(first["since"]["mark"], 0, "never marked read: {first}");
    amina.json(&["news", "--mark-read"]);
    let empty = amina.json(&["news"]);
    assert!(empty["items"].as_array().unwrap().is_empty(), "{empty}");
    assert_eq!(empty["closing"][0]["space"], space.as_str(), "{empty}");
    exchange(&space, &[&maria, &amina, &bruno]);

    // Meanwhile: Maria replies, disposes of the question and revises the draft; Bruno
    // objects where Amina took part, and comments elsewhere.
    maria.ok(&[
        "comment",
        &draft,
        "--reply",
        &mine,
        "--body",
        "The list is in annex B.",
    ]);
    maria.ok(&["dispose", &mine, "noted", "--note", "Annex B names them."]);
    let v2 = fixture("bpf-draft-v2.md");
    maria.ok(&[
        "draft",
        "update",
        &draft,
        v2.to_str().unwrap(),
        "--message",
        "v2: recount",
    ]);
    bruno.ok(&[
        "comment",
        &draft,
        "--para",
        &twelve,
        "--kind",
        "objection",
        "--body",
        "Twelve is not what the contributions say.",
    ]);
    bruno.ok(&[
        "stance",
        &draft,
        "--para",
        &harbours,
        "object",
        "--reason",
        "Safe harbours belong to national law.",
    ]);
    bruno.ok(&[
        "comment",
        &draft,
        "--para",
        &elsewhere,
        "--body",
        "Not Amina's business.",
    ]);
    exchange(&space, &[&maria, &amina, &bruno]);

    let news = amina.json(&["news"]);
    let replies = of_type(&news, "reply");
    assert_eq!(replies.len(), 1, "{news}");
    assert_eq!(replies[0]["to"], mine.as_str());
    assert_eq!(replies[0]["reply"]["author"]["name"], "Maria Okafor");
    assert_eq!(replies[0]["reply"]["body"], "The list is in annex B.");
    let dispositions = of_type(&news, "disposition");
    assert_eq!(dispositions.len(), 1, "{news}");
    assert_eq!(dispositions[0]["value"], "noted");
    assert_eq!(dispositions[0]["note"], "Annex B names them.");
    let revisions = of_type(&news, "revision");
    assert_eq!(revisions.len(), 1, "{news}");
    assert_eq!(revisions[0]["revisions"], 1);
    assert_eq!(revisions[0]["message"], "v2: recount");
    let since_read = &revisions[0]["since_read"];
    assert!(since_read["changed"].as_u64().unwrap() >= 1, "{news}");
    let from = since_read["from"].as_str().expect("the version read");
    assert!(from.starts_with('@'), "{from}");
    let comments = of_type(&news, "comment");
    assert_eq!(comments.len(), 1, "only where Amina took part: {news}");
    assert_eq!(comments[0]["comment"]["kind"], "objection");
    assert_eq!(comments[0]["comment"]["author"]["name"], "Bruno Keller");
    assert!(comments[0]["n"].is_u64());
    let objections = of_type(&news, "objection");
    assert_eq!(objections.len(), 1, "{news}");
    assert_eq!(objections[0]["para"], harbours.as_str());
    assert_eq!(
        objections[0]["reason"],
        "Safe harbours belong to national law."
    );
    let closing = news["closing"].as_array().expect("closing");
    assert_eq!(closing.len(), 1);
    assert!(closing[0]["days"].as_u64().unwrap() <= 4, "{news}");

    // The version last read is one `margin draft diff` understands.
    let diff = amina.ok(&["draft", "diff", &draft, from, "current"]);
    assert!(!diff.trim().is_empty());

    // The same as text.
    let text = amina.ok(&["news"]);
    for heading in [
        "Replies to your comments",
        "Dispositions of your comments",
        "New revisions",
        "Where you commented or took a stance",
        "Comment periods closing soon",
    ] {
        assert!(text.contains(heading), "{heading}: {text}");
    }
    assert!(
        text.contains("Bruno Keller (government) objects to ¶"),
        "{text}"
    );
    assert!(!text.contains("Not Amina's business"), "{text}");

    // Marked read, nothing is new; by date, it all is again.
    amina.json(&["news", "--mark-read"]);
    let after = amina.json(&["news"]);
    assert!(after["items"].as_array().unwrap().is_empty(), "{after}");
    let by_date = amina.json(&["news", "--since", &day_in(-1)]);
    assert_eq!(of_type(&by_date, "reply").len(), 1, "{by_date}");
    let bad = amina.fails(&["news", "--since", "last tuesday"]);
    assert!(bad.contains("is not a date"), "{bad}");

    // On the web: the page, the JSON, and marking read with the token.
    let node = RunningNode::start(amina, &[]);
    let http = node
        .info()
        .and_then(|i| i["http"].as_str().map(str::to_owned))
        .expect("the node's HTTP address");
    let get = |path: &str| common::http::send(&http, "GET", path, &[], vec![]);
    let page = get(&format!("/news?since={}", day_in(-1))).text();
    assert!(page.contains("Replies to your comments"), "{page}");
    assert!(page.contains("The list is in annex B."), "{page}");
    assert!(page.contains("You have read the current text."), "{page}");
    let json: Value = serde_json::from_slice(&get("/api/news").bytes).expect("JSON");
    assert!(json["items"].as_array().unwrap().is_empty(), "{json}");
    assert!(
        get("/news")
            .text()
            .contains("Nothing new since you last looked.")
    );
    let french = common::http::send(&http, "GET", "/news", &[("Accept-Language", "fr")], vec![]);
    assert!(french.text().contains("Rien de nouveau"));

    // New again after Bruno writes; marking read through the API clears it.
    bruno.ok(&[
        "comment",
        &draft,
        "--reply",
        &mine,
        "--body",
        "Annex B is not public.",
    ]);
    node.p.import(&bruno.bundle(&space));
    let json: Value = serde_json::from_slice(&get("/api/news").bytes).expect("JSON");
    assert_eq!(of_type(&json, "reply").len(), 1, "{json}");
    let token = std::fs::read_to_string(node.p.home().join("api.token")).expect("token");
    let bearer = format!("Bearer {}", token.trim());
    let marked = common::http::send(
        &http,
        "POST",
        "/api/news/read",
        &[
            ("Authorization", &bearer),
            ("Content-Type", "application/json"),
        ],
        b"{}".to_vec(),
    );
    assert_eq!(marked.status, 201, "{}", marked.text());
    let json: Value = serde_json::from_slice(&get("/api/news").bytes).expect("JSON");
    assert!(json["items"].as_array().unwrap().is_empty(), "{json}");
    let refused = common::http::send(&http, "POST", "/api/news/read", &[], b"{}".to_vec());
    assert_eq!(refused.status, 401, "marking read needs the token");
}
