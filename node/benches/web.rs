//! Web UI benchmark: how long a draft page takes to come from a local node, and how
//! much it weighs, for a draft of 200 paragraphs without comments (the baseline) and
//! with 2 000 comments (the target: within one second, under 300 KB).
//!
//! `cargo bench -p margin-node --bench web` prints, for each draft, the time to rebuild
//! the space from the store, to compute the page, to render it, and to serve it over
//! HTTP from a running node (`margin node` on loopback; cold: the first request after it
//! started, which rebuilds the space from the store; warm: median of the next ones).
//! Results are recorded in `docs/performance.md`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use margin_core::body::Profile;
use margin_node::daemon::{self, DaemonConfig, info};
use margin_node::node::now_ms;
use margin_node::web::html::SyncLine;
use margin_node::web::model::{DraftQuery, draft_model};
use margin_node::web::test::large_space;
use margin_node::web::{Me, Viewer, pages};
use margin_node::{Home, Node};

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

fn main() {
    println!("Web UI: a draft page served by a local node ({RUNS} runs each, median)\n");
    println!(
        "{:<28} {:>10} {:>10} {:>10} {:>12} {:>12} {:>10}",
        "draft", "replay", "model", "render", "HTTP cold", "HTTP warm", "bytes"
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
                now_ms(),
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
        };
        let (mut replay, mut model, mut render) = (vec![], vec![], vec![]);
        let mut bytes = 0;
        for _ in 0..RUNS {
            let t = Instant::now();
            let (draft, mut space) = node.find_draft(&large.draft.to_hex()).expect("draft");
            replay.push(t.elapsed());
            let t = Instant::now();
            let m =
                draft_model(&mut space, &draft, &DraftQuery::default(), &viewer).expect("model");
            model.push(t.elapsed());
            let t = Instant::now();
            bytes = pages::draft(&m, &viewer, SyncLine::default()).len();
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
        std::thread::spawn(move || daemon::run(daemon_home, config));
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
            let t = Instant::now();
            let (status, _) = get(addr, &path);
            http.push(t.elapsed());
            assert!(status.contains("200"), "{status}");
        }
        let cold = http.remove(0);
        println!(
            "{:<28} {:>10} {:>10} {:>10} {:>12} {:>12} {:>10}",
            format!("{paragraphs} ¶, {comments} comments"),
            ms(median(replay)),
            ms(median(model)),
            ms(median(render)),
            ms(cold),
            ms(median(http)),
            bytes
        );
        println!("  (generating the space took {})", ms(generated));
    }
}
