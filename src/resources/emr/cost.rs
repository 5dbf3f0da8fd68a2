//! What the Spark cluster costs: its node groups (one master, the core and task counts), each node at
//! its EC2 price plus EMR's charge for its instance type.

use crate::model::charge::{Charge, Item, PriceKey, Quantity};
use crate::model::Prop;

/// A node group the cluster is billed for, named by the cluster's own properties (which stay in its
/// module: this one reads them without importing it, so the two never import each other).
pub(super) struct Billed {
    pub role: &'static str,
    /// The property holding how many nodes it has; `None` for the master, which is always one.
    pub count: Option<&'static Prop>,
    pub instance_type: &'static Prop,
}

/// The charge of `item`'s node groups `billed`, in the order given.
pub(super) fn nodes(item: &Item<'_>, billed: &[Billed]) -> Option<Charge> {
    let mut groups: Vec<(&str, i64, &str)> = Vec::new();
    for group in billed {
        let count = match group.count {
            Some(prop) => item.int(prop),
            None => Some(1),
        };
        if let (Some(count), Some(t)) = (count, item.text(group.instance_type)) {
            if count > 0 {
                groups.push((group.role, count, t));
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
