//! Commands about the network: running the node, and asking a running node about its
//! peers and sync state.

use margin_node::daemon::{self, DaemonConfig};
use margin_node::{Home, NodeError};

use crate::args::NodeArgs;

/// `margin node`: runs until interrupted.
pub fn node(home: Home, a: NodeArgs) -> Result<(), NodeError> {
    let parse = |list: &[String]| -> Result<Vec<_>, NodeError> {
        list.iter()
            .map(|text| {
                text.parse()
                    .map_err(|e| NodeError::Invalid(format!("'{text}' is not a multiaddress: {e}")))
            })
            .collect()
    };
    let listen = if a.listen.is_empty() {
        DaemonConfig::default_listen()
    } else {
        parse(&a.listen)?
    };
    let config = DaemonConfig {
        listen,
        bootstrap: parse(&a.bootstrap)?,
        mdns: !a.no_mdns,
        http: a.http,
        public: a.public,
        relay_server: a.relay_server,
    };
    daemon::run(home, config)
}
