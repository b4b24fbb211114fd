//! Following a review from elsewhere: every site (a node's own address and a mirror's
//! public one) serves an Atom feed per space and per draft that a maintained feed parser
//! reads, with absolute links, stable ids, and nothing retracted; a mirror's public site
//! withholds the words of retracted comments; and a space's page shows its balance, the
//! groups and regions without a voice.

use crate::common;

use common::running::RunningNode;
use common::*;

fn get(node: &RunningNode, field: &str, path: &str) -> (u16, String, String) {
    let addr = node
        .info()
        .and_then(|i| i[field].as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("no {field} address"));
    let answer = common::http::send(&addr, "GET", path, &[], vec![]);
    let kind = answer.header("content-type").unwrap_or_default().to_owned();
    (answer.status, kind, answer.text())
}

fn parse(xml: &str) -> feed_rs::model::Feed {
    feed_rs::parser::parse(xml.as_bytes()).unwrap_or_else(|e| panic!("not a feed ({e}):\n{xml}"))
}

#[test]
fn spaces_and_drafts_have_atom_feeds_on_every_site() {
    let home = Participant::init("Ana Reader", "civil-society");
    let demo = home.json(&["demo"]);
    let space = demo["space"].as_str().expect("space").to_owned();
    let draft = demo["draft"].as_str().expect("draft").to_owned();
    let para = para(&home, &draft, "The Forum met");
    let retracted = home.json(&[
        "comment",
        &draft,
        "--para",
        &para,
        "--body",
        "A remark its author takes back.",
    ])["comment"]
        .as_str()
        .expect("comment")
        .to_owned();
    home.ok(&["comment", "retract", &retracted]);
    let title = home.json(&["space", "show", &space])["title"]
        .as_str()
        .expect("title")
        .to_owned();
    let node = RunningNode::start(home, &["--public", "127.0.0.1:0"]);

    for site in ["http", "public"] {
        let origin = format!(
            "http://{}",
            node.info().expect("node.json")[site]
                .as_str()
                .expect("address")
        );
        let (status, kind, xml) = get(&node, site, &format!("/spaces/{space}/feed.atom"));
        assert_eq!(status, 200, "{site}: {xml}");
        assert!(kind.starts_with("application/atom+xml"), "{kind}");
        let feed = parse(&xml);
        assert_eq!(feed.feed_type, feed_rs::model::FeedType::Atom);
        assert_eq!(feed.id, format!("urn:margin:space:{space}"));
        assert_eq!(feed.title.expect("a title").content, title);
        assert!(feed.updated.is_some());
        assert!(
            feed.links.iter().any(|l| l.rel.as_deref() == Some("self")
                && l.href == format!("{origin}/spaces/{space}/feed.atom")),
            "{site}: the feed names itself: {:?}",
            feed.links
        );
        let titles: Vec<String> = feed
            .entries
            .iter()
            .map(|e| e.title.clone().expect("a title").content)
            .collect();
        assert!(titles.iter().any(|t| t.contains("published")), "{titles:?}");
        assert!(titles.iter().any(|t| t.contains("revised")), "{titles:?}");
        assert!(
            titles.iter().any(|t| t.contains("commented on")),
            "{titles:?}"
        );
        assert!(
            titles.iter().any(|t| t.contains("replied on")),
            "{titles:?}"
        );
        assert!(
            titles.iter().any(|t| t.contains("marked a comment")),
            "{titles:?}"
        );
        assert!(
            !titles.iter().any(|t| t.contains("did:key:")),
            "people are named, not keyed: {titles:?}"
        );
        for entry in &feed.entries {
            assert!(entry.id.starts_with("urn:margin:"), "{}", entry.id);
            assert!(!entry.authors.is_empty(), "{:?}", entry.title);
            assert!(
                entry.links.iter().all(|l| l.href.starts_with(&origin)),
                "absolute links on this site: {:?}",
                entry.links
            );
        }
        let newest_first: Vec<_> = feed.entries.iter().filter_map(|e| e.updated).collect();
        assert!(
            newest_first.windows(2).all(|w| w[0] >= w[1]),
            "newest first"
        );
        assert!(
            !xml.contains("A remark its author takes back."),
            "{site}: a retracted comment is left out"
        );
        assert!(!feed.entries.iter().any(|e| e.id.ends_with(&retracted)));

        let (status, _, xml) = get(&node, site, &format!("/drafts/{draft}/feed.atom"));
        assert_eq!(status, 200, "{site}: {xml}");
        let feed = parse(&xml);
        assert_eq!(feed.id, format!("urn:margin:draft:{draft}"));
        assert!(feed.entries.len() >= 5, "{}", feed.entries.len());
        let (status, _, _) = get(&node, site, "/drafts/0000/feed.atom");
        assert_eq!(status, 404, "{site}");
    }

    // A retracted comment's words stay on the participant's own node (struck through, as
    // the record) but not on the mirror's public site, in pages or JSON.
    let remark = "A remark its author takes back.";
    let (_, _, local) = get(&node, "http", &format!("/drafts/{draft}"));
    assert!(local.contains(remark), "the local page keeps the record");
    for path in [
        format!("/drafts/{draft}"),
        format!("/comments/{retracted}"),
        format!("/api/drafts/{draft}/comments"),
        format!("/api/comments/{retracted}"),
    ] {
        let (status, _, body) = get(&node, "public", &path);
        assert_eq!(status, 200, "{path}");
        assert!(!body.contains(remark), "{path} on the public site: {body}");
    }

    let (status, _, page) = get(&node, "http", &format!("/spaces/{space}"));
    assert_eq!(status, 200);
    assert!(
        page.contains("id=\"balance\""),
        "the space page shows its balance"
    );
    assert!(page.contains("Share of people / comments / stances"));
    assert!(page.contains("No voice from: "), "silent groups named");
}
