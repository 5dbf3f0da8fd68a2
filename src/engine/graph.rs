//! Plan changes -> executable nodes with dependencies.

use std::collections::BTreeMap;

use super::Op;
use crate::model::{Actual, Address, Desired, Kind};
use crate::plan::{Action, Plan};
use crate::resources::deleted_after;

/// One action on one resource.
#[derive(Debug, Clone)]
pub struct Node {
    pub address: Address,
    pub kind: Kind,
    pub op: Op,
    pub desired: Option<Desired>,
    pub actual: Option<Actual>,
    /// Indexes of the nodes that must succeed first.
    pub deps: Vec<usize>,
}

/// Build the nodes of a plan.
///
/// - create/update X waits for the create/update of everything X's properties refer to, and for the
///   deletion of the old X when X is replaced;
/// - delete X waits for the deletion of everything that refers to X's id, of the kinds AWS links to X
///   without an id ([`deleted_after`]), and for the update of any resource that refers to X now and will
///   stop referring to it.
pub fn build_nodes(plan: &Plan) -> Vec<Node> {
    let mut nodes = Vec::new();
    for change in &plan.changes {
        let node = |op| Node {
            address: change.address.clone(),
            kind: change.kind,
            op,
            desired: change.desired.clone(),
            actual: change.actual.clone(),
            deps: Vec::new(),
        };
        match change.action {
            Action::NoOp => {}
            Action::Create => nodes.push(node(Op::Create)),
            Action::Update => nodes.push(node(Op::Update)),
            Action::Delete => nodes.push(node(Op::Delete)),
            Action::Replace => {
                nodes.push(node(Op::Delete));
                nodes.push(Node { actual: None, ..node(Op::Create) });
            }
        }
    }

    let applies: BTreeMap<Address, usize> = nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.op != Op::Delete)
        .map(|(i, n)| (n.address.clone(), i))
        .collect();
    let deletes: Vec<usize> = (0..nodes.len()).filter(|&i| nodes[i].op == Op::Delete).collect();

    for i in 0..nodes.len() {
        let mut deps = Vec::new();
        let node = &nodes[i];
        match node.op {
            Op::Create | Op::Update => {
                if let Some(desired) = &node.desired {
                    deps.extend(desired.depends_on().iter().filter_map(|a| applies.get(a).copied()));
                }
                deps.extend(deletes.iter().copied().filter(|&d| nodes[d].address == node.address));
            }
            Op::Delete => {
                let Some(me) = &node.actual else { continue };
                for &d in &deletes {
                    if d == i {
                        continue;
                    }
                    let other = &nodes[d];
                    let refers = other.actual.as_ref().is_some_and(|a| a.refers_to(&me.id));
                    if refers || deleted_after(me.kind).contains(&other.kind) {
                        deps.push(d);
                    }
                }
                // An updated resource that refers to me today moves off me first, unless its update
                // needs my replacement (then it waits for me instead, and AWS decides).
                for (j, other) in nodes.iter().enumerate() {
                    let moves_off = other.op == Op::Update
                        && other.actual.as_ref().is_some_and(|a| a.refers_to(&me.id))
                        && !other.desired.as_ref().is_some_and(|d| d.depends_on().contains(&node.address));
                    if moves_off {
                        deps.push(j);
                    }
                }
            }
        }
        deps.sort_unstable();
        deps.dedup();
        nodes[i].deps = deps;
    }
    nodes
}
