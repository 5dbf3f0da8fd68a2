//! What users read in a plan, as text snapshots (tests/snapshots/): the plan that creates every example
//! from nothing, the plan that destroys it, the JSON plan, and the plans of typical day-2 edits against
//! a deployment that matches the example. Offline: the deployment "as it exists" is the example's own
//! desired state with made-up ids, so the snapshots pin composition, diff and rendering, not AWS.
//!
//! A change in any of them is a change in what operators see: review the `.snap.new` file that insta
//! writes next to the snapshot, then rename it over the old one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clusterup::cost::{Estimate, Item};
use clusterup::model::{Actual, Address, Desired, Kind, Value};
use clusterup::output::{render_cost, render_plan, Style};
use clusterup::plan::{diff, Plan};
use clusterup::resources::autoscaling::group;
use clusterup::topology::Topology;

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(name)
}

fn topology(path: &Path, text: &str) -> Topology {
    clusterup::topology::parse(path, text).expect("the example is valid").topology
}

/// The desired state of a topology, with the facts `validate` and `graph` use (no AWS).
fn desired(topology: &Topology) -> Vec<Desired> {
    clusterup::compose::desired(topology, &clusterup::compose::offline_facts(topology)).expect("composes")
}

/// The deployment as apply would leave it: every desired resource exists, with a made-up id, its
/// references resolved to the other resources' made-up ids and attributes.
fn made(wanted: &[Desired]) -> Vec<Actual> {
    let id = |address: &Address| format!("id-of-{address}");
    // A launch template as made: version 1, the only one.
    let attr = |address: &Address, attr: &str| match attr {
        "default_version" | "latest_version" => "1".to_owned(),
        _ => format!("{attr}-of-{address}"),
    };
    let resolve = |address: &Address, name: Option<&str>| match name {
        None => Value::str(id(address)),
        Some(name) => Value::str(attr(address, name)),
    };
    let mut attrs: BTreeMap<Address, Vec<String>> = BTreeMap::new();
    for want in wanted {
        for value in want.props.values().chain(want.create_only.values()) {
            collect_attrs(value, &mut attrs);
        }
    }
    wanted
        .iter()
        .map(|want| {
            let mut actual = Actual::new(want.address.clone(), want.kind, id(&want.address));
            actual.props = want.props.iter().map(|(k, v)| (k.clone(), v.resolve(&resolve))).collect();
            for name in attrs.get(&want.address).into_iter().flatten() {
                actual = actual.attr(name, attr(&want.address, name));
            }
            if want.kind == Kind::LaunchTemplate {
                actual = actual.attr("latest_version", "1");
            }
            // AWS reports every attribute of a target group, clusterup manages a few.
            if want.kind == Kind::TargetGroup {
                if let Some(Value::Map(attributes)) = actual.props.get_mut("attributes") {
                    attributes.insert("deregistration_delay.timeout_seconds".into(), Value::str("300"));
                    attributes.insert("slow_start.duration_seconds".into(), Value::str("0"));
                }
            }
            // A group runs its desired number of nodes, and AWS reports that count, whoever owns it.
            if let Some(Value::Int(nodes)) = want.value(&group::DESIRED) {
                actual = actual.attr("nodes", nodes.to_string());
                actual.props.insert(group::DESIRED.name.to_owned(), Value::Int(*nodes));
            }
            actual
        })
        .collect()
}

fn collect_attrs(value: &Value, into: &mut BTreeMap<Address, Vec<String>>) {
    match value {
        Value::Attr(address, name) => into.entry(address.clone()).or_default().push(name.clone()),
        Value::List(items) | Value::Template(items) => items.iter().for_each(|v| collect_attrs(v, into)),
        Value::Map(map) => map.values().for_each(|v| collect_attrs(v, into)),
        _ => {}
    }
}

fn plain(plan: &Plan) -> String {
    render_plan(plan, Style { enabled: false })
}

