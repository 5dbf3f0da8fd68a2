//! Plan changes -> executable nodes with dependencies.

use std::collections::BTreeMap;

use crate::model::{Actual, Address, Desired, Kind, Op};
use crate::plan::{Action, Plan};
use crate::resources::registry;

/// One action on one resource.
#[derive(Debug, Clone)]
pub struct Node {
    pub address: Address,
    pub kind: Kind,
    pub op: Op,
    pub desired: Option<Desired>,
    pub actual: Option<Actual>,
    /// The properties an update changes (their names), for how long it takes.
    pub changed: Vec<String>,
    /// Indexes of the nodes that must succeed first.
    pub deps: Vec<usize>,
    /// Indexes of deletions that must have stopped their resource's work first (reported through
    /// `Progress::stopped`, or finished): a kind's `Spec::deleted_after_stop`. Never also in `deps`.
    pub after_stop: Vec<usize>,
}

impl Node {
    /// An action on nothing in particular: for tests of what walks the graph.
    #[cfg(test)]
    pub fn bare(address: &str, kind: Kind, op: Op, deps: &[usize]) -> Node {
        Node {
            address: Address::new(address),
            kind,
            op,
            desired: None,
            actual: None,
            changed: Vec::new(),
            deps: deps.to_vec(),
            after_stop: Vec::new(),
        }
    }
}

/// Build the nodes of a plan.
///
/// - create/update X waits for the create/update of everything X's properties refer to, and for the
///   deletion of the old X when X is replaced;
/// - delete X waits for the deletion of everything that refers to X's id, of the kinds AWS links to X
///   without an id (its kind's `deleted_after`), and for the update of any resource that refers to X now
///   and will stop referring to it; and, only until they have stopped working, for the deletions of the
///   kinds its kind's `deleted_after_stop` names.
pub fn build_nodes(plan: &Plan) -> Vec<Node> {
    let mut nodes = Vec::new();
    for change in &plan.changes {
        let node = |op| Node {
            address: change.address.clone(),
            kind: change.kind,
            op,
            desired: change.desired.clone(),
            actual: change.actual.clone(),
            changed: change.changes.iter().map(|c| c.key.clone()).collect(),
            deps: Vec::new(),
            after_stop: Vec::new(),
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

    let applies: BTreeMap<Address, usize> =
        nodes.iter().enumerate().filter(|(_, n)| n.op != Op::Delete).map(|(i, n)| (n.address.clone(), i)).collect();
    let deletes: Vec<usize> = (0..nodes.len()).filter(|&i| nodes[i].op == Op::Delete).collect();

    for i in 0..nodes.len() {
        let mut deps = Vec::new();
        let mut after_stop = Vec::new();
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
                    let refers = other.actual.as_ref().is_some_and(|a| refers_to(a, &me.id));
                    let spec = registry::of(me.kind).spec();
                    if refers || spec.deleted_after.contains(&other.kind) {
                        deps.push(d);
                    } else if spec.deleted_after_stop.contains(&other.kind) {
                        after_stop.push(d);
                    }
                }
                // An updated resource that refers to me today moves off me first, unless its update
                // needs my replacement (then it waits for me instead, and AWS decides).
                for (j, other) in nodes.iter().enumerate() {
                    let moves_off = other.op == Op::Update
                        && other.actual.as_ref().is_some_and(|a| refers_to(a, &me.id))
                        && !other.desired.as_ref().is_some_and(|d| d.depends_on().contains(&node.address));
                    if moves_off {
                        deps.push(j);
                    }
                }
            }
        }
        deps.sort_unstable();
        deps.dedup();
        after_stop.retain(|d| !deps.contains(d));
        nodes[i].deps = deps;
        nodes[i].after_stop = after_stop;
    }
    nodes
}

