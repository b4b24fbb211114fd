//! Who is counted, and under which stakeholder group and region.

use margin_core::body::Policy;
use margin_space::charter::CharterState;
use margin_space::view::ParticipantView;
use serde::Serialize;

/// The stakeholder groups of IGF processes, used when a charter names none.
pub const IGF_STAKEHOLDER_GROUPS: [&str; 6] = [
    "government",
    "civil-society",
    "private-sector",
    "technical-community",
    "academia",
    "intergovernmental",
];

/// The group or region of a participant who declared none.
pub const UNSPECIFIED: &str = "unspecified";

/// How figures are counted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Options {
    /// Count only participants a registrar has attested (their registration entry is in
    /// the space). Everything else — objections included — is still listed, marked as
    /// not counted.
    pub registered_only: bool,
    /// The stakeholder groups the process expects; a group listed here with no
    /// participant shows as missing in [`crate::balance()`].
    pub stakeholder_groups: Vec<String>,
}

impl Default for Options {
    /// Everyone counts; the IGF stakeholder groups are expected.
    fn default() -> Self {
        Options {
            registered_only: false,
            stakeholder_groups: IGF_STAKEHOLDER_GROUPS.map(str::to_owned).to_vec(),
        }
    }
}

impl Options {
    /// The defaults for a space: registered participants only under the `registered`
    /// policy, and the charter's stakeholder taxonomy (the IGF groups if it has none).
    ///
    /// Take the charter from `Space::charter()`.
    pub fn for_charter(charter: &CharterState) -> Options {
        let defaults = Options::default();
        Options {
            registered_only: charter.policy == Policy::Registered,
            stakeholder_groups: if charter.stakeholder_groups.is_empty() {
                defaults.stakeholder_groups
            } else {
                charter.stakeholder_groups.clone()
            },
        }
    }

    /// Whether this participant's stances and objections count in the figures.
    pub fn counts(&self, participant: &ParticipantView) -> bool {
        !self.registered_only || participant.registered
    }
}

/// The stakeholder group a participant is counted under: the registration's, else the
/// profile's, else [`UNSPECIFIED`].
pub fn group_of(participant: &ParticipantView) -> String {
    or_unspecified(&participant.stakeholder)
}

/// The region a participant is counted under (registration, profile, or [`UNSPECIFIED`]).
pub fn region_of(participant: &ParticipantView) -> String {
    or_unspecified(&participant.region)
}

fn or_unspecified(s: &str) -> String {
    let s = s.trim();
    if s.is_empty() {
        UNSPECIFIED.to_owned()
    } else {
        s.to_owned()
    }
}
