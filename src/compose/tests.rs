//! The composition against the kinds' own declarations: every property it sets is one its kind declares.

use std::path::Path;

use super::{desired, offline_facts};
use crate::resources::registry;

fn topologies() -> Vec<(String, crate::topology::Topology)> {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&examples).expect("examples") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("example");
        // Each example as it is, and with the options it leaves out: HTTPS, requests-based scaling, a
        // task group, managed Spark scaling.
        let variants = [
            text.clone(),
            text.replace(
                "    - port: 80",
                "    - port: 80\n    - port: 443\n      certificate_arn: arn:aws:acm:us-east-1:123456789012:certificate/abc",
            )
            .replace("cpu_target: 60", "requests_per_target: 1000"),
            text.replace(
                "  core: { instance_type: m5.xlarge, count: 2 }",
                "  core: { instance_type: m5.xlarge, count: 2 }\n  task: { instance_type: m5.xlarge, count: 1 }",
            )
            .replace("    mode: custom", "    mode: managed"),
            format!("{text}\nalerts:\n  email: [ops@example.com]\n"),
        ];
        for (n, variant) in variants.iter().enumerate() {
            let checked = crate::topology::parse(&path, variant).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            out.push((format!("{} variant {n}", path.display()), checked.topology));
        }
    }
    out
}

#[test]
fn every_property_the_composition_sets_is_declared_by_its_kind() {
    for (name, topology) in topologies() {
        for want in desired(&topology, &offline_facts(&topology)).expect("composes") {
            for prop in want.props.keys().chain(want.create_only.keys()) {
                assert!(
                    registry::prop(want.kind, prop).is_some(),
                    "{name}: {} sets `{prop}`, which {:?} does not declare",
                    want.address,
                    want.kind
                );
            }
        }
    }
}

#[test]
fn addresses_are_unique() {
    for (name, topology) in topologies() {
        let wanted = desired(&topology, &offline_facts(&topology)).expect("composes");
        let mut addresses: Vec<&str> = wanted.iter().map(|d| d.address.as_str()).collect();
        addresses.sort_unstable();
        let before = addresses.len();
        addresses.dedup();
        assert_eq!(addresses.len(), before, "{name}: two resources share an address");
    }
}

#[test]
fn a_template_that_does_not_render_fails_the_composition() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/web-tier.yaml");
    let text = std::fs::read_to_string(&path).expect("example");
    let mut topology = crate::topology::parse(&path, &text).expect("valid").topology;
    topology.groups[0].nodes.user_data_template = "#!/bin/bash\necho {{ no_such_thing }}\n".into();
    let err = desired(&topology, &offline_facts(&topology)).expect_err("an unknown placeholder is an error");
    assert!(err.to_string().contains("unknown placeholder `{{ no_such_thing }}`"), "{err}");
}

/// The app tier serves before the database is there: nothing on the way to its nodes waits for the
/// database; the group waits for what its nodes need to pass the health checks (a listener, the way out
/// of the private subnets, the data folder's mount targets).
#[test]
fn the_app_tier_waits_for_what_its_health_checks_need_and_not_for_the_database() {
    use crate::model::{names, Address, Desired};
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/smarten-spark.yaml");
    let topology = crate::topology::load(&path).expect("valid").topology;
    let wanted = desired(&topology, &offline_facts(&topology)).expect("composes");
    let of = |address: &str| wanted.iter().find(|d| d.address.as_str() == address).expect(address);
    // Everything the group waits for, directly or through what it waits for.
    let mut seen: Vec<Address> = Vec::new();
    let mut todo = vec![Address::new(names::app::AUTO_SCALING_GROUP)];
    while let Some(next) = todo.pop() {
        let Some(want): Option<&Desired> = wanted.iter().find(|d| d.address == next) else { continue };
        for dep in want.depends_on() {
            if !seen.contains(&dep) {
                seen.push(dep.clone());
                todo.push(dep);
            }
        }
    }
    assert!(!seen.iter().any(|a| a.as_str() == names::database::INSTANCE), "{seen:?}");
    let group = of(names::app::AUTO_SCALING_GROUP).depends_on();
    for needed in ["load_balancer/listener/80", "network/route-table/private-a", "storage/mount-target/a"] {
        assert!(group.contains(&Address::new(needed)), "{needed} missing from {group:?}");
    }
    assert_eq!(
        super::serving(&topology),
        vec![Address::new("load_balancer/listener/80"), Address::new(names::app::AUTO_SCALING_GROUP)]
    );
}

