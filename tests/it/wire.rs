//! Slow links, on the wire: a real node's pages travel compressed, brotli or gzip as the
//! browser accepts, within their budgets (the sample draft page in 10 KB, the busiest
//! page, 200 paragraphs and 2 000 comments, in 60 KB), and a page the browser already
//! holds is answered `304 Not Modified` instead of being sent again. Sizes, never times.

use crate::common;

use std::io::Read;

use common::http::Answer;
use common::running::RunningNode;
use common::*;
use margin_node::{Home, Node};

fn fetch(node: &RunningNode, path: &str, headers: &[(&str, &str)]) -> Answer {
    common::http::get_from(node, path, headers)
}

/// The page as brotli, gzip and uncompressed; checks that both compressed forms are the
/// page, that a browser holding it is answered 304, and returns the sizes.
fn on_the_wire(node: &RunningNode, path: &str) -> (usize, usize, usize) {
    let plain = fetch(node, path, &[]);
    assert_eq!(plain.status, 200, "{path}");
    assert_eq!(plain.header("content-encoding"), None);
    let br = fetch(node, path, &[("Accept-Encoding", "gzip, deflate, br")]);
    assert_eq!(br.header("content-encoding"), Some("br"), "{path}");
    let mut unbrotli = vec![];
    brotli::Decompressor::new(br.bytes.as_slice(), 4096)
        .read_to_end(&mut unbrotli)
        .expect("brotli");
    assert_eq!(unbrotli, plain.bytes, "{path}: brotli carries the page");
    let gzip = fetch(node, path, &[("Accept-Encoding", "gzip")]);
    assert_eq!(gzip.header("content-encoding"), Some("gzip"), "{path}");
    let mut gunzipped = vec![];
    flate2::read::GzDecoder::new(gzip.bytes.as_slice())
        .read_to_end(&mut gunzipped)
        .expect("gzip");
    assert_eq!(gunzipped, plain.bytes, "{path}: gzip carries the page");

    let tag = br.header("etag").expect("a validator").to_owned();
    assert_eq!(
        plain.header("etag"),
        Some(tag.as_str()),
        "one validator, however sent"
    );
    assert_eq!(br.header("cache-control"), Some("no-cache"));
    let again = fetch(
        node,
        path,
        &[
            ("Accept-Encoding", "gzip, deflate, br"),
            ("If-None-Match", &tag),
        ],
    );
    assert_eq!(again.status, 304, "{path}: not sent again");
    assert!(again.bytes.is_empty());
    (plain.bytes.len(), br.bytes.len(), gzip.bytes.len())
}

#[test]
fn the_sample_draft_page_travels_in_under_10_kb() {
    let home = Participant::init("Ana Reader", "civil-society");
    let demo = home.json(&["demo"]);
    let draft = demo["draft"].as_str().expect("draft").to_owned();
    let node = RunningNode::start(home, &[]);
    let (plain, br, gzip) = on_the_wire(&node, &format!("/drafts/{draft}"));
    println!("the sample draft page: {plain} bytes, {br} with brotli, {gzip} with gzip");
    assert!(br <= 10 * 1024, "{br} bytes with brotli");
    assert!(gzip <= 12 * 1024, "{gzip} bytes with gzip");
    // JSON travels compressed too.
    let (plain, br, _) = on_the_wire(&node, &format!("/api/drafts/{draft}/comments"));
    assert!(br < plain, "{br} of {plain} bytes");
}

#[test]
fn the_busiest_draft_page_travels_in_under_60_kb() {
    let editor = Participant::init("Editor", "technical-community");
    let large = {
        let mut node = Node::open(Home::at(editor.home())).expect("the editor's node");
        margin_web::test::large_space(&mut node, 200, 2000).expect("a large space")
    };
    let node = RunningNode::start(editor, &[]);
    let (plain, br, gzip) = on_the_wire(&node, &format!("/drafts/{}", large.draft.to_hex()));
    println!("200 paragraphs, 2 000 comments: {plain} bytes, {br} with brotli, {gzip} with gzip");
    assert!(plain > 150 * 1024, "the page itself: {plain} bytes");
    assert!(br <= 60 * 1024, "{br} bytes with brotli");
}
