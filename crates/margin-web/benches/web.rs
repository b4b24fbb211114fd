//! Web UI benchmark: how long a draft page takes to come from a local node, and how
//! much it weighs, for a draft of 200 paragraphs without comments (the baseline) and
//! with 2 000 comments (the target: within one second, under 300 KB).
//!
//! `cargo bench -p margin-web --bench web` prints, for each draft, the time to rebuild
//! the space from the store, to compute the page, to render it, and to serve it over
//! HTTP from a running node (`margin node` on loopback; cold: the first request after it
//! started, which rebuilds the space from the store; warm: median of the next ones).
//! Results are recorded in `docs/performance.md`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use margin_core::Timestamp;
use margin_core::body::Profile;
use margin_daemon::{self as daemon, DaemonConfig, Routers, info};
use margin_node::{Home, Node};
use margin_web::model::{DraftQuery, draft_model};
use margin_web::test::large_space;
use margin_web::view::{self, SyncLine};
use margin_web::{Me, Viewer};

const RUNS: usize = 5;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// `GET path` over a fresh connection; returns the status line and the body's length.
fn get(addr: SocketAddr, path: &str) -> (String, usize) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut response = vec![];
    stream.read_to_end(&mut response).expect("read");
    let text = String::from_utf8_lossy(&response);
    let status = text.lines().next().unwrap_or_default().to_owned();
    let body = text.split_once("\r\n\r\n").map_or(0, |(_, b)| b.len());
    (status, body)
}

/// The time to `GET path`, which must succeed.
fn timed_get(addr: SocketAddr, path: &str) -> Duration {
    let t = Instant::now();
    let (status, _) = get(addr, path);
    let took = t.elapsed();
    assert!(status.contains("200"), "{path}: {status}");
    took
}

fn get_body(addr: SocketAddr, path: &str) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).expect("connect");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut response = vec![];
    stream.read_to_end(&mut response).expect("read");
    let at = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(0, |i| i + 4);
    response.split_off(at)
}

/// The id of the draft's tenth paragraph.
fn large_para(home: &Home, draft: &str) -> String {
    let node = Node::open(home.clone()).expect("node");
    let (id, space) = node.locate_draft(draft).expect("draft");
    let view = node
        .with_space(&space, |s| {
            s.draft(&id)
                .expect("draft")
                .doc
                .view(None)
                .map_err(margin_node::NodeError::from)
        })
        .expect("view");
    view.sections
        .into_iter()
        .flat_map(|s| s.paragraphs)
        .nth(9)
        .map(|p| p.id.into_string())
        .expect("ten paragraphs")
}

fn main() {
    println!("Web UI: a draft page served by a local node ({RUNS} runs each, median)\n");
    println!(
        "{:<24} {:>9} {:>9} {:>9} {:>9} {:>10} {:>10} {:>8}",
        "draft", "replay", "cached", "model", "render", "HTTP cold", "HTTP warm", "bytes"
    );
    for (paragraphs, comments) in [(200, 0), (200, 2000)] {
        let dir = tempfile::tempdir().expect("temporary home");
        let home = Home::at(dir.path());
        let identity = home
            .init(
                Profile {
                    name: "Editor".into(),
                    affiliation: String::new(),
                    stakeholder: "technical-community".into(),
                    region: "Europe".into(),
                },
                Timestamp::now(),
            )
            .expect("identity");
        let mut node = Node::open(home.clone()).expect("node");
        let started = Instant::now();
        let large = large_space(&mut node, paragraphs, comments).expect("large space");
        let generated = started.elapsed();
        let viewer = Viewer {
            public: false,
            logged_in: true,
            me: Some(Me {
                key: identity.key.public(),
                name: "Editor".into(),
            }),
            muted: Default::default(),
            take_part: false,
        };
        // A node opened afresh rebuilds the space from the store once, then keeps it.
        drop(node);
        let node = Node::open(home.clone()).expect("node");
        let t = Instant::now();
        let (_, space) = node.locate_draft(&large.draft.to_hex()).expect("draft");
        node.with_space(&space, |_| Ok::<_, margin_node::NodeError>(()))
            .expect("space");
        let replay = t.elapsed();
        let (mut cached, mut model, mut render) = (vec![], vec![], vec![]);
        let mut bytes = 0;
        for _ in 0..RUNS {
            // Finding the draft and reaching its space where it is kept, then the model
            // computed from the space in place, then the page rendered from the model.
            let t = Instant::now();
            let (draft, space) = node.locate_draft(&large.draft.to_hex()).expect("draft");
            let m = node
                .with_space(&space, |s| {
                    cached.push(t.elapsed());
                    let t = Instant::now();
                    let m = draft_model(s, &draft, &DraftQuery::default(), &viewer);
                    model.push(t.elapsed());
                    m
                })
                .expect("model");
            let t = Instant::now();
            bytes = view::draft(&m, &viewer, &SyncLine::default())
                .into_string()
                .len();
            render.push(t.elapsed());
        }
        drop(node);
        // The same page from a running node (`margin node`), first request and after.
        let config = DaemonConfig {
            listen: vec!["/ip4/127.0.0.1/tcp/0".parse().expect("address")],
            bootstrap: vec![],
            mdns: false,
            http: SocketAddr::from(([127, 0, 0, 1], 0)),
            public: None,
            relay_server: false,
            relays: vec![],
            external: vec![],
            mirror_all: false,
        };
        let daemon_home = home.clone();
        std::thread::spawn(move || {
            daemon::run(daemon_home, config, |handle| Routers {
                local: margin_web::local_router(&handle),
                public: margin_web::public_router(&handle),
            })
        });
        let started = Instant::now();
        let addr: SocketAddr = loop {
            if let Some(info) = info::read(&home)
                && let Ok(addr) = info.http.parse()
            {
                break addr;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the node did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        let path = format!("/drafts/{}", large.draft.to_hex());
        let mut http = vec![];
        for _ in 0..=RUNS {
            http.push(timed_get(addr, &path));
        }
        let cold = http.remove(0);
        println!(
            "{:<24} {:>9} {:>9} {:>9} {:>9} {:>10} {:>10} {:>8}",
            format!("{paragraphs} ¶, {comments} comments"),
            ms(replay),
            ms(median(cached)),
            ms(median(model)),
            ms(median(render)),
            ms(cold),
            ms(median(http)),
            bytes
        );
        let comment = if comments > 0 {
            let list: serde_json::Value = serde_json::from_slice(&get_body(
                addr,
                &format!("/api/drafts/{}/comments", large.draft.to_hex()),
            ))
            .expect("JSON");
            list[0]["id"].as_str().map(|id| id[..12].to_owned())
        } else {
            None
        };
        let para = large_para(&home, &large.draft.to_hex());
        let mut others = vec![
            ("  open objections filter", format!("{path}?open=1")),
            ("  one paragraph's page", format!("{path}/p/{para}")),
        ];
        if let Some(c) = comment {
            others.push(("  one comment's page", format!("/comments/{c}")));
        }
        for (what, path) in others {
            let times: Vec<Duration> = (0..RUNS).map(|_| timed_get(addr, &path)).collect();
            println!("{what:<24} {:>61}", ms(median(times)));
        }
        println!("  (generating the space took {})", ms(generated));
    }
}
