//! `margin device`: one identity on several devices. A new device prints a one-time
//! code; the home that holds the identity links it; after sync, what the device signs
//! counts as the person's. A lost device is unlinked.

use margin_core::Timestamp;
use margin_core::body::Profile;
use margin_node::{Home, Node, NodeError};
use margin_space::view::format_time;
use serde_json::json;

use crate::args::DeviceCommand;
use crate::commands::parse_key;
use crate::output::emit;

pub fn run(home: &Home, c: DeviceCommand, json: bool) -> Result<(), NodeError> {
    match c {
        DeviceCommand::Link { name } => {
            if !home.has_identity() {
                home.init(
                    Profile {
                        name,
                        affiliation: String::new(),
                        stakeholder: String::new(),
                        region: String::new(),
                    },
                    Timestamp::now(),
                )?;
            }
            let consent = home.link_code(Timestamp::now())?;
            let value = json!({
                "code": consent.to_code(),
                "key": consent.key.to_string(),
                "expires": format_time(consent.expires),
            });
            emit(json, &value, |_| {
                println!("{}", consent.to_code());
                println!();
                println!(
                    "On the home that holds your identity, run `margin device add CODE --name NAME` with the code above (good until {}).",
                    format_time(consent.expires)
                );
                println!(
                    "Once the link reaches this device (sync a space you share), what it signs counts as yours."
                );
            });
            Ok(())
        }
        DeviceCommand::Add { code, name } => {
            let mut node = Node::open(home.clone())?;
            let (link, spaces) = node.add_device(&code, &name)?;
            let value = json!({
                "device": link.key().to_string(),
                "name": name.trim(),
                "linked": format_time(link.time),
                "entries": spaces,
            });
            emit(json, &value, |_| {
                println!("Linked {} ({}).", name.trim(), link.key());
                println!(
                    "The link is in {spaces} space(s) here; the device counts as you once it syncs them."
                );
            });
            Ok(())
        }
        DeviceCommand::List => {
            let node = Node::open(home.clone())?;
            let devices = node.devices()?;
            emit(json, &devices, |devices| {
                if devices.is_empty() {
                    println!("No linked devices (margin device link, on the new device).");
                }
                for d in devices {
                    let this = if d.this { "  (this device)" } else { "" };
                    match &d.revoked {
                        Some(when) => println!("{}  {}  unlinked {when}{this}", d.key, d.name),
                        None => println!("{}  {}  linked {}{this}", d.key, d.name, d.linked),
                    }
                }
            });
            Ok(())
        }
        DeviceCommand::Revoke { key } => {
            let key = parse_key(&key)?;
            let mut node = Node::open(home.clone())?;
            let (unlink, spaces) = node.revoke_device(&key)?;
            let value = json!({
                "device": key.to_string(),
                "revoked": format_time(unlink.time),
                "entries": spaces,
            });
            emit(json, &value, |_| {
                println!(
                    "Unlinked {key}: what it signs from {} on counts for nothing.",
                    format_time(unlink.time)
                );
            });
            Ok(())
        }
    }
}
