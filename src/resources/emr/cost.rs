//! What the Spark cluster costs: one master, the core and task counts, each node at its EC2 price plus
//! EMR's charge for its instance type.

use super::cluster::{CORE_COUNT, CORE_TYPE, MASTER_TYPE, TASK_COUNT, TASK_TYPE};
use crate::model::charge::{Charge, Item, PriceKey, Quantity};

pub(super) fn cluster(item: &Item<'_>, _: &[Item<'_>]) -> Option<Charge> {
    let mut groups: Vec<(&str, i64, &str)> = Vec::new();
    for (role, count, type_prop) in [
        ("master", Some(1), &MASTER_TYPE),
        ("core", item.int(&CORE_COUNT), &CORE_TYPE),
        ("task", item.int(&TASK_COUNT), &TASK_TYPE),
    ] {
        if let (Some(count), Some(t)) = (count, item.text(type_prop)) {
            if count > 0 {
                groups.push((role, count, t));
            }
        }
    }
    let mut parts = Vec::new();
    for (_, count, t) in &groups {
        parts.push((PriceKey::Ec2Instance((*t).to_owned()), Quantity::Hours(*count as f64)));
        parts.push((PriceKey::EmrUplift((*t).to_owned()), Quantity::Hours(*count as f64)));
    }
    let what = groups.iter().map(|(role, count, t)| format!("{role} {count} x {t}")).collect::<Vec<_>>().join(" + ");
    Some(Charge { what: format!("{what} (EC2 + EMR)"), parts, note: None })
}
