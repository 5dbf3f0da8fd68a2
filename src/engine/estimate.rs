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

/// The estimate of a plan with changes; None without changes.
pub fn estimate(plan: &Plan) -> Option<Estimate> {
    longest_path(&build_nodes(plan), typical_time)
}

/// The chain of `nodes` that takes longest when each node takes `time`: no schedule can finish sooner.
/// None without nodes.
pub fn longest_path(nodes: &[Node], time: impl Fn(&Node) -> Duration) -> Option<Estimate> {
    let own: Vec<Duration> = nodes.iter().map(time).collect();
    // Longest finish time of each node; nodes come in no particular order, so settle them repeatedly
    // (a plan has no cycle; the engine refuses one, and so does this loop by its bound).
    let mut finish: Vec<Option<Duration>> = vec![None; nodes.len()];
    let mut before: Vec<Option<usize>> = vec![None; nodes.len()];
    for _ in 0..nodes.len() {
        for (i, node) in nodes.iter().enumerate() {
            if finish[i].is_some() || node.deps.iter().any(|&d| finish[d].is_none()) {
                continue;
            }
            let latest = node.deps.iter().copied().max_by_key(|&d| finish[d]);
            finish[i] = Some(own[i] + latest.and_then(|d| finish[d]).unwrap_or_default());
            before[i] = latest;
        }
    }
    let (mut at, total) = finish.iter().enumerate().filter_map(|(i, f)| Some((i, (*f)?))).max_by_key(|(_, f)| *f)?;
    let mut path = vec![(nodes[at].address.clone(), nodes[at].op, own[at])];
    while let Some(previous) = before[at] {
        at = previous;
        path.push((nodes[at].address.clone(), nodes[at].op, own[at]));
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

    #[test]
    fn the_multi_az_database_then_the_spark_cluster_is_the_longest_chain_of_the_full_example() {
        let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/smarten-spark.yaml");
        let text = std::fs::read_to_string(example).expect("example");
        let estimate = estimate(&plan_of(&text)).expect("changes");
        let chain: Vec<&str> = estimate.path.iter().map(|(a, _, _)| a.as_str()).collect();
        assert!(chain.contains(&"database/instance") && chain.last() == Some(&"spark/cluster"), "{chain:?}");
        // 18 min of database, then 9 of EMR, plus the seconds of what comes before them.
        assert!(estimate.total >= secs(27 * 60) && estimate.total < secs(29 * 60), "{:?}", estimate.total);
    }

    #[test]
    fn durations_read_in_minutes_or_seconds() {
        assert_eq!(about(secs(40)), "about 40 s");
        assert_eq!(about(secs(27 * 60 + 40)), "about 28 min");
    }
}
