//! The graph a Terraform configuration of the same deployment walks, derived from clusterup's own.
//!
//! Terraform orders resources by the references in its configuration: a resource is created after
//! everything whose attributes it names and destroyed, completely, before them. A configuration of this
//! deployment written the usual way names the database where the value is used:
//! - the app launch template's user data (`aws_db_instance.x.address`, the secret's ARN);
//! - the app's and the Spark nodes' role policies (`master_user_secret[0].secret_arn`);
//! - the EMR cluster's `configurations_json` (the metastore's JDBC URL) and bootstrap script (the
//!   secret's ARN); Terraform has no resource that reconfigures a running cluster's master group, so
//!   the metastore is part of the cluster and `spark/metastore` does not exist;
//! - each read replica in the app role's policy (`aws_db_instance.replica.arn`, computed once it is
//!   made), where clusterup names the replicas by their known identifiers and the nodes look their
//!   endpoints up at boot.
//!
//! clusterup resolves those later or elsewhere (the nodes look the database up when it is available,
//! the policies admit the secret by its RDS tag, `spark/metastore` attaches the metastore once both
//! exist), which is what moves its critical path; the baseline keeps the references, and with them the
//! graph clusterup walked before. Everything else is clusterup's graph unchanged, including the waits
//! that follow AWS's own rules (a subnet after the instances in it, ...). Destroy waits for whole
//! deletions: Terraform has no notion of a resource that stopped working but is not gone yet.

use std::collections::BTreeMap;

use clusterup::engine::Node;
use clusterup::model::names;
use clusterup::model::Op;

/// (resource, the resource it names in a Terraform configuration) beyond clusterup's own references.
const REFERENCES: &[(&str, &str)] = &[
    (names::app::LAUNCH_TEMPLATE, names::database::INSTANCE),
    (names::iam::APP_ROLE, names::database::INSTANCE),
    (names::iam::SPARK_NODE_ROLE, names::database::INSTANCE),
    (names::spark::CLUSTER, names::database::INSTANCE),
];

/// clusterup's graph as Terraform would walk it (see the module's documentation).
pub fn graph(nodes: Vec<Node>) -> Vec<Node> {
    let mut nodes = fold_metastore_into_cluster(nodes);
    let at =
        |nodes: &[Node], address: &str, op: Op| nodes.iter().position(|n| n.address.as_str() == address && n.op == op);
    let replicas: Vec<String> = nodes
        .iter()
        .map(|n| n.address.as_str().to_owned())
        .filter(|a| a.starts_with(names::database::REPLICAS))
        .collect();
    let mut references: Vec<(&str, &str)> = REFERENCES.to_vec();
    references.extend(replicas.iter().map(|r| (names::iam::APP_ROLE, r.as_str())));
    for &(user, used) in &references {
        for op in [Op::Create, Op::Update] {
            if let (Some(u), Some(d)) = (at(&nodes, user, op), at(&nodes, used, op)) {
                nodes[u].deps.push(d);
            }
        }
        // Destroyed only once what names it is gone.
        if let (Some(u), Some(d)) = (at(&nodes, user, Op::Delete), at(&nodes, used, Op::Delete)) {
            nodes[d].deps.push(u);
        }
    }
    for node in &mut nodes {
        let stops = std::mem::take(&mut node.after_stop);
        node.deps.extend(stops);
        node.deps.sort_unstable();
        node.deps.dedup();
    }
    nodes
}

/// Remove `spark/metastore`'s nodes: their dependencies become the cluster's (same action), and what
/// depended on them depends on the cluster.
fn fold_metastore_into_cluster(nodes: Vec<Node>) -> Vec<Node> {
    let find = |address: &str, op: Op| nodes.iter().position(|n| n.address.as_str() == address && n.op == op);
    let mut into: BTreeMap<usize, usize> = BTreeMap::new();
    for op in [Op::Create, Op::Update, Op::Delete] {
        if let (Some(m), Some(c)) = (find(names::spark::METASTORE, op), find(names::spark::CLUSTER, op)) {
            into.insert(m, c);
        }
    }
    let mut nodes = nodes;
    for (&m, &c) in &into {
        let (deps, stops) = (nodes[m].deps.clone(), nodes[m].after_stop.clone());
        nodes[c].deps.extend(deps.into_iter().chain(stops).filter(|&d| d != c));
    }
    // Renumber without the removed nodes.
    let kept: Vec<usize> = (0..nodes.len()).filter(|i| !into.contains_key(i)).collect();
    let new_index: BTreeMap<usize, usize> = kept.iter().enumerate().map(|(new, &old)| (old, new)).collect();
    let remap = |deps: &[usize], me: usize| -> Vec<usize> {
        let mut out: Vec<usize> = deps
            .iter()
            .map(|d| into.get(d).copied().unwrap_or(*d))
            .filter(|&d| d != me)
            .filter_map(|d| new_index.get(&d).copied())
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    };
    kept.iter()
        .map(|&old| {
            let node = &nodes[old];
            Node { deps: remap(&node.deps, old), after_stop: remap(&node.after_stop, old), ..node.clone() }
        })
        .collect()
}
