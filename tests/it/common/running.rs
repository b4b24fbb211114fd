//! Running nodes: `margin node` as a real process in a participant's home (on loopback,
//! or inside a network namespace), stopped when the test is done (or panics).

use std::fs;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::Participant;

/// How long a test waits for something the network should do in well under a second.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// A participant's home with `margin node` running in it.
pub struct RunningNode {
    pub p: Participant,
    child: Option<Child>,
    log: PathBuf,
    /// What the node printed on standard output (its login link).
    out: PathBuf,
    extra: Vec<String>,
    /// Variables set in the node's environment (and not in the CLI's).
    env: Vec<(String, String)>,
}

impl RunningNode {
    /// Starts `margin node` (no mDNS, its HTTP API on an ephemeral port of loopback)
    /// with `extra` arguments, in the participant's network namespace if they have one,
    /// and waits until it listens: on an ephemeral port of loopback unless `extra` names
    /// its own `--listen`.
    pub fn start(p: Participant, extra: &[&str]) -> RunningNode {
        RunningNode::start_with_env(p, extra, &[])
    }

    /// Like [`RunningNode::start`], with variables set in the node's environment (a
    /// shifted clock, [`super::clock::ShiftedClock::env`]), at this start and every restart.
    pub fn start_with_env(p: Participant, extra: &[&str], env: &[(String, String)]) -> RunningNode {
        let log = p.home().join("node.log");
        let out = p.home().join("node.out");
        let mut node = RunningNode {
            p,
            child: None,
            log,
            out,
            extra: extra.iter().map(|s| s.to_string()).collect(),
            env: env.to_vec(),
        };
        node.restart();
        node
    }

    /// Starts the node again in the same home (after [`RunningNode::stop`]).
    pub fn restart(&mut self) {
        self.launch();
        let started = Instant::now();
        while self
            .info()
            .is_none_or(|i| i["addresses"].as_array().is_none_or(|a| a.is_empty()))
        {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!(
                    "{}'s node exited with {status}:\n{}",
                    self.p.name,
                    self.log_tail()
                );
            }
            assert!(
                started.elapsed() < PATIENCE,
                "{}'s node did not start:\n{}",
                self.p.name,
                self.log_tail()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Starts the node's process again in the same home, without waiting until it
    /// listens (to kill it at any moment of its start).
    pub fn launch(&mut self) {
        assert!(self.child.is_none(), "{} is already running", self.p.name);
        let _ = fs::remove_file(self.p.home().join("node.json"));
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("node log");
        let out = fs::File::create(&self.out).expect("node output");
        let listen: &[&str] = if self.extra.iter().any(|a| a == "--listen") {
            &[]
        } else {
            &["--listen", "/ip4/127.0.0.1/tcp/0"]
        };
        let child = self
            .p
            .command()
            .args(["node", "--no-mdns", "--http", "127.0.0.1:0"])
            .args(listen)
            .args(&self.extra)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .env(
                "MARGIN_LOG",
                std::env::var("MARGIN_TEST_LOG").unwrap_or_else(|_| "info,libp2p_kad=error".into()),
            )
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(log)
            .spawn()
            .expect("start margin node");
        self.child = Some(child);
    }

    /// Starts the node again in the same home with `extra` arguments instead of those it
    /// started with (e.g. the addresses of the peers running now, since a restarted
    /// node listens on a new ephemeral port).
    pub fn restart_with(&mut self, extra: &[&str]) {
        self.extra = extra.iter().map(|s| s.to_string()).collect();
        self.restart();
    }

    /// Whether the node's process is running (it has not been stopped, killed, or
    /// exited by itself).
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| c.try_wait().ok().flatten().is_none())
    }

    /// Kills the node without warning (SIGKILL), as a crash or a power cut does, and
    /// reaps the process. [`RunningNode::restart`] starts it again in the same home.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops the node as an operator does (SIGTERM), and waits for it to exit.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let started = Instant::now();
        while child.try_wait().ok().flatten().is_none() {
            if started.elapsed() > Duration::from_secs(10) {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "{}'s node ignored SIGTERM:\n{}",
                    self.p.name,
                    self.log_tail()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The node's `node.json`, once written.
    pub fn info(&self) -> Option<Value> {
        let text = fs::read_to_string(self.p.home().join("node.json")).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// An address peers can dial (`/ip4/127.0.0.1/tcp/…/p2p/…`).
    /// The node's process id, as its `node.json` says (to read its memory and CPU).
    pub fn pid(&self) -> u32 {
        let pid = self.info().expect("node.json")["pid"]
            .as_u64()
            .expect("a pid");
        u32::try_from(pid).expect("a process id fits 32 bits")
    }

    pub fn addr(&self) -> String {
        self.info()
            .and_then(|i| {
                i["addresses"]
                    .as_array()?
                    .iter()
                    .filter_map(Value::as_str)
                    .find(|a| a.contains("/tcp/") && !a.contains("p2p-circuit"))
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| panic!("{}'s node has no TCP address", self.p.name))
    }

    pub fn peer_id(&self) -> String {
        self.info().expect("node.json")["peer_id"]
            .as_str()
            .expect("peer id")
            .to_owned()
    }

    /// What the node printed on standard output since it last started.
    pub fn printed(&self) -> String {
        fs::read_to_string(&self.out).unwrap_or_default()
    }

    /// The node's whole log (every run in this home).
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The last lines of the node's log, for failure messages.
    pub fn log_tail(&self) -> String {
        let text = fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// `margin sync wait SPACE`, expecting success.
    pub fn wait_in_sync(&self, space: &str, min_peers: usize) {
        let out = self.p.run(&[
            "sync",
            "wait",
            space,
            "--timeout",
            "60",
            "--min-peers",
            &min_peers.to_string(),
        ]);
        if !out.status.success() {
            let status = self.p.run(&["sync", "status", space, "--json"]);
            panic!(
                "{} did not get in sync: {}\nsync status: {}\n{}",
                self.p.name,
                String::from_utf8_lossy(&out.stderr),
                String::from_utf8_lossy(&status.stdout),
                self.log_tail()
            );
        }
    }

    /// The running node's peers, as `margin peers --json` prints them.
    pub fn peers(&self) -> Vec<Value> {
        self.p.json(&["peers"])["peers"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// The peers the running node has banned.
    pub fn banned(&self) -> Vec<Value> {
        self.p.json(&["peers"])["banned"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}

impl Drop for RunningNode {
    fn drop(&mut self) {
        self.kill();
        // For debugging: `MARGIN_TEST_KEEP_LOGS=DIR` keeps every node's whole log (with
        // `MARGIN_TEST_LOG` to choose what the nodes log).
        if let Ok(dir) = std::env::var("MARGIN_TEST_KEEP_LOGS") {
            let _ = fs::create_dir_all(&dir);
            let _ = fs::copy(
                &self.log,
                PathBuf::from(dir).join(format!("{}.log", self.p.name)),
            );
        }
    }
}

/// Polls `check` until it holds, or panics with `what` after [`PATIENCE`].
pub fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let started = Instant::now();
    while !check() {
        assert!(
            started.elapsed() < PATIENCE,
            "timed out waiting until {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
