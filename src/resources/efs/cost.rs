//! What the file system costs: the data it stores, by the GB-month (Standard storage).

use crate::model::charge::{Charge, Item, PriceKey, Quantity};

const BYTES_PER_GB: f64 = 1024.0 * 1024.0 * 1024.0;

/// The attribute discovery records the data stored in, in bytes, as EFS last metered it.
pub const SIZE_BYTES: &str = "size_bytes";

pub(super) fn file_system(item: &Item<'_>, _: &[Item<'_>]) -> Option<Charge> {
    let bytes = item.attr(SIZE_BYTES).and_then(|s| s.parse::<f64>().ok());
    Some(match bytes {
        Some(bytes) => {
            let gb = bytes / BYTES_PER_GB;
            Charge {
                what: format!("{gb:.2} GB stored"),
                parts: vec![(PriceKey::EfsStandardGbMonth, Quantity::GbMonths(gb))],
                note: None,
            }
        }
        // Before apply there is no data: the rate is all there is to say.
        None => Charge { what: "file system".into(), parts: vec![], note: Some(PriceKey::EfsStandardGbMonth) },
    })
}
