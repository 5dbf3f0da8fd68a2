//! What users read in a plan, as text snapshots (tests/snapshots/): the plan that creates every example
//! from nothing, the plan that destroys it, the JSON plan, and the plans of typical day-2 edits against
//! a deployment that matches the example. Offline: the deployment "as it exists" is the example's own
//! desired state with made-up ids, so the snapshots pin composition, diff and rendering, not AWS.
//!
//! A change in any of them is a change in what operators see: review the `.snap.new` file that insta
//! writes next to the snapshot, then rename it over the old one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clusterup::model::{Actual, Address, Desired, Value};
use clusterup::output::{render_plan, Style};
use clusterup::plan::{diff, Plan};
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
    let attr = |address: &Address, attr: &str| format!("{attr}-of-{address}");
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

fn json(plan: &Plan) -> String {
    let changes: Vec<_> = plan.changes.iter().filter(|c| c.action != clusterup::plan::Action::NoOp).collect();
    serde_json::to_string_pretty(&serde_json::json!({"summary": plan.summary(), "changes": changes}))
        .expect("plan as JSON")
}

/// The plan of `edit` (replace `from` by `to` in the example) against the example as it exists.
fn edited(example_name: &str, from: &str, to: &str) -> String {
    let path = example(example_name);
    let text = std::fs::read_to_string(&path).expect("example");
    assert!(text.contains(from), "{example_name} has no {from:?}");
    let before = topology(&path, &text);
    let after = topology(&path, &text.replacen(from, to, 1));
    let plan = diff(&after.name, &after.region, &desired(&after), made(&desired(&before)));
    plain(&plan)
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
        insta::assert_snapshot!(format!("{name}-create"), plain(&create));
        insta::assert_snapshot!(format!("{name}-create-json"), json(&create));
        let existing = made(&wanted);
        let unchanged = diff(&t.name, &t.region, &wanted, existing.clone());
        assert!(!unchanged.has_changes(), "{name}: a deployment that matches plans no change:\n{}", plain(&unchanged));
        insta::assert_snapshot!(format!("{name}-destroy"), plain(&Plan::destroy_all(&t.name, &t.region, existing)));
        seen += 1;
    }
    assert_eq!(seen, 4, "every example has its snapshots");
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
