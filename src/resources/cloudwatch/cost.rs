//! What an alarm costs: one standard-resolution alarm-month per alarm, whatever it watches.

use crate::model::charge::{Charge, Item, PriceKey, Quantity};

pub(super) fn alarm(_: &Item<'_>, _: &[Item<'_>]) -> Option<Charge> {
    Some(Charge {
        what: "CloudWatch alarm".into(),
        parts: vec![(PriceKey::CloudWatchAlarmMonth, Quantity::Months(1.0))],
        note: None,
    })
}
