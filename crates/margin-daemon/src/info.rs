//! Files a running daemon keeps in its home: its network key, and `node.json`, which
//! tells the CLI where the daemon listens.

use std::fs;

use libp2p::identity::Keypair;
use serde::{Deserialize, Serialize};

use margin_node::error::NodeError;
use margin_node::home::Home;

const NODE_KEY: &str = "node.key";
const NODE_INFO: &str = "node.json";

/// Where a running daemon can be reached.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NodeInfo {
    pub peer_id: String,
    pub addresses: Vec<String>,
    pub http: String,
    /// The public read-only address (`--public`), as bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public: Option<String>,
    pub pid: u32,
}

/// The node's network key, created on first use. It is separate from the participant's
/// key: a mirror runs without a participant, and the network identity reveals nothing
/// about who reviews.
pub fn node_key(home: &Home) -> Result<Keypair, NodeError> {
    fs::create_dir_all(home.dir()).map_err(|e| NodeError::io(home.dir(), e))?;
    let path = home.dir().join(NODE_KEY);
    if path.exists() {
        let text = fs::read_to_string(&path).map_err(|e| NodeError::io(&path, e))?;
        let seed: [u8; 32] = hex::decode(text.trim())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| NodeError::BadKeyFile(path.display().to_string()))?;
        return Keypair::ed25519_from_bytes(seed).map_err(|e| NodeError::Invalid(e.to_string()));
    }
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| NodeError::Invalid(e.to_string()))?;
    margin_node::home::write_secret(&path, format!("{}\n", hex::encode(seed)).as_bytes())?;
    Keypair::ed25519_from_bytes(seed).map_err(|e| NodeError::Invalid(e.to_string()))
}

pub fn write(home: &Home, info: &NodeInfo) -> Result<(), NodeError> {
    let path = home.dir().join(NODE_INFO);
    let tmp = home.dir().join("node.json.partial");
    let text = serde_json::to_string_pretty(info).map_err(|e| NodeError::Invalid(e.to_string()))?;
    fs::write(&tmp, text).map_err(|e| NodeError::io(&tmp, e))?;
    fs::rename(&tmp, &path).map_err(|e| NodeError::io(&path, e))
}

/// The running daemon's address file, if there is one.
pub fn read(home: &Home) -> Option<NodeInfo> {
    let text = fs::read_to_string(home.dir().join(NODE_INFO)).ok()?;
    serde_json::from_str(&text).ok()
}

pub fn remove(home: &Home) {
    let _ = fs::remove_file(home.dir().join(NODE_INFO));
}