/// What `clusterup plan` prints: the plan, then the cost of the wanted state at the repository's
/// price table (offline, so the figures are pinned with the plan).
fn plain_with_cost(plan: &Plan, wanted: &[Desired]) -> String {
    format!("{}{}", plain(plan), render_cost(&cost(plan, wanted), Some(plan), Style { enabled: false }))
}

fn cost(plan: &Plan, wanted: &[Desired]) -> Estimate {
    let items: Vec<Item<'_>> = wanted.iter().map(Item::from).collect();
    clusterup::cost::estimate(&items, &clusterup::cost::table::prices(&plan.region))
}

/// What `plan --json` prints: the plan, then its cost.
fn json(plan: &Plan, wanted: &[Desired]) -> String {
    let mut body = clusterup::output::plan_json(plan);
    body["cost"] = serde_json::to_value(cost(plan, wanted)).expect("cost as JSON");
    serde_json::to_string_pretty(&body).expect("plan as JSON")
}

/// The plan of `edit` (replace `from` by `to` in the example) against the example as it exists.
fn edited(example_name: &str, from: &str, to: &str) -> String {
    let (plan, wanted) = edited_plan(example_name, from, to, false);
    plain_with_cost(&plan, &wanted)
}

/// The plan of an edit, and the desired state it was planned towards.
fn edited_plan(example_name: &str, from: &str, to: &str, set_desired: bool) -> (Plan, Vec<Desired>) {
    let path = example(example_name);
    let text = std::fs::read_to_string(&path).expect("example");
    assert!(text.contains(from), "{example_name} has no {from:?}");
    let before = topology(&path, &text);
    let after = topology(&path, &text.replacen(from, to, 1));
    let mut wanted = desired(&after);
    if set_desired {
        clusterup::compose::set_desired(&mut wanted);
    }
    let plan = diff(&after.name, &after.region, &wanted, made(&desired(&before)));
    (plan, wanted)
}

#[test]
fn plans_of_every_example_from_nothing_and_back() {
    let mut seen = 0;
    for entry in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")).expect("examples") {
        let path = entry.expect("entry").path();
        let name = path.file_stem().and_then(|n| n.to_str()).expect("name").to_owned();
        let t = topology(&path, &std::fs::read_to_string(&path).expect("example"));
        let wanted = desired(&t);
        let create = diff(&t.name, &t.region, &wanted, Vec::new());
        insta::assert_snapshot!(format!("{name}-create"), plain_with_cost(&create, &wanted));
        insta::assert_snapshot!(format!("{name}-create-json"), json(&create, &wanted));
        let existing = made(&wanted);
        let unchanged = diff(&t.name, &t.region, &wanted, existing.clone());
        assert!(!unchanged.has_changes(), "{name}: a deployment that matches plans no change:\n{}", plain(&unchanged));
        insta::assert_snapshot!(format!("{name}-destroy"), plain(&Plan::destroy_all(&t.name, &t.region, existing)));
        seen += 1;
    }
    assert_eq!(seen, 6, "every example has its snapshots");
}

#[test]
fn plan_of_an_instance_type_change() {
    insta::assert_snapshot!(edited("web-tier.yaml", "instance_type: t3.small", "instance_type: t3.medium"));
}

#[test]
fn plan_of_a_tag_change() {
    insta::assert_snapshot!(edited("web-tier.yaml", "team: web", "team: webdev"));
}

#[test]
fn plan_of_a_capacity_change() {
    insta::assert_snapshot!(edited(
        "web-tier.yaml",
        "    min: 2\n    desired: 2\n    max: 4",
        "    min: 3\n    desired: 3\n    max: 6"
    ));
}

/// `plan --json` carries the same per-key changes as the text.
#[test]
fn plan_of_a_tag_change_as_json() {
    let (plan, wanted) = edited_plan("web-tier.yaml", "team: web", "team: webdev", false);
    insta::assert_snapshot!(json(&plan, &wanted));
}

