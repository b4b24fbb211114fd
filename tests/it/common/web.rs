//! A node's web side as tests reach it: `margin node` with its HTTP address (and a
//! mirror's public one), requests as a browser or a script sends them, and what a test
//! needs to drive Debian's chromium through playwright-core (`tests/browser`).

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use super::Participant;
use super::running::{RunningNode, eventually};

/// `margin node` running in a participant's home, with what a browser needs to reach it;
/// stopped when dropped.
pub struct Daemon {
    pub node: RunningNode,
    pub http: SocketAddr,
    pub public: Option<SocketAddr>,
    pub token: String,
    /// Where peers reach it, with its peer id.
    pub address: String,
}

impl Daemon {
    /// The first line the node printed: the login link.
    pub fn login(&self) -> String {
        let mut line = None;
        eventually("the node prints its login link", || {
            line = self.node.printed().lines().next().map(str::to_owned);
            line.is_some()
        });
        line.unwrap_or_default()
    }
}

pub fn start(p: &Participant, public: bool, bootstrap: Option<&str>) -> Daemon {
    let mut extra = vec![];
    if public {
        extra.extend(["--public", "127.0.0.1:0"]);
    }
    if let Some(peer) = bootstrap {
        extra.extend(["--bootstrap", peer]);
    }
    let node = RunningNode::start(p.clone(), &extra);
    let info = node.info().expect("node.json");
    let address = |field: &str| -> Option<SocketAddr> { info[field].as_str()?.parse().ok() };
    let daemon = Daemon {
        http: address("http").expect("the HTTP address"),
        public: public.then(|| address("public").expect("the public address")),
        token: std::fs::read_to_string(p.home().join("api.token"))
            .expect("api.token")
            .trim()
            .to_owned(),
        address: format!("{}/p2p/{}", node.addr(), node.peer_id()),
        node,
    };
    if let Some(public) = daemon.public {
        eventually(&format!("{} serves its public address", p.name), || {
            TcpStream::connect(public).is_ok()
        });
    }
    daemon
}

// ---- requests ----------------------------------------------------------------------------

pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// One request, answered whatever its status, redirects not followed. `headers` may
/// override `Host`.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Reply {
    reply(super::http::send(
        &addr.to_string(),
        method,
        path,
        headers,
        body.as_bytes().to_vec(),
    ))
}

pub fn reply(answer: super::http::Answer) -> Reply {
    Reply {
        status: answer.status,
        body: answer.text(),
        headers: answer.headers,
    }
}

pub fn get(addr: SocketAddr, path: &str) -> Reply {
    request(addr, "GET", path, &[], "")
}

/// A JSON write with the token.
pub fn post_json(d: &Daemon, path: &str, body: Value) -> Reply {
    let auth = format!("Bearer {}", d.token);
    request(
        d.http,
        "POST",
        path,
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        &body.to_string(),
    )
}

/// A browser's form post: the cookie and the node's own origin.
pub fn post_form(d: &Daemon, path: &str, fields: &[(&str, &str)]) -> Reply {
    let cookie = format!("margin_token{}={}", d.http.port(), d.token);
    let origin = format!("http://{}", d.http);
    request(
        d.http,
        "POST",
        path,
        &[
            ("Cookie", &cookie),
            ("Origin", &origin),
            ("Sec-Fetch-Site", "same-origin"),
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Accept", "text/html"),
        ],
        &form(fields),
    )
}

/// A browser's form post with a file, as a form with `enctype="multipart/form-data"`
/// sends it: text fields, then the file field `file`.
pub fn post_multipart(
    d: &Daemon,
    path: &str,
    fields: &[(&str, &str)],
    file: (&str, &[u8]),
) -> Reply {
    let boundary = "----margin-test-boundary-7d1f";
    let mut body: Vec<u8> = vec![];
    for (name, value) in fields {
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    let (file_name, bytes) = file;
    body.extend(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend(bytes);
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    let cookie = format!("margin_token{}={}", d.http.port(), d.token);
    let origin = format!("http://{}", d.http);
    let kind = format!("multipart/form-data; boundary={boundary}");
    reply(super::http::send(
        &d.http.to_string(),
        "POST",
        path,
        &[
            ("Cookie", &cookie),
            ("Origin", &origin),
            ("Sec-Fetch-Site", "same-origin"),
            ("Accept", "text/html"),
            ("Content-Type", &kind),
        ],
        body,
    ))
}

/// Fields encoded as a browser encodes a form.
pub fn form(fields: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(fields).expect("text fields encode")
}

/// The comments on `draft`, as the node's JSON API lists them.
pub fn comments(d: &Daemon, draft: &str) -> Vec<Value> {
    get(d.http, &format!("/api/drafts/{draft}/comments"))
        .json()
        .as_array()
        .cloned()
        .unwrap_or_default()
}

// ---- in a browser ------------------------------------------------------------------------

/// Debian's chromium and the folder of the browser scripts, with their packages
/// installed (`npm ci`), or why a browser test cannot run here.
pub fn browser_setup() -> Result<(PathBuf, PathBuf), String> {
    let chromium = PathBuf::from(
        std::env::var("MARGIN_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
    );
    if !chromium.exists() {
        return Err(format!(
            "{} is missing (apt-get install chromium)",
            chromium.display()
        ));
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/browser");
    if Command::new("node").arg("--version").output().is_err() {
        return Err("node is missing (apt-get install nodejs npm)".into());
    }
    if !dir.join("node_modules/playwright-core").exists() {
        return Err(format!(
            "playwright-core is missing (npm ci in {})",
            dir.display()
        ));
    }
    Ok((chromium, dir))
}

/// What a browser test needs, or `None` when it cannot run here: said as a skip, unless
/// `MARGIN_REQUIRE_BROWSER=1` (as in CI), where it is a failure.
pub fn browser_or_skip(test: &str) -> Option<(PathBuf, PathBuf)> {
    match browser_setup() {
        Ok(found) => Some(found),
        Err(why) if std::env::var("MARGIN_REQUIRE_BROWSER").as_deref() == Ok("1") => {
            panic!("the browser test cannot run: {why}")
        }
        Err(why) => {
            super::say_skipped(
                test,
                &format!("{why}; set MARGIN_REQUIRE_BROWSER=1 to make this a failure"),
            );
            None
        }
    }
}

/// Runs the browser script `script` of `dir` with node, in chromium, with `env`; its
/// output is printed, and a failure is reported with what it printed.
pub fn run_browser_script(
    chromium: &Path,
    dir: &Path,
    script: &str,
    env: &[(&str, String)],
) -> Output {
    let out = Command::new("node")
        .arg(dir.join(script))
        .current_dir(dir)
        .env("MARGIN_CHROMIUM", chromium)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "the browser script {script} failed:\n{stdout}\n{stderr}"
    );
    out
}

/// Where browser scripts leave their screenshots.
pub fn browser_artifacts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/browser-artifacts")
}