#[test]
fn every_node_group_gets_a_log_group_with_the_retention_before_its_nodes_and_the_role_writes_only_there() {
    use crate::model::{Address, Kind, Value, NAME};
    use crate::resources::logs::log_group::RETENTION_DAYS;
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/node-groups.yaml");
    let text = std::fs::read_to_string(&path).expect("example") + "\nlogs:\n  retention: 90d\n";
    let topology = crate::topology::parse(&path, &text).expect("valid").topology;
    let wanted = desired(&topology, &offline_facts(&topology)).expect("composes");
    let logs: Vec<_> = wanted.iter().filter(|d| d.kind == Kind::LogGroup).collect();
    assert_eq!(logs.len(), topology.groups.len());
    for group in &topology.groups {
        let address = format!("logs/{}", group.name);
        let log_group = logs.iter().find(|d| d.address.as_str() == address).unwrap_or_else(|| panic!("{address}"));
        let name = format!("/clusterup/{}/{}", topology.name, group.name);
        assert_eq!(log_group.value(&NAME), Some(&Value::str(&name)));
        assert_eq!(log_group.value(&RETENTION_DAYS), Some(&Value::Int(90)));
        // The nodes' agent writes from boot and may not create the group: the group comes first.
        let asg = crate::model::names::app::auto_scaling_group(&group.name);
        let asg = wanted.iter().find(|d| d.address.as_str() == asg).expect("the group's Auto Scaling group");
        assert!(asg.depends_on().contains(&Address::new(&address)), "{address} not before {}", asg.address);
    }
    // The nodes' role: streams and events in this deployment's log groups, nothing else of CloudWatch Logs.
    let policy = super::policies::app(&topology, &offline_facts(&topology)).resolve(&|_, _| Value::str("arn:x"));
    let doc: serde_json::Value = serde_json::from_str(policy.as_str().expect("resolved")).expect("policy JSON");
    let statements = doc["Statement"].as_array().expect("statements");
    let ship = statements.iter().find(|s| s["Sid"] == "ShipLogs").expect("ShipLogs");
    assert_eq!(ship["Action"], serde_json::json!(["logs:CreateLogStream", "logs:PutLogEvents"]));
    assert_eq!(ship["Resource"], format!("arn:aws:logs:us-east-1:(account):log-group:/clusterup/{}/*", topology.name));
    let logs_actions: Vec<String> = statements
        .iter()
        .flat_map(|s| match &s["Action"] {
            serde_json::Value::Array(actions) => actions.clone(),
            one => vec![one.clone()],
        })
        .filter_map(|a| a.as_str().map(str::to_owned))
        .filter(|a| a.starts_with("logs:"))
        .collect();
    assert_eq!(logs_actions, ["logs:CreateLogStream", "logs:PutLogEvents"]);
}

/// The group's grace period is the one the user data's mount deadline was worked out from
/// (compose::boot), for every example.
#[test]
fn the_group_gets_the_grace_period_its_nodes_first_boot_is_planned_for() {
    use crate::resources::autoscaling::group;
    for (name, topology) in topologies() {
        let wanted = desired(&topology, &offline_facts(&topology)).expect("composes");
        let Some(asg) = wanted.iter().find(|d| d.kind == crate::model::Kind::AutoScalingGroup) else { continue };
        let plan = super::boot::mount_plan(&topology.load_balancer.health_check);
        assert_eq!(asg.int(&group::HEALTH_CHECK_GRACE).expect("grace"), i64::from(plan.grace), "{name}");
    }
}

/// Node groups: each group its own launch template and Auto Scaling group, a target group where routed,
/// the default route weighted between the groups that share it, a singleton's limits and start order.
mod node_groups {
    use super::*;
    use crate::model::names::{app, load_balancer};
    use crate::model::{Address, Desired, Kind, Value};
    use crate::resources::autoscaling::group;
    use crate::resources::elbv2::listener;

