//! Linux network namespaces a test makes for itself: nodes on addresses that exist only
//! inside them, links that can be shaped (`tc`), cut and healed, routers that translate
//! addresses (`iptables` masquerade). Every veth pair is made with both ends already in
//! their namespaces, so the host's own interfaces, routes and firewall are never
//! touched; the namespaces (and so every interface and rule in them) are deleted on drop.
//!
//! Making namespaces needs root and `ip`. Where they cannot be made, a test says it
//! skipped and passes ([`or_skip`]), unless `MARGIN_REQUIRE_NETNS=1` (as CI sets where
//! they work), where that is a failure.

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::say_skipped;

/// The namespaces one test made, deleted on drop. Names are unique per process and
/// per set, so tests running at once in one process do not meet.
pub struct Namespaces {
    prefix: String,
    names: Vec<String>,
}

impl Namespaces {
    /// An empty set, once the commands `tools` (besides `ip`) are found; says why not.
    pub fn new(tools: &[&str]) -> Result<Namespaces, String> {
        for tool in std::iter::once(&"ip").chain(tools) {
            let found = Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .output()
                .is_ok_and(|o| o.status.success());
            if !found {
                return Err(format!("`{tool}` is missing"));
            }
        }
        static SETS: AtomicUsize = AtomicUsize::new(0);
        Ok(Namespaces {
            prefix: format!(
                "margin-{}-{}",
                std::process::id(),
                SETS.fetch_add(1, Ordering::Relaxed)
            ),
            names: vec![],
        })
    }

    /// Makes a namespace for `role` with its loopback up, and returns its name.
    pub fn add(&mut self, role: &str) -> Result<String, String> {
        let name = format!("{}-{role}", self.prefix);
        sh(&format!("ip netns add {name}"))?;
        self.names.push(name.clone());
        sh(&format!("ip -n {name} link set lo up"))?;
        Ok(name)
    }

    /// A veth pair from interface `a.1` in namespace `a.0` to `b.1` in `b.0`, both up,
    /// each with its address (`10.…/24`) where one is given.
    pub fn veth(
        &self,
        a: (&str, &str, Option<&str>),
        b: (&str, &str, Option<&str>),
    ) -> Result<(), String> {
        sh(&format!(
            "ip -n {} link add name {} type veth peer name {} netns {}",
            a.0, a.1, b.1, b.0
        ))?;
        for (ns, interface, addr) in [a, b] {
            if let Some(addr) = addr {
                sh(&format!("ip -n {ns} addr add {addr} dev {interface}"))?;
            }
            sh(&format!("ip -n {ns} link set dev {interface} up"))?;
        }
        Ok(())
    }

    /// A bridge named `name` in namespace `ns`, up: a switch the namespaces whose veth
    /// pairs end on it share.
    pub fn bridge(&self, ns: &str, name: &str) -> Result<(), String> {
        sh(&format!("ip -n {ns} link add name {name} type bridge"))?;
        sh(&format!("ip -n {ns} link set dev {name} up")).map(drop)
    }

    /// Plugs interface `port` of namespace `ns` into the bridge `bridge` there.
    pub fn plug(&self, ns: &str, port: &str, bridge: &str) -> Result<(), String> {
        sh(&format!("ip -n {ns} link set dev {port} master {bridge}")).map(drop)
    }

    /// Runs the shell command `command` inside namespace `ns`; returns what it printed.
    pub fn exec(&self, ns: &str, command: &str) -> Result<String, String> {
        sh(&format!("ip netns exec {ns} {command}"))
    }
}

impl Drop for Namespaces {
    fn drop(&mut self) {
        for name in self.names.iter().rev() {
            let _ = Command::new("ip").args(["netns", "del", name]).status();
        }
    }
}

/// Runs `command` with `sh -c`; returns its output, or says which step failed and why.
fn sh(command: &str) -> Result<String, String> {
    let out = Command::new("sh")
        .args(["-c", command])
        .output()
        .map_err(|e| format!("{command}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "{command}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// What `made` holds, or `None` after saying that `test` skipped and why. Where
/// `MARGIN_REQUIRE_NETNS` is set the test fails instead.
pub fn or_skip<T>(test: &str, made: Result<T, String>) -> Option<T> {
    match made {
        Ok(made) => Some(made),
        Err(reason) => {
            assert!(
                std::env::var_os("MARGIN_REQUIRE_NETNS").is_none(),
                "{test}: network namespaces are required here (MARGIN_REQUIRE_NETNS): {reason}"
            );
            say_skipped(
                test,
                &format!(
                    "this test needs network namespaces (root, ip, iptables, tc): {reason}; \
                     set MARGIN_REQUIRE_NETNS=1 to make this a failure"
                ),
            );
            None
        }
    }
}

/// Two namespaces, `mirror` and `newcomer`, joined by a veth pair shaped on both ends
/// with `tc tbf` at one rate (a slow link); 10.79.0.0/24 exists only inside them.
pub struct ShapedLink {
    namespaces: Namespaces,
    pub names: [String; 2],
}

impl ShapedLink {
    /// Makes the namespaces, shaped to `rate` (`64kbit`), or says why it cannot.
    pub fn new(rate: &str) -> Result<ShapedLink, String> {
        let mut namespaces = Namespaces::new(&["tc", "ss"])?;
        let names = [namespaces.add("mirror")?, namespaces.add("newcomer")?];
        namespaces.veth(
            (&names[0], "wire", Some("10.79.0.1/24")),
            (&names[1], "wire", Some("10.79.0.2/24")),
        )?;
        for name in &names {
            namespaces.exec(
                name,
                &format!("tc qdisc add dev wire root tbf rate {rate} burst 4kb latency 400ms"),
            )?;
        }
        Ok(ShapedLink { namespaces, names })
    }

    /// Where the node on `side` (0: the mirror, 1: the newcomer) listens.
    pub fn listen(&self, side: usize) -> String {
        format!("/ip4/10.79.0.{}/tcp/4790", side + 1)
    }

    /// Bytes sent and received on the established TCP connections of namespace `side`,
    /// as the kernel counted them (`ss -ti`).
    pub fn bytes_on_link(&self, side: usize) -> u64 {
        let text = self
            .namespaces
            .exec(&self.names[side], "ss -tinH state established")
            .expect("run ss");
        let re = regex::Regex::new(r"bytes_(?:sent|received):(\d+)").expect("a regex");
        re.captures_iter(&text)
            .map(|c| c[1].parse::<u64>().expect("a count"))
            .sum()
    }
}
