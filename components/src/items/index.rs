//! A lookup of the catalog's items by id, built on first use: a catalog of thousands of items is
//! searched in constant time, not item by item. The items stay a public list; a lookup that finds
//! an index entry pointing elsewhere (the list was changed after the index was built) falls back
//! to a scan, so a stale index is only slower, never wrong.

use super::ItemSpec;
use foldhash::fast::RandomState;
use std::collections::HashMap;
use std::sync::OnceLock;

/// Positions of items in the catalog's list, by id.
#[derive(Debug, Clone, Default)]
pub(super) struct ItemIndex(OnceLock<HashMap<String, usize, RandomState>>);

impl ItemIndex {
    pub(super) fn find<'a>(&self, items: &'a [ItemSpec], id: &str) -> Option<&'a ItemSpec> {
        let positions = self.0.get_or_init(|| {
            items
                .iter()
                .enumerate()
                .map(|(position, item)| (item.id.clone(), position))
                .collect()
        });
        match positions.get(id).and_then(|position| items.get(*position)) {
            Some(item) if item.id == id => Some(item),
            _ => items.iter().find(|item| item.id == id),
        }
    }
}

/// An index says nothing of a catalog's contents: catalogs are equal by their lists.
impl PartialEq for ItemIndex {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
