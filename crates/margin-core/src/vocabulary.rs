//! Margin's closed vocabularies — comment kinds, stances, dispositions, roles, policies,
//! what a node blocks — each one enum with one spelling per word.
//!
//! Every vocabulary has `ALL`, `as_str` (the word used in JSON, in the CLI's arguments
//! and in URLs), `FromStr` (which refuses other words, naming the allowed ones) and
//! `Display`; with the `clap` feature, `clap::ValueEnum` from the same words. Front ends
//! parse and print through these, never by matching display text; the words people read
//! on a page live in the front ends' text tables.
//!
//! ```
//! use margin_core::body::StanceValue;
//!
//! let stance: StanceValue = "accept".parse()?;
//! assert_eq!(stance, StanceValue::Accept);
//! assert_eq!(stance.as_str(), "accept");
//! assert!("maybe".parse::<StanceValue>().is_err());
//! # Ok::<(), margin_core::vocabulary::UnknownWord>(())
//! ```

use crate::body::{CommentKind, DispositionValue, Policy, Role, StanceValue};

/// A word that is not in a vocabulary.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("'{word}' is not a {what}: use one of {}", allowed.join(", "))]
pub struct UnknownWord {
    pub what: &'static str,
    pub word: String,
    pub allowed: &'static [&'static str],
}

/// Implements the vocabulary traits for an enum from its list of words.
macro_rules! vocabulary {
    ($ty:ty, $what:literal, [$($variant:ident => $word:literal $(($help:literal))?),+ $(,)?]) => {
        impl $ty {
            /// Every word, in order.
            pub const ALL: &'static [$ty] = &[$(<$ty>::$variant),+];
            /// The words, in the order of [`Self::ALL`].
            pub const WORDS: &'static [&'static str] = &[$($word),+];

            /// The word for this value.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(<$ty>::$variant => $word),+
                }
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $ty {
            type Err = UnknownWord;

            fn from_str(word: &str) -> Result<Self, UnknownWord> {
                match word {
                    $($word => Ok(<$ty>::$variant),)+
                    _ => Err(UnknownWord {
                        what: $what,
                        word: word.to_owned(),
                        allowed: <$ty>::WORDS,
                    }),
                }
            }
        }

        #[cfg(feature = "clap")]
        impl clap::ValueEnum for $ty {
            fn value_variants<'a>() -> &'a [Self] {
                <$ty>::ALL
            }

            fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
                let value = clap::builder::PossibleValue::new(self.as_str());
                match self {
                    $(<$ty>::$variant => Some(value $(.help($help))?),)+
                }
            }
        }
    };
}

vocabulary!(CommentKind, "comment kind", [
    Comment => "comment",
    Question => "question",
    Suggestion => "suggestion",
    Objection => "objection",
]);

vocabulary!(StanceValue, "stance", [
    Support => "support",
    Accept => "accept" ("I can live with it"),
    Object => "object",
    Abstain => "abstain",
]);

vocabulary!(DispositionValue, "disposition", [
    Accepted => "accepted",
    Partly => "partly",
    Declined => "declined",
    Noted => "noted",
]);

vocabulary!(Role, "role", [
    Convener => "convener",
    Editor => "editor",
    Registrar => "registrar",
]);

vocabulary!(Policy, "comment policy", [
    Open => "open",
    Registered => "registered",
]);

/// What a node refuses or stops showing, as its block list records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BlockTarget {
    /// A participant's key: their entries are not stored.
    Key,
    /// A libp2p peer: the node does not sync with it.
    Peer,
    /// A participant's key, muted: their entries are kept and passed on, their words not
    /// shown on this node.
    Mute,
}

/// Written as its word (`"key"`, `"peer"`, `"mute"`), as `margin block list --json` shows it.
impl serde::Serialize for BlockTarget {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

vocabulary!(BlockTarget, "block target", [
    Key => "key",
    Peer => "peer",
    Mute => "mute",
]);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_parses_back_to_its_value() {
        fn round_trip<T>(all: &[T])
        where
            T: Copy + PartialEq + std::fmt::Debug + std::fmt::Display + std::str::FromStr,
        {
            for v in all {
                assert_eq!(v.to_string().parse::<T>().ok(), Some(*v));
            }
        }
        round_trip(CommentKind::ALL);
        round_trip(StanceValue::ALL);
        round_trip(DispositionValue::ALL);
        round_trip(Role::ALL);
        round_trip(Policy::ALL);
        round_trip(BlockTarget::ALL);
    }

    #[test]
    fn another_word_is_refused_with_the_allowed_ones() {
        let err = "maybe".parse::<StanceValue>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "'maybe' is not a stance: use one of support, accept, object, abstain"
        );
    }
}
