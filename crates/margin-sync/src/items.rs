//! The `(time, id)` items of one space, as negentropy reads them.
//!
//! The service keeps one [`Items`] per space for as long as it runs: loaded from the
//! host's store once, then updated as entries are accepted or written locally. New items
//! land in an unsorted buffer and are merged into the sorted vector only when the next
//! reconciliation needs it, so accepting a batch of 512 entries into a 100 000-entry
//! space costs one merge, not 512 shifts.

use std::collections::HashSet;

use margin_core::Timestamp;
use margin_core::id::EntryId;
use negentropy::{Bound, Error as NegentropyError, Id, Item, NegentropyStorageBase};

/// Negentropy uses `u64::MAX` as "past every item"; an entry claiming that time is
/// reconciled as if it were one millisecond earlier (every node does the same).
const MAX_TIME: u64 = u64::MAX - 1;

/// The items of one space.
#[derive(Debug, Default)]
pub struct Items {
    sorted: Sorted,
    fresh: Vec<Item>,
    ids: HashSet<EntryId>,
}

impl Items {
    /// The items of a space as the host's store lists them (any order, duplicates allowed).
    pub fn new(items: impl IntoIterator<Item = (Timestamp, EntryId)>) -> Self {
        let mut this = Self::default();
        for (time, id) in items {
            this.insert(time, id);
        }
        this.seal();
        this
    }

    /// Adds an item; false if the id was already there.
    pub fn insert(&mut self, time: Timestamp, id: EntryId) -> bool {
        if !self.ids.insert(id) {
            return false;
        }
        self.fresh.push(Item::with_timestamp_and_id(
            time.as_millis().min(MAX_TIME),
            Id::from_byte_array(id.0),
        ));
        true
    }

    pub fn contains(&self, id: &EntryId) -> bool {
        self.ids.contains(id)
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The items sorted by `(time, id)`, ready for negentropy.
    pub fn sealed(&mut self) -> &Sorted {
        self.seal();
        &self.sorted
    }

    fn seal(&mut self) {
        if self.fresh.is_empty() {
            return;
        }
        self.fresh.sort_unstable();
        let old = std::mem::take(&mut self.sorted.0);
        let fresh = std::mem::take(&mut self.fresh);
        let mut merged = Vec::with_capacity(old.len() + fresh.len());
        let (mut a, mut b) = (old.into_iter().peekable(), fresh.into_iter().peekable());
        loop {
            let next = match (a.peek(), b.peek()) {
                (Some(x), Some(y)) if x <= y => a.next(),
                (Some(_), Some(_)) => b.next(),
                (Some(_), None) => a.next(),
                (None, Some(_)) => b.next(),
                (None, None) => break,
            };
            merged.extend(next);
        }
        self.sorted.0 = merged;
    }
}

impl Items {
    /// The items that follow `after` in `(time, id)` order (all of them from `None`).
    pub fn after(
        &mut self,
        after: Option<(Timestamp, EntryId)>,
    ) -> impl Iterator<Item = (Timestamp, EntryId)> {
        let sorted = &self.sealed().0;
        let start = match after {
            None => 0,
            Some((time, id)) => {
                let bound = Item::with_timestamp_and_id(
                    time.as_millis().min(MAX_TIME),
                    Id::from_byte_array(id.0),
                );
                sorted.partition_point(|item| *item <= bound)
            }
        };
        sorted[start..].iter().map(|item| {
            (
                Timestamp::from_millis(item.timestamp),
                EntryId::from_bytes(item.id.to_bytes()),
            )
        })
    }
}

/// Items sorted by `(time, id)`, without duplicates: negentropy's storage.
#[derive(Debug, Default)]
pub struct Sorted(Vec<Item>);

impl NegentropyStorageBase for Sorted {
    fn size(&self) -> Result<usize, NegentropyError> {
        Ok(self.0.len())
    }

    fn get_item(&self, i: usize) -> Result<Option<Item>, NegentropyError> {
        Ok(self.0.get(i).copied())
    }

    fn iterate(
        &self,
        begin: usize,
        end: usize,
        cb: &mut dyn FnMut(Item, usize) -> Result<bool, NegentropyError>,
    ) -> Result<(), NegentropyError> {
        let items = self.0.get(begin..end).ok_or(NegentropyError::BadRange)?;
        for (offset, item) in items.iter().enumerate() {
            if !cb(*item, begin + offset)? {
                break;
            }
        }
        Ok(())
    }

    fn find_lower_bound(&self, first: usize, last: usize, value: &Bound) -> usize {
        // Negentropy passes indices it got from us; clamp anyway, a panic here would be
        // a remote crash.
        let last = last.min(self.0.len());
        let first = first.min(last);
        first + self.0[first..last].partition_point(|item| *item < value.item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ms: u64) -> Timestamp {
        Timestamp::from_millis(ms)
    }

    fn id(n: u8) -> EntryId {
        EntryId::from_bytes([n; 32])
    }

    #[test]
    fn merges_keep_items_sorted_and_unique() {
        let mut items = Items::new([(t(5), id(1)), (t(1), id(2)), (t(5), id(1))]);
        assert_eq!(items.len(), 2);
        assert!(items.insert(t(3), id(3)));
        assert!(!items.insert(t(3), id(3)));
        assert!(items.insert(Timestamp::MAX, id(4)));
        let sorted = items.sealed();
        let times: Vec<u64> = sorted.0.iter().map(|item| item.timestamp).collect();
        assert_eq!(times, [1, 3, 5, MAX_TIME]);
        assert_eq!(sorted.find_lower_bound(0, 4, &Bound::with_timestamp(4)), 2);
        assert_eq!(sorted.find_lower_bound(9, 2, &Bound::with_timestamp(4)), 2);
        let after: Vec<u64> = items
            .after(Some((t(3), id(3))))
            .map(|(time, _)| time.as_millis())
            .collect();
        assert_eq!(after, [5, MAX_TIME]);
        assert_eq!(items.after(None).count(), 4);
        assert_eq!(items.after(Some((t(2), id(9)))).count(), 3);
    }
}
