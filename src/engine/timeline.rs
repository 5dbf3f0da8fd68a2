//! When nodes run: which to start first when more are ready than may run, and, afterwards, which chain
//! of actions the run's time went to.

use std::time::Duration;

use super::estimate::typical_stop;
use super::{typical_time, Node, Outcome};

/// When one action ran, from the start of the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: Duration,
    pub end: Duration,
    /// When a deletion said its resource stopped working (`Progress::stopped`), if it did.
    pub stopped: Option<Duration>,
}

impl Span {
    pub fn elapsed(&self) -> Duration {
        self.end.saturating_sub(self.start)
    }
}

/// Node indexes, longest typical chain still ahead first (the node's own time plus its longest chain of
/// dependents): list scheduling by critical path, so a bounded engine starts the database before a
/// dozen security groups that nothing slow waits for. Ties keep plan order. Every typical time is
/// positive, so a node always comes before its dependents: the engine's one pass over this order marks
/// a failed node's dependents skipped in the same pass.
pub(super) fn by_chain_ahead(nodes: &[Node]) -> Vec<usize> {
    // Dependents of each node, and whether they wait only for it to stop working.
    let mut dependents: Vec<Vec<(usize, bool)>> = vec![Vec::new(); nodes.len()];
    for (i, node) in nodes.iter().enumerate() {
        for &d in &node.deps {
            dependents[d].push((i, false));
        }
        for &d in &node.after_stop {
            dependents[d].push((i, true));
        }
    }
    let mut ahead: Vec<Option<Duration>> = vec![None; nodes.len()];
    // Settle from the ends of the graph backwards; the bound stops a cycle (which the engine reports).
    for _ in 0..nodes.len() {
        for i in 0..nodes.len() {
            if ahead[i].is_some() || dependents[i].iter().any(|&(j, _)| ahead[j].is_none()) {
                continue;
            }
            let own = typical_time(&nodes[i]);
            let stop = typical_stop(&nodes[i]).min(own);
            // A dependent that waits for the stop only can start `stop` after this node does.
            let through = |&(j, via_stop): &(usize, bool)| ahead[j].map(|a| a + if via_stop { stop } else { own });
            ahead[i] = Some(dependents[i].iter().filter_map(through).max().unwrap_or(own).max(own));
        }
    }
    let mut order: Vec<usize> = (0..nodes.len()).collect();
    // A node never settled (only in a cycle, which the engine refuses) is None and sorts last.
    order.sort_by_key(|&i| std::cmp::Reverse(ahead[i]));
    order
}

/// The chain the run waited on, first action first: from the action that finished last, back through
/// the dependency that finished last before it started, and so on.
pub fn longest_chain(nodes: &[(Node, Outcome)]) -> Vec<usize> {
    let span = |i: usize| match &nodes[i].1 {
        Outcome::Done(span) => Some(*span),
        _ => None,
    };
    let Some(mut at) = (0..nodes.len()).filter(|&i| span(i).is_some()).max_by_key(|&i| span(i).map(|s| s.end)) else {
        return Vec::new();
    };
    let mut chain = vec![at];
    // A dependency lets its dependent go at its end, or (a stop edge) when it stopped working.
    let released =
        |d: usize, via_stop: bool| span(d).map(|s| if via_stop { s.stopped.unwrap_or(s.end) } else { s.end });
    while let Some((previous, _)) = nodes[at]
        .0
        .deps
        .iter()
        .map(|&d| (d, false))
        .chain(nodes[at].0.after_stop.iter().map(|&d| (d, true)))
        .filter(|&(d, _)| span(d).is_some())
        .max_by_key(|&(d, via_stop)| released(d, via_stop))
    {
        chain.push(previous);
        at = previous;
    }
    chain.reverse();
    chain
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Kind, Op};

    fn node(address: &str, kind: Kind, deps: &[usize]) -> Node {
        Node::bare(address, kind, Op::Create, deps)
    }

    #[test]
    fn the_start_of_the_slow_chain_comes_before_quick_work() {
        let nodes = vec![
            node("network/security-group/a", Kind::SecurityGroup, &[]),
            node("network/security-group/b", Kind::SecurityGroup, &[]),
            node("database/subnet-group", Kind::DbSubnetGroup, &[]),
            node("database/instance", Kind::DbInstance, &[2]),
        ];
        let order = by_chain_ahead(&nodes);
        assert_eq!(order[0], 2, "{order:?}");
        assert_eq!(order[1], 3, "{order:?}");
    }

    #[test]
    fn every_node_of_the_full_example_comes_after_what_it_depends_on() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/smarten-spark.yaml");
        let text = std::fs::read_to_string(&path).expect("example");
        let topology = crate::topology::parse(&path, &text).expect("valid").topology;
        let wanted = crate::compose::desired(&topology, &crate::compose::offline_facts(&topology)).expect("composes");
        let apply = crate::plan::diff(&topology.name, &topology.region, &wanted, Vec::new());
        let made: Vec<crate::model::Actual> = wanted
            .iter()
            .enumerate()
            .map(|(n, w)| crate::model::Actual::new(w.address.clone(), w.kind, format!("id-{n}")))
            .collect();
        let destroy = crate::plan::Plan::destroy_all(&topology.name, &topology.region, made);
        for plan in [apply, destroy] {
            let nodes = crate::engine::build_nodes(&plan);
            let order = by_chain_ahead(&nodes);
            let position: Vec<usize> =
                (0..nodes.len()).map(|i| order.iter().position(|&o| o == i).expect("every node")).collect();
            for (i, node) in nodes.iter().enumerate() {
                for &d in &node.deps {
                    assert!(position[d] < position[i], "{} before its dependency {}", node.address, nodes[d].address);
                }
            }
        }
    }

    #[test]
    fn the_chain_follows_the_dependency_that_finished_last() {
        let done = |start, end| {
            Outcome::Done(Span { start: Duration::from_secs(start), end: Duration::from_secs(end), stopped: None })
        };
        let nodes = vec![
            (node("a", Kind::Vpc, &[]), done(0, 1)),
            (node("b", Kind::Subnet, &[0]), done(1, 2)),
            (node("c", Kind::NatGateway, &[1]), done(2, 100)),
            (node("d", Kind::RouteTable, &[0]), done(1, 3)),
            (node("e", Kind::Listener, &[2, 3]), done(100, 101)),
            (node("f", Kind::SecurityGroup, &[]), Outcome::NotStarted),
        ];
        assert_eq!(longest_chain(&nodes), vec![0, 1, 2, 4]);
    }
}
