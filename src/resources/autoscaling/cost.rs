//! What the app nodes cost: the group's size (desired, else min) times the hourly price of the instance
//! type its launch template gives them.

use super::group_props::{DESIRED, LAUNCH_TEMPLATE, MAX, MIN};
use crate::model::charge::{Charge, Item, PriceKey, Quantity};
use crate::model::INSTANCE_TYPE;

pub(super) fn app_nodes(item: &Item<'_>, all: &[Item<'_>]) -> Option<Charge> {
    let count = item.int(&DESIRED).or_else(|| item.int(&MIN)).unwrap_or(0);
    // The resource the group launches from: the one its launch template property names, or (a plan's
    // desired state names an existing template by id, which its own desired state does not carry) the
    // one resource that launches nodes at all.
    let launchers: Vec<&Item<'_>> = all.iter().filter(|i| i.text(&INSTANCE_TYPE).is_some()).collect();
    let named = launchers.iter().find(|t| t.is(item.value(&LAUNCH_TEMPLATE)));
    let launcher = named.or(if launchers.len() == 1 { launchers.first() } else { None });
    let Some(instance_type) = launcher.and_then(|t| t.text(&INSTANCE_TYPE)) else {
        return Some(Charge { what: format!("{count} nodes of an unknown instance type"), parts: vec![], note: None });
    };
    let max = item.int(&MAX).filter(|&m| m > count);
    Some(Charge {
        // A group that cannot grow past its count says nothing of scaling.
        what: format!("{count} x {instance_type}{}", max.map(|m| format!(" (scales to {m})")).unwrap_or_default()),
        parts: vec![(PriceKey::Ec2Instance(instance_type.to_owned()), Quantity::Hours(count as f64))],
        note: None,
    })
}
