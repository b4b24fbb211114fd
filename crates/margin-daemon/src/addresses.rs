//! What a ban leaves on the address a banned peer connected from.
//!
//! A peer id costs nothing: a peer banned for an hour can come back at once under a new
//! one. A ban by address alone would shut out everyone behind the same address (the
//! participants of one venue behind its NAT, of one mobile carrier), so an address
//! keeps a record instead: a new peer from an address whose peers were banned in the
//! last hour starts on probation (its score begins half-way to a ban, so a few faults
//! ban it), and an address from which [`MAX_BANS_PER_ADDRESS`] peer ids were banned
//! within the hour is refused to peers the node never met, until the last of those
//! bans ends (a peer met before, behind the same NAT as the attacker, is put on
//! probation instead). A peer reached through
//! a relay has no address of its own here (the address is the relay's), so it keeps a
//! record by peer id only.

use std::collections::HashMap;
use std::net::IpAddr;

use margin_core::Timestamp;
use margin_net::{Multiaddr, PeerId, Protocol};

/// Peer ids banned from one address within a ban's duration after which the address is
/// refused.
pub const MAX_BANS_PER_ADDRESS: u32 = 8;

/// The score a peer on probation starts with, out of the ban threshold (100).
pub const PROBATION_POINTS: u32 = 50;

/// Addresses and peers remembered at most.
const MAX_RECORDS: usize = 10_000;

/// What an address's record makes of a new connection from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Welcome,
    /// Peers from this address were banned lately.
    Probation,
    /// Too many were: refused until then.
    Refused(Timestamp),
}

#[derive(Debug, Clone, Copy)]
struct Record {
    bans: u32,
    until: Timestamp,
}

/// The addresses of connected peers and the records of addresses whose peers were banned.
#[derive(Default)]
pub struct Addresses {
    of_peer: HashMap<PeerId, IpAddr>,
    records: HashMap<IpAddr, Record>,
}

/// The IP address a connection came from, unless it came through a relay.
pub fn ip_of(addr: &Multiaddr) -> Option<IpAddr> {
    if addr.iter().any(|p| matches!(p, Protocol::P2pCircuit)) {
        return None;
    }
    addr.iter().find_map(|p| match p {
        Protocol::Ip4(ip) => Some(IpAddr::V4(ip)),
        Protocol::Ip6(ip) => Some(IpAddr::V6(ip)),
        _ => None,
    })
}

impl Addresses {
    /// A peer connected from `addr`: what its address's record makes of it.
    pub fn connected(&mut self, now: Timestamp, peer: PeerId, addr: &Multiaddr) -> Admission {
        let Some(ip) = ip_of(addr) else {
            return Admission::Welcome;
        };
        if self.of_peer.len() < MAX_RECORDS || self.of_peer.contains_key(&peer) {
            self.of_peer.insert(peer, ip);
        }
        match self.records.get(&ip) {
            Some(r) if r.until <= now => {
                self.records.remove(&ip);
                Admission::Welcome
            }
            Some(r) if r.bans >= MAX_BANS_PER_ADDRESS => Admission::Refused(r.until),
            Some(_) => Admission::Probation,
            None => Admission::Welcome,
        }
    }

    /// A peer was banned until `until`: its address's record counts it. Returns the
    /// address and how many peers from it are banned now.
    pub fn banned(&mut self, peer: &PeerId, until: Timestamp) -> Option<(IpAddr, u32)> {
        let ip = *self.of_peer.get(peer)?;
        if self.records.len() >= MAX_RECORDS && !self.records.contains_key(&ip) {
            let oldest = self
                .records
                .iter()
                .min_by_key(|(_, r)| r.until)
                .map(|(ip, _)| *ip)?;
            self.records.remove(&oldest);
        }
        let record = self.records.entry(ip).or_insert(Record { bans: 0, until });
        record.bans += 1;
        record.until = record.until.max(until);
        Some((ip, record.bans))
    }

    pub fn disconnected(&mut self, peer: &PeerId) {
        self.of_peer.remove(peer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ms: u64) -> Timestamp {
        Timestamp::from_millis(ms)
    }

    fn tcp(ip: &str) -> Multiaddr {
        format!("/ip4/{ip}/tcp/4001").parse().expect("an address")
    }

    #[test]
    fn peers_from_an_address_with_bans_start_on_probation_and_too_many_bans_refuse_it() {
        let mut addresses = Addresses::default();
        let first = PeerId::random();
        assert_eq!(
            addresses.connected(t(0), first, &tcp("10.0.0.1")),
            Admission::Welcome
        );
        addresses.banned(&first, t(3_600_000));
        // Another address is not concerned.
        assert_eq!(
            addresses.connected(t(1), PeerId::random(), &tcp("10.0.0.2")),
            Admission::Welcome
        );
        for n in 1..MAX_BANS_PER_ADDRESS {
            let next = PeerId::random();
            assert_eq!(
                addresses.connected(t(n.into()), next, &tcp("10.0.0.1")),
                Admission::Probation
            );
            addresses.banned(&next, t(3_600_000 + u64::from(n)));
        }
        let last = t(3_600_000 + u64::from(MAX_BANS_PER_ADDRESS) - 1);
        assert_eq!(
            addresses.connected(t(100), PeerId::random(), &tcp("10.0.0.1")),
            Admission::Refused(last)
        );
        // Once the bans ended, the address starts afresh.
        assert_eq!(
            addresses.connected(last, PeerId::random(), &tcp("10.0.0.1")),
            Admission::Welcome
        );
    }

    #[test]
    fn a_relayed_peer_has_no_address_of_its_own() {
        let relayed: Multiaddr = "/ip4/10.0.0.9/tcp/4001/p2p/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN/p2p-circuit"
            .parse()
            .expect("a relayed address");
        assert_eq!(ip_of(&relayed), None);
        let mut addresses = Addresses::default();
        let peer = PeerId::random();
        addresses.connected(t(0), peer, &relayed);
        assert_eq!(addresses.banned(&peer, t(10)), None);
    }
}