/// web-tier scales on CPU: after creation the autoscaler owns `desired`.
#[test]
fn plan_of_a_desired_change_under_a_scaling_policy() {
    let edit = ("    min: 2\n    desired: 2", "    min: 2\n    desired: 3");
    insta::assert_snapshot!(
        "desired_left_to_the_autoscaler",
        plain(&edited_plan("web-tier.yaml", edit.0, edit.1, false).0)
    );
    insta::assert_snapshot!(
        "desired_set_with_set_desired",
        plain(&edited_plan("web-tier.yaml", edit.0, edit.1, true).0)
    );
}

#[test]
fn plan_of_a_target_group_attribute_change() {
    insta::assert_snapshot!(edited("web-tier.yaml", "duration: 1h", "duration: 2h"));
}

#[test]
fn plan_of_database_changes() {
    insta::assert_snapshot!(edited(
        "smarten.yaml",
        "instance_class: db.t3.medium\n  storage_gb: 50",
        "instance_class: db.r6g.large\n  storage_gb: 80"
    ));
}

/// A class change left for the maintenance window, and a parameter change (dynamic or static is only
/// known once AWS has described the parameter).
#[test]
fn plan_of_database_changes_for_the_maintenance_window() {
    insta::assert_snapshot!(edited(
        "smarten.yaml",
        "instance_class: db.t3.medium\n  storage_gb: 50",
        "instance_class: db.r6g.large\n  apply_changes: maintenance_window\n  storage_gb: 50"
    ));
    insta::assert_snapshot!(
        "database_parameter_change",
        edited("smarten.yaml", "max_connections: \"500\"", "max_connections: \"800\"")
    );
}

#[test]
fn plan_of_a_spark_release_change() {
    insta::assert_snapshot!(edited(
        "smarten-spark.yaml",
        "core: { instance_type: m5.xlarge, count: 2 }",
        "core: { instance_type: m5.2xlarge, count: 2 }"
    ));
}

#[test]
fn plan_of_a_network_cidr_change() {
    insta::assert_snapshot!(edited("web-tier.yaml", "cidr: 10.30.0.0/16", "cidr: 10.31.0.0/16"));
}

/// A database restored from a snapshot: the plan names the snapshot, when it was taken and its MySQL
/// version (the facts `plan` finds with DescribeDBSnapshots, made up here); everything else exists.
#[test]
fn plan_of_a_restore_from_a_snapshot() {
    let path = example("smarten.yaml");
    let text = std::fs::read_to_string(&path).expect("example");
    let running = topology(&path, &text);
    let restoring = topology(&path, &text.replacen("  storage_gb: 50", "  storage_gb: 50\n  restore_from: latest", 1));
    let facts = clusterup::model::Facts {
        restore: Some(clusterup::model::RestoreSource {
            snapshot: "smarten-final-20261206120000".into(),
            taken: Some("2026-12-06T12:00:00Z".into()),
            engine_version: Some("8.4.3".into()),
        }),
        ..clusterup::compose::offline_facts(&restoring)
    };
    let wanted = clusterup::compose::desired(&restoring, &facts).expect("composes");
    let mut existing = made(&desired(&running));
    existing.retain(|a| a.kind != Kind::DbInstance);
    insta::assert_snapshot!(plain(&diff(&restoring.name, &restoring.region, &wanted, existing)));

    // Once the database exists, restore_from is not a property of it: no change, whatever it names.
    let plan = diff(&restoring.name, &restoring.region, &wanted, made(&desired(&running)));
    assert!(!plan.has_changes(), "{}", plain(&plan));
}

/// Alerts added to a deployment with every tier: the topic, its subscription and the alarms are
/// created, the groups start sending the metric the at-max-capacity alarm reads, and the cost prices
/// the alarms.
#[test]
fn plan_of_alerts_added() {
    insta::assert_snapshot!(edited(
        "smarten-spark.yaml",
        "\nspark:",
        "\nalerts:\n  email: [ops@example.com]\n  thresholds:\n    database_cpu_percent: 80\n\nspark:"
    ));
}
