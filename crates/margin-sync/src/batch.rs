//! Entry batches: many opaque entries in one `Entries` payload.
//!
//! A batch is `{ LEB128 length ‖ entry bytes }×count`. It is not compressed here: the
//! transport compresses each sync stream as a whole, which finds what entries share
//! across batches (a space's id, authors, refs, words) where one batch alone cannot.
//! The receiver's bound is the frame's, so a length field cannot make it allocate more.

use margin_core::limits::MAX_ENTRY_BYTES;

use crate::limits::{BATCH_SOFT_BYTES, MAX_BATCH_BYTES, MAX_BATCH_ENTRIES};

/// Splits `entries` into batches within [`BATCH_SOFT_BYTES`] and [`MAX_BATCH_ENTRIES`];
/// returns `(count, batch)` pairs, in order. An entry larger than [`MAX_ENTRY_BYTES`]
/// is left out (no peer would accept it).
pub fn encode(entries: &[Vec<u8>]) -> Vec<(u32, Vec<u8>)> {
    let mut batches = Vec::new();
    let mut raw = Vec::new();
    let mut count = 0usize;
    for entry in entries
        .iter()
        .filter(|entry| entry.len() <= MAX_ENTRY_BYTES)
    {
        let framed = entry.len() + varint_len(entry.len());
        if count > 0 && (count == MAX_BATCH_ENTRIES || raw.len() + framed > BATCH_SOFT_BYTES) {
            batches.push(seal(count, std::mem::take(&mut raw)));
            count = 0;
        }
        write_varint(&mut raw, entry.len());
        raw.extend_from_slice(entry);
        count += 1;
    }
    if count > 0 || batches.is_empty() {
        batches.push(seal(count, raw));
    }
    batches
}

/// The bytes [`encode`] spends on one entry of `len` bytes.
pub fn framed_len(len: usize) -> usize {
    len + varint_len(len)
}

fn seal(count: usize, raw: Vec<u8>) -> (u32, Vec<u8>) {
    (
        u32::try_from(count).expect("a batch holds at most MAX_BATCH_ENTRIES"),
        raw,
    )
}

/// Splits a batch that claims to hold `count` entries.
pub fn decode(raw: &[u8], count: u32) -> Result<Vec<Vec<u8>>, BatchError> {
    let count = count as usize;
    if count > MAX_BATCH_ENTRIES {
        return Err(BatchError::TooManyEntries {
            count,
            max: MAX_BATCH_ENTRIES,
        });
    }
    if raw.len() > MAX_BATCH_BYTES {
        return Err(BatchError::TooLarge {
            max: MAX_BATCH_BYTES,
        });
    }
    let mut entries = Vec::with_capacity(count);
    let mut rest = raw;
    while !rest.is_empty() {
        if entries.len() == count {
            return Err(BatchError::CountMismatch {
                declared: count,
                found: entries.len() + 1,
            });
        }
        let (len, after) = read_varint(rest).ok_or(BatchError::Truncated)?;
        if len > MAX_ENTRY_BYTES {
            return Err(BatchError::EntryTooLarge {
                len,
                max: MAX_ENTRY_BYTES,
            });
        }
        if len > after.len() {
            return Err(BatchError::Truncated);
        }
        let (entry, after) = after.split_at(len);
        entries.push(entry.to_vec());
        rest = after;
    }
    if entries.len() != count {
        return Err(BatchError::CountMismatch {
            declared: count,
            found: entries.len(),
        });
    }
    Ok(entries)
}

fn varint_len(mut n: usize) -> usize {
    let mut len = 1;
    while n >= 0x80 {
        n >>= 7;
        len += 1;
    }
    len
}

fn write_varint(out: &mut Vec<u8>, mut n: usize) {
    while n >= 0x80 {
        out.push((n as u8 & 0x7f) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Reads a LEB128 length of at most four bytes (enough for any entry size).
fn read_varint(bytes: &[u8]) -> Option<(usize, &[u8])> {
    let mut value = 0usize;
    for (i, byte) in bytes.iter().take(4).enumerate() {
        value |= ((byte & 0x7f) as usize) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((value, &bytes[i + 1..]));
        }
    }
    None
}

/// A batch that does not decode. Always the sending peer's fault.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error("peer sent a batch of more than {max} bytes")]
    TooLarge { max: usize },
    #[error("peer sent a batch declaring {count} entries, over the limit of {max}")]
    TooManyEntries { count: usize, max: usize },
    #[error("peer sent a batch whose last entry is cut short")]
    Truncated,
    #[error("peer sent a batch with a {len}-byte entry, over the {max}-byte limit")]
    EntryTooLarge { len: usize, max: usize },
    #[error("peer sent a batch declaring {declared} entries that holds {found}")]
    CountMismatch { declared: usize, found: usize },
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn batches_round_trip_and_respect_the_soft_limit() {
        let entries: Vec<Vec<u8>> = (0..1500u32)
            .map(|i| {
                let mut entry = i.to_le_bytes().to_vec();
                entry.resize(100 + (i as usize % 7) * 1000, (i % 251) as u8);
                entry
            })
            .collect();
        let batches = encode(&entries);
        assert!(batches.len() >= 3);
        let mut back = Vec::new();
        for (count, batch) in &batches {
            let part = decode(batch, *count).expect("decodes");
            let raw: usize = part.iter().map(|e| e.len() + varint_len(e.len())).sum();
            assert!(part.len() <= MAX_BATCH_ENTRIES && raw <= BATCH_SOFT_BYTES);
            back.extend(part);
        }
        assert_eq!(back, entries);
    }

    #[test]
    fn a_large_entry_travels_alone() {
        let entries = vec![vec![1; 10], vec![2; MAX_ENTRY_BYTES], vec![3; 10]];
        let batches = encode(&entries);
        assert_eq!(
            batches.iter().map(|(count, _)| *count).collect::<Vec<_>>(),
            [1, 1, 1]
        );
        assert_eq!(
            decode(&batches[1].1, 1).expect("decodes"),
            vec![vec![2; MAX_ENTRY_BYTES]]
        );
    }

    #[test]
    fn an_empty_answer_is_one_empty_batch() {
        let batches = encode(&[]);
        assert_eq!(batches.len(), 1);
        assert_eq!(
            decode(&batches[0].1, 0).expect("decodes"),
            Vec::<Vec<u8>>::new()
        );
    }

    #[test]
    fn lying_counts_and_lengths_are_refused() {
        let (_, compressed) = encode(&[vec![1; 10], vec![2; 10]]).remove(0);
        assert!(matches!(
            decode(&compressed, 1),
            Err(BatchError::CountMismatch { .. })
        ));
        assert!(matches!(
            decode(&compressed, 3),
            Err(BatchError::CountMismatch { .. })
        ));
        // A length prefix promising more than follows.
        let raw = [0xff, 0xff, 0x01, 1, 2, 3];
        assert!(matches!(decode(&raw, 1), Err(BatchError::Truncated)));
    }

    proptest! {
        #[test]
        fn arbitrary_payloads_never_panic(
            bytes in proptest::collection::vec(any::<u8>(), 0..4096),
            count in 0u32..1024,
        ) {
            let _ = decode(&bytes, count);
        }

    }
}