    const GROUPS: &str = "name: shop\nregion: us-east-1\nnode_groups:\n  web:\n    instance_type: t3.large\n    route: default\n    weight: 3\n  web-small:\n    instance_type: t3.medium\n    route: default\n    weight: 1\n  coordinator:\n    instance_type: m5.large\n    singleton: true\n  workers:\n    instance_type: m5.xlarge\n    port: 7000\n    capacity: { min: 2, max: 10 }\n    start_after: [coordinator]\n";

    fn composed(text: &str) -> Vec<Desired> {
        let topology = crate::topology::parse(Path::new("shop.yaml"), text).expect("valid").topology;
        desired(&topology, &offline_facts(&topology)).expect("composes")
    }

    fn at<'a>(all: &'a [Desired], address: &str) -> &'a Desired {
        all.iter().find(|d| d.address.as_str() == address).unwrap_or_else(|| panic!("no {address}"))
    }

    #[test]
    fn each_group_gets_its_own_template_and_group_and_routed_ones_a_target_group() {
        let all = composed(GROUPS);
        for name in ["web", "web-small", "coordinator", "workers"] {
            let asg = at(&all, &app::auto_scaling_group(name));
            assert_eq!(asg.props.get("name"), Some(&Value::str(format!("shop-{name}"))));
            assert_eq!(at(&all, &app::launch_template(name)).kind, Kind::LaunchTemplate);
        }
        let target_groups: Vec<&str> =
            all.iter().filter(|d| d.kind == Kind::TargetGroup).map(|d| d.address.as_str()).collect();
        assert_eq!(target_groups, [load_balancer::target_group("web"), load_balancer::target_group("web-small")]);
        // Groups outside the load balancer: no target group, judged by EC2's checks.
        let workers = at(&all, &app::auto_scaling_group("workers"));
        assert_eq!(workers.props.get(group::TARGET_GROUPS.name), Some(&Value::List(vec![])));
        assert_eq!(workers.props.get(group::HEALTH_CHECK.name), Some(&Value::str("EC2")));
        let web = at(&all, &app::auto_scaling_group("web"));
        assert_eq!(web.props.get(group::HEALTH_CHECK.name), Some(&Value::str("ELB")));
    }

    #[test]
    fn groups_sharing_the_default_route_get_a_forward_weighted_as_written() {
        let all = composed(GROUPS);
        let listener = all.iter().find(|d| d.kind == Kind::Listener).expect("a listener");
        let reference = |group: &str| Value::Ref(Address::new(load_balancer::target_group(group)));
        let expected = crate::resources::elbv2::listener_action::weighted_forward_to(vec![
            (reference("web"), 3),
            (reference("web-small"), 1),
        ]);
        assert_eq!(listener.props.get(listener::DEFAULT_ACTION.name), Some(&expected));
    }

    #[test]
    fn a_singleton_is_one_node_replaced_terminate_first_and_start_after_orders_the_creates() {
        let all = composed(GROUPS);
        let coordinator = at(&all, &app::auto_scaling_group("coordinator"));
        for (prop, value) in [
            (&group::MIN, 1),
            (&group::MAX, 1),
            (&group::DESIRED, 1),
            (&group::MIN_HEALTHY, 0),
            (&group::MAX_HEALTHY, 100),
        ] {
            assert_eq!(coordinator.props.get(prop.name), Some(&Value::Int(value)), "{}", prop.name);
        }
        assert!(!all.iter().any(|d| d.kind == Kind::ScalingPolicy), "no scaling policy");
        let workers = at(&all, &app::auto_scaling_group("workers"));
        assert!(workers.after.contains(&Address::new(app::auto_scaling_group("coordinator"))), "{:?}", workers.after);
        assert!(!coordinator.after.iter().any(|a| a.as_str().contains("auto-scaling-group")));
    }

    #[test]
    fn the_load_balancer_reaches_each_routed_groups_port_and_the_nodes_each_others_ports() {
        let text = GROUPS.replace("    instance_type: t3.medium\n", "    instance_type: t3.medium\n    port: 9000\n");
        let all = composed(&text);
        let sg = at(&all, crate::model::names::network::APP_SECURITY_GROUP);
        let Some(Value::List(ingress)) = sg.props.get(crate::resources::ec2::security_group::INGRESS.name) else {
            panic!("no ingress")
        };
        let from = |peer: &str| -> Vec<String> {
            ingress.iter().map(|r| format!("{r:?}")).filter(|r| r.contains(peer)).collect()
        };
        let from_alb = from("security-group/alb").join(" ");
        assert!(from_alb.contains("8080") && from_alb.contains("9000"), "{from_alb}");
        // The workers' 7000 is not opened to the load balancer, only to the other nodes.
        assert!(!from_alb.contains("7000"), "{from_alb}");
        // The other nodes reach every group's port: rules naming the app group itself.
        assert_eq!(from("\"self\"").len(), 3, "{ingress:?}");
        let egress = at(&all, "network/security-group-egress/app");
        let to_nodes = format!("{:?}", egress.props.get("egress"));
        assert_eq!(to_nodes.matches("security-group/app").count(), 3, "{to_nodes}");
        // Nodes carry the app group only: adding a group never changes the others' launch templates.
        let template = at(&all, &app::launch_template("workers"));
        assert_eq!(
            template.props.get("security_groups"),
            Some(&Value::List(vec![Value::Ref(Address::new(crate::model::names::network::APP_SECURITY_GROUP))]))
        );
    }

    #[test]
    fn one_group_opens_nothing_between_its_nodes() {
        let all = composed("name: shop\nregion: us-east-1\napp:\n  instance_type: t3.small\n");
        let sg = at(&all, crate::model::names::network::APP_SECURITY_GROUP);
        assert!(!format!("{:?}", sg.props).contains("\"self\""), "{:?}", sg.props);
    }

    /// Migration: `app:` rewritten as `node_groups: { app: ... }` composes the very same resources, so
    /// the plan of a running deployment shows no change.
    #[test]
    fn app_rewritten_as_the_group_named_app_composes_the_same_resources() {
        for example in ["smarten.yaml", "web-tier.yaml"] {
            let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(example);
            let text = std::fs::read_to_string(&path).expect("example");
            let rewritten = as_node_groups(&text);
            assert_ne!(text, rewritten);
            assert_eq!(composed(&text), composed(&rewritten), "{example}");
        }
    }

    /// `app:` and its indented block, moved under `node_groups:` as the group named `app`.
    pub fn as_node_groups(text: &str) -> String {
        let mut out = String::new();
        let mut in_app = false;
        for line in text.lines() {
            if line == "app:" {
                out.push_str("node_groups:\n  app:\n");
                in_app = true;
                continue;
            }
            if in_app && (line.starts_with(' ') || line.is_empty()) {
                if !line.is_empty() {
                    out.push_str("  ");
                }
                out.push_str(line);
                out.push('\n');
                continue;
            }
            in_app = false;
            out.push_str(line);
            out.push('\n');
        }
        out
    }
}

#[test]
fn a_permissions_boundary_is_on_every_role_clusterup_makes() {
    use crate::model::{names::iam::ROLES, Kind, Value};
    use crate::resources::iam::role::BOUNDARY;
    let boundary = "arn:aws:iam::123456789012:policy/clusterup-boundary";
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/smarten-spark.yaml");
    let text = std::fs::read_to_string(&path).expect("example");
    let with = format!("{text}\niam:\n  permissions_boundary: {boundary}\n");
    let topology = crate::topology::parse(&path, &with).expect("valid").topology;
    let wanted = desired(&topology, &offline_facts(&topology)).expect("composes");
    let roles: Vec<_> = wanted.iter().filter(|d| d.kind == Kind::IamRole).collect();
    // The example has Spark with custom scaling: the app's, Spark's service, nodes' and scaling roles.
    assert_eq!(roles.len(), ROLES.len(), "{roles:?}");
    for role in roles {
        assert_eq!(role.value(&BOUNDARY), Some(&Value::str(boundary)), "{}", role.address);
    }
}
