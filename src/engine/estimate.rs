//! How long a plan takes on AWS, before it runs: each kind's typical time per action (declared with
//! its sources in its module, `ResourceKind::latency`), summed along the longest dependency chain of the
//! engine's own graph. The engine runs everything else beside that chain, so it is the estimate.

use std::time::Duration;

use super::{build_nodes, Node};
use crate::model::{Address, Op};
use crate::plan::Plan;
use crate::resources::registry;

/// The longest chain of a plan and how long it takes.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    pub total: Duration,
    /// The chain, first action first, each with its own typical time.
    pub path: Vec<(Address, Op, Duration)>,
}

/// The typical time of one node of a plan.
pub fn typical_time(node: &Node) -> Duration {
    let kind = registry::of(node.kind);
    // Some updates take as long as what they change (nodes replaced batch by batch).
    let update = match (&node.op, &node.actual) {
        (Op::Update, Some(have)) => (kind.spec().update_latency)(have, &node.changed),
        _ => None,
    };
    update.unwrap_or_else(|| kind.latency(node.op, node.desired.as_ref())).typical
}

/// How long a deletion typically takes to stop its resource's work (see `Progress::stopped`): its call,
/// the seconds AWS takes to accept it.
pub fn typical_stop(node: &Node) -> Duration {
    typical_time(node).min(crate::resources::Latency::at_once(node.op).typical)
}

/// The estimate of a plan with changes; None without changes.
pub fn estimate(plan: &Plan) -> Option<Estimate> {
    longest_path(&build_nodes(plan), typical_time, typical_stop)
}

/// The chain of `nodes` that takes longest when each node takes `time` (and a deletion stops its
/// resource's work `stop` after it starts, for the `after_stop` edges): no schedule can finish sooner.
/// None without nodes.
pub fn longest_path(
    nodes: &[Node],
    time: impl Fn(&Node) -> Duration,
    stop: impl Fn(&Node) -> Duration,
) -> Option<Estimate> {
    let own: Vec<Duration> = nodes.iter().map(time).collect();
    let stops: Vec<Duration> = nodes.iter().zip(&own).map(|(n, &own)| stop(n).min(own)).collect();
    // Longest finish time of each node; nodes come in no particular order, so settle them repeatedly
    // (a plan has no cycle; the engine refuses one, and so does this loop by its bound).
    let mut finish: Vec<Option<Duration>> = vec![None; nodes.len()];
    // The dependency the node waited for last, and whether only for its stop.
    let mut before: Vec<Option<(usize, bool)>> = vec![None; nodes.len()];
    for _ in 0..nodes.len() {
        for (i, node) in nodes.iter().enumerate() {
            if finish[i].is_some() {
                continue;
            }
            // When each dependency lets this node start: at its end, or (stop edges) once it stopped;
            // not settled yet while any dependency is not.
            let ready_at = |d: usize, via_stop: bool| {
                finish[d].map(|end| if via_stop { end.saturating_sub(own[d]) + stops[d] } else { end })
            };
            let edges = node.deps.iter().map(|&d| (d, false)).chain(node.after_stop.iter().map(|&d| (d, true)));
            let Some(ready) =
                edges.map(|(d, via_stop)| Some((ready_at(d, via_stop)?, (d, via_stop)))).collect::<Option<Vec<_>>>()
            else {
                continue;
            };
            let latest = ready.into_iter().max_by_key(|&(at, _)| at);
            // A node with no dependency starts at once.
            finish[i] = Some(own[i] + latest.map_or(Duration::ZERO, |(at, _)| at));
            before[i] = latest.map(|(_, edge)| edge);
        }
    }
    let (mut at, total) = finish.iter().enumerate().filter_map(|(i, f)| Some((i, (*f)?))).max_by_key(|(_, f)| *f)?;
    let mut path = vec![(nodes[at].address.clone(), nodes[at].op, own[at])];
    while let Some((previous, via_stop)) = before[at] {
        at = previous;
        // Through a stop edge, the chain waited only for the start of that deletion.
        let took = if via_stop { stops[at] } else { own[at] };
        path.push((nodes[at].address.clone(), nodes[at].op, took));
    }
    path.reverse();
    Some(Estimate { total, path })
}

/// `about 27 min` / `about 40 s`.
pub fn about(duration: Duration) -> String {
    let secs = duration.as_secs();
    if secs >= 90 {
        format!("about {} min", (secs + 30) / 60)
    } else {
        format!("about {secs} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::{desired, offline_facts};
    use crate::plan::diff;

    fn plan_of(yaml: &str) -> Plan {
        let topology = crate::topology::parse(std::path::Path::new("t.yaml"), yaml).expect("valid").topology;
        let wanted = desired(&topology, &offline_facts(&topology)).expect("composes");
        diff(&topology.name, &topology.region, &wanted, Vec::new())
    }

    const fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    /// The Spark cluster starts beside the database; the chain is the database, then the metastore's
    /// attachment, not the database then the cluster.
    #[test]
    fn the_multi_az_database_then_the_metastore_attachment_is_the_longest_chain_of_the_full_example() {
        let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/smarten-spark.yaml");
        let text = std::fs::read_to_string(example).expect("example");
        let estimate = estimate(&plan_of(&text)).expect("changes");
        let chain: Vec<&str> = estimate.path.iter().map(|(a, _, _)| a.as_str()).collect();
        assert!(chain.contains(&"database/instance") && chain.last() == Some(&"spark/metastore"), "{chain:?}");
        assert!(!chain.contains(&"spark/cluster"), "{chain:?}");
        // 18 min of database, then 1.5 of reconfiguration, plus the seconds of what comes before them.
        assert!(estimate.total >= secs(19 * 60 + 30) && estimate.total < secs(20 * 60 + 30), "{:?}", estimate.total);
    }

    /// A deletion that waits only for another to stop working starts seconds after it, not at its end.
    #[test]
    fn a_stop_edge_counts_the_stop_not_the_whole_deletion() {
        use crate::model::{Address, Kind};
        let node = |address: &str, kind, deps: Vec<usize>, after_stop: Vec<usize>| Node {
            after_stop,
            ..Node::bare(address, kind, Op::Delete, &deps)
        };
        let nodes = vec![
            node("spark/cluster", Kind::EmrCluster, vec![], vec![]),
            node("database/instance", Kind::DbInstance, vec![], vec![0]),
        ];
        let time = |n: &Node| if n.kind == Kind::EmrCluster { secs(600) } else { secs(300) };
        let estimate = longest_path(&nodes, time, |_| secs(2)).expect("nodes");
        assert_eq!(estimate.total, secs(600), "the cluster's 10 minutes, not 10 + 5");
        let hard = vec![
            node("spark/cluster", Kind::EmrCluster, vec![], vec![]),
            node("database/instance", Kind::DbInstance, vec![0], vec![]),
        ];
        assert_eq!(longest_path(&hard, time, |_| secs(2)).expect("nodes").total, secs(900));
        let mut late = nodes;
        late[1].kind = Kind::Subnet;
        let long = |n: &Node| if n.kind == Kind::EmrCluster { secs(60) } else { secs(300) };
        let estimate = longest_path(&late, long, |_| secs(2)).expect("nodes");
        assert_eq!(estimate.total, secs(302), "the stop, then the dependent's own time");
        assert_eq!(estimate.path[0], (Address::new("spark/cluster"), Op::Delete, secs(2)));
    }

    #[test]
    fn durations_read_in_minutes_or_seconds() {
        assert_eq!(about(secs(40)), "about 40 s");
        assert_eq!(about(secs(27 * 60 + 40)), "about 28 min");
    }
}
