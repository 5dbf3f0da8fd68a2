use std::collections::{BTreeMap, BTreeSet};

use crate::model::{Address, Desired};

/// Desired resources with every resource after the ones it depends on (stable: ties keep creation order).
/// References to resources outside the set (existing VPC ids are plain strings, not references) are
/// ignored; a cycle would be a bug in the composition, and its members are appended at the end.
pub fn topological(desired: &[Desired]) -> Vec<&Desired> {
    let known: BTreeSet<&Address> = desired.iter().map(|d| &d.address).collect();
    let mut remaining: BTreeMap<&Address, Vec<Address>> = desired
        .iter()
        .map(|d| (&d.address, d.depends_on().into_iter().filter(|a| known.contains(a)).collect()))
        .collect();
    let mut done: BTreeSet<Address> = BTreeSet::new();
    let mut out = Vec::with_capacity(desired.len());
    loop {
        let ready: Vec<&Desired> = desired
            .iter()
            .filter(|d| remaining.get(&d.address).is_some_and(|deps| deps.iter().all(|a| done.contains(a))))
            .collect();
        if ready.is_empty() {
            break;
        }
        for d in ready {
            remaining.remove(&d.address);
            done.insert(d.address.clone());
            out.push(d);
        }
    }
    out.extend(desired.iter().filter(|d| remaining.contains_key(&d.address)));
    out
}