/// Whether `actual` names `id` in a property that orders deletions.
fn refers_to(actual: &Actual, id: &str) -> bool {
    actual.refers_to(id, |name| registry::orders_deletion(actual.kind, name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Value;

    fn actual(address: &str, kind: Kind, id: &str, props: &[(&str, Value)]) -> Actual {
        let mut a = Actual::new(Address::new(address), kind, id);
        for (k, v) in props {
            let prop = registry::prop(kind, k).unwrap_or_else(|| panic!("{kind:?} has no property {k}"));
            a = a.prop(prop, v.clone());
        }
        a
    }

    /// A deployment as discovery reports it: names shared between kinds, ids inside properties.
    fn deployment() -> Vec<Actual> {
        let s = Value::str;
        vec![
            actual("network/vpc", Kind::Vpc, "vpc-1", &[("cidr", s("10.0.0.0/16"))]),
            actual("network/internet-gateway", Kind::InternetGateway, "igw-1", &[("vpc", s("vpc-1"))]),
            actual("network/subnet/public-a", Kind::Subnet, "subnet-pa", &[("vpc", s("vpc-1"))]),
            actual("network/subnet/private-a", Kind::Subnet, "subnet-ra", &[("vpc", s("vpc-1"))]),
            actual("network/eip/nat-a", Kind::ElasticIp, "eipalloc-1", &[]),
            actual(
                "network/nat-gateway/a",
                Kind::NatGateway,
                "nat-1",
                &[("subnet", s("subnet-pa")), ("eip", s("eipalloc-1"))],
            ),
            actual(
                "network/route-table/private",
                Kind::RouteTable,
                "rtb-1",
                &[("vpc", s("vpc-1")), ("subnets", Value::List(vec![s("subnet-ra")]))],
            ),
            actual("network/security-group/alb", Kind::SecurityGroup, "sg-alb", &[("vpc", s("vpc-1"))]),
            actual(
                "network/security-group/app",
                Kind::SecurityGroup,
                "sg-app",
                &[("vpc", s("vpc-1")), ("ingress", Value::List(vec![s("sg-alb")]))],
            ),
            actual(
                "load_balancer/target-group/app",
                Kind::TargetGroup,
                "arn:tg",
                &[("name", s("d-app")), ("vpc", s("vpc-1"))],
            ),
            actual(
                "load_balancer/alb",
                Kind::LoadBalancer,
                "arn:lb",
                &[("subnets", Value::List(vec![s("subnet-pa")])), ("security_groups", Value::List(vec![s("sg-alb")]))],
            ),
            actual(
                "load_balancer/listener/80",
                Kind::Listener,
                "arn:l",
                &[("load_balancer", s("arn:lb")), ("default_action", s("arn:tg"))],
            ),
            actual(
                "app/launch-template",
                Kind::LaunchTemplate,
                "lt-1",
                &[("name", s("d-app")), ("security_groups", Value::List(vec![s("sg-app")]))],
            ),
            actual(
                "app/auto-scaling-group",
                Kind::AutoScalingGroup,
                "d-app",
                &[
                    ("name", s("d-app")),
                    ("launch_template", s("lt-1")),
                    ("target_groups", Value::List(vec![s("arn:tg")])),
                    ("subnets", Value::List(vec![s("subnet-ra")])),
                ],
            ),
            actual(
                "app/scaling-policy/cpu",
                Kind::ScalingPolicy,
                "arn:p",
                &[("group", s("d-app")), ("name", s("d-cpu"))],
            ),
        ]
    }

    fn position(nodes: &[Node], address: &str) -> usize {
        nodes.iter().position(|n| n.address.as_str() == address).expect(address)
    }

    /// Kahn's algorithm: every node can run, i.e. there is no cycle. Returns the run order.
    fn run_order(nodes: &[Node]) -> Vec<usize> {
        let mut done = vec![false; nodes.len()];
        let mut order = Vec::new();
        while order.len() < nodes.len() {
            let ready: Vec<usize> = (0..nodes.len())
                .filter(|&i| !done[i] && nodes[i].deps.iter().chain(&nodes[i].after_stop).all(|&d| done[d]))
                .collect();
            assert!(
                !ready.is_empty(),
                "dependency cycle among {:?}",
                (0..nodes.len()).filter(|&i| !done[i]).map(|i| &nodes[i].address).collect::<Vec<_>>()
            );
            for i in ready {
                done[i] = true;
                order.push(i);
            }
        }
        order
    }

    #[test]
    fn destroy_graph_is_acyclic_and_deletes_users_before_what_they_use() {
        let plan = Plan::destroy_all("d", "r", deployment());
        let nodes = build_nodes(&plan);
        let order = run_order(&nodes);
        let rank = |address: &str| order.iter().position(|&i| i == position(&nodes, address)).expect("ran");
        for (first, then) in [
            ("app/scaling-policy/cpu", "app/auto-scaling-group"),
            ("app/auto-scaling-group", "app/launch-template"),
            ("app/auto-scaling-group", "network/subnet/private-a"),
            ("load_balancer/listener/80", "load_balancer/target-group/app"),
            ("load_balancer/alb", "network/security-group/alb"),
            ("network/nat-gateway/a", "network/eip/nat-a"),
            ("network/nat-gateway/a", "network/internet-gateway"),
            ("network/route-table/private", "network/nat-gateway/a"),
            ("network/subnet/public-a", "network/vpc"),
        ] {
            assert!(rank(first) < rank(then), "{first} must be deleted before {then}");
        }
    }

    /// EMR's groups name each other in their rules; deleting a group revokes the rules that name it
    /// first, so rules must not order deletions (they would form a cycle).
    #[test]
    fn groups_whose_rules_name_each_other_delete_without_a_cycle() {
        let rule = |group: &str| Value::List(vec![Value::Map([("group".to_owned(), Value::str(group))].into())]);
        let resources = vec![
            actual("network/security-group/spark-master", Kind::SecurityGroup, "sg-m", &[("ingress", rule("sg-c"))]),
            actual("network/security-group/spark-core", Kind::SecurityGroup, "sg-c", &[("ingress", rule("sg-m"))]),
        ];
        let nodes = build_nodes(&Plan::destroy_all("d", "r", resources));
        assert_eq!(run_order(&nodes).len(), 2);
    }
}
