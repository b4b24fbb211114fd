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

/// Decodes a value that must be canonically encoded and use every byte of `bytes`.
pub fn decode_canonical<T: Serialize + DeserializeOwned>(bytes: &[u8]) -> Result<T, EncodingError> {
    let (value, rest): (T, &[u8]) =
        postcard::take_from_bytes(bytes).map_err(|e| EncodingError::Malformed(e.to_string()))?;
    if !rest.is_empty() {
        return Err(EncodingError::TrailingBytes(rest.len()));
    }
    if encode(&value)? != bytes {
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
    if encode(&value)? != bytes[..used] {
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
