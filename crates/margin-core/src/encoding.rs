//! Canonical encoding.
//!
//! Margin encodes headers and bodies with postcard (a compact, documented serde format:
//! fixed-width `u8`, LEB128 varints for other integers and lengths, `0`/`1` tags for
//! options, variant indexes for enums, raw bytes for fixed arrays). A value has exactly
//! one accepted encoding: decoding must consume every byte, and re-encoding the decoded
//! value must give back the same bytes, so non-minimal varints and trailing garbage are
//! refused. `docs/protocol.md` lists the layout field by field.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Encodes a value canonically.
pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, EncodingError> {
    postcard::to_allocvec(value).map_err(|e| EncodingError::Encode(e.to_string()))
}

/// Whether `value` encodes to exactly `bytes`: its encoding is compared as it is made,
/// without being kept (every entry received is checked so, twice).
fn encodes_to<T: Serialize>(value: &T, bytes: &[u8]) -> bool {
    postcard::serialize_with_flavor(value, Matches { expected: bytes }).unwrap_or(false)
}

/// A postcard output that compares what is written with the bytes expected, and stops
/// at the first difference.
struct Matches<'a> {
    /// What is still expected.
    expected: &'a [u8],
}

impl postcard::ser_flavors::Flavor for Matches<'_> {
    type Output = bool;

    fn try_extend(&mut self, data: &[u8]) -> postcard::Result<()> {
        match self.expected.strip_prefix(data) {
            Some(rest) => {
                self.expected = rest;
                Ok(())
            }
            None => Err(postcard::Error::SerializeBufferFull),
        }
    }

    fn try_push(&mut self, data: u8) -> postcard::Result<()> {
        self.try_extend(&[data])
    }

    fn finalize(self) -> postcard::Result<bool> {
        Ok(self.expected.is_empty())
    }
}

/// Decodes a value that must be canonically encoded and use every byte of `bytes`.
pub fn decode_canonical<T: Serialize + DeserializeOwned>(bytes: &[u8]) -> Result<T, EncodingError> {
    let (value, rest): (T, &[u8]) =
        postcard::take_from_bytes(bytes).map_err(|e| EncodingError::Malformed(e.to_string()))?;
    if !rest.is_empty() {
        return Err(EncodingError::TrailingBytes(rest.len()));
    }
    if !encodes_to(&value, bytes) {
        return Err(EncodingError::NotCanonical);
    }
    Ok(value)
}

/// Decodes a canonically encoded value at the start of `bytes` and returns it with the
/// bytes that follow it.
pub fn decode_canonical_prefix<T: Serialize + DeserializeOwned>(
    bytes: &[u8],
) -> Result<(T, &[u8]), EncodingError> {
    let (value, rest): (T, &[u8]) =
        postcard::take_from_bytes(bytes).map_err(|e| EncodingError::Malformed(e.to_string()))?;
    let used = bytes.len() - rest.len();
    if !encodes_to(&value, &bytes[..used]) {
        return Err(EncodingError::NotCanonical);
    }
    Ok((value, rest))
}

/// Why bytes are not a canonical encoding.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum EncodingError {
    #[error("malformed encoding: {0}")]
    Malformed(String),
    #[error("{0} unexpected bytes after the end of the value")]
    TrailingBytes(usize),
    #[error("the encoding is not canonical (it would be encoded differently)")]
    NotCanonical,
    #[error("cannot encode: {0}")]
    Encode(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Sample {
        count: u32,
        label: String,
        tag: Option<u8>,
    }

    /// The one encoding of a value is accepted; a longer spelling of the same value
    /// (an overlong varint), trailing bytes, and a prefix of it are not.
    #[test]
    fn only_the_canonical_encoding_is_accepted() -> Result<(), EncodingError> {
        let value = Sample {
            count: 300,
            label: "é".into(),
            tag: Some(7),
        };
        let bytes = encode(&value)?;
        assert_eq!(decode_canonical::<Sample>(&bytes)?, value);
        assert!(encodes_to(&value, &bytes));
        assert!(!encodes_to(&value, &bytes[..bytes.len() - 1]));
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(!encodes_to(&value, &longer));
        assert!(matches!(
            decode_canonical::<Sample>(&longer),
            Err(EncodingError::TrailingBytes(1))
        ));
        // 300 is [0xac, 0x02]; [0xac, 0x82, 0x00] is the same number, spelled longer.
        assert_eq!(&bytes[..2], &[0xac, 0x02]);
        let mut overlong = vec![0xac, 0x82, 0x00];
        overlong.extend_from_slice(&bytes[2..]);
        assert!(matches!(
            decode_canonical::<Sample>(&overlong),
            Err(EncodingError::NotCanonical)
        ));
        let (prefixed, rest) = decode_canonical_prefix::<Sample>(&longer)?;
        assert_eq!((prefixed, rest), (value, &[0u8][..]));
        assert!(matches!(
            decode_canonical_prefix::<Sample>(&overlong),
            Err(EncodingError::NotCanonical)
        ));
        Ok(())
    }
}
