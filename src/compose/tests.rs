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
