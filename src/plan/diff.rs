use std::collections::BTreeMap;

use super::{order::topological, Action, Change, Plan, PropChange};
use crate::model::{Actual, Address, Compare, Desired, Value};
use crate::resources::registry;

/// Compare what the topology wants with what exists.
///
/// Resources are matched by address (their `clusterup:resource` tag). Only the properties the topology
/// sets are compared (AWS reports many more, with defaults clusterup leaves alone), each the way its
/// kind declares it (`Prop::matches`), and a change to one that cannot change in place makes a
/// replacement. A reference to a resource that will be
/// created or replaced is not known yet, so it counts as a change. Two resources claiming one address
/// (a create retried by hand, an emulator that ignores idempotency) keep the one others refer to and
/// delete the rest.
pub fn diff(deployment: &str, region: &str, desired: &[Desired], actuals: Vec<Actual>) -> Plan {
    let (current, duplicates) = pick_one_per_address(actuals);
    // Each resource's action and the properties it changes, in dependency order: what its dependents
    // can know of it.
    let mut planned: BTreeMap<&Address, (Action, Vec<&str>)> = BTreeMap::new();
    let mut changes = Vec::new();

    for want in topological(desired) {
        // Not known until apply: kept as a reference, which never equals a value and says whose it is.
        let resolve = |address: &Address, attr: Option<&str>| {
            let unknown = || match attr {
                None => Value::Ref(address.clone()),
                Some(attr) => Value::Attr(address.clone(), attr.to_owned()),
            };
            let Some(have) = current.get(address) else { return unknown() };
            match (planned.get(address), attr) {
                (Some((Action::Create | Action::Replace, _)), _) => return unknown(),
                // An attribute the update changes (a launch template's next version) is known already.
                (Some((Action::Update, changed)), Some(attr)) => {
                    let after_update = registry::of(have.kind).spec().attrs_after_update;
                    if let Some(value) = after_update(attr, have, changed) {
                        return value;
                    }
                }
                _ => {}
            }
            have.reference(attr).unwrap_or_else(unknown)
        };
        let resolved: BTreeMap<String, Value> =
            want.props.iter().map(|(k, v)| (k.clone(), v.resolve(&resolve))).collect();
        let change = match current.get(&want.address) {
            None => Change {
                address: want.address.clone(),
                kind: want.kind,
                action: Action::Create,
                // Creation-only inputs are shown too, as initial values: the plan hides nothing it sends.
                changes: resolved
                    .into_iter()
                    .chain(want.create_only.iter().map(|(k, v)| (format!("{k} (initial)"), v.resolve(&resolve))))
                    .map(|(key, after)| PropChange {
                        key,
                        before: None,
                        after: Some(after),
                        forces_replacement: false,
                        entries: Vec::new(),
                    })
                    .collect(),
                desired: Some(want.clone()),
                actual: None,
                notes: Vec::new(),
            },
            Some(have) => {
                let notes =
                    (registry::of(want.kind).spec().notes)(have, &Desired { props: resolved.clone(), ..want.clone() });
                let prop_changes: Vec<PropChange> = resolved
                    .into_iter()
                    .filter_map(|(key, after)| {
                        // Every property the composition sets is declared by its kind (a unit test checks).
                        let prop = registry::prop(want.kind, &key);
                        if prop.is_some_and(|p| p.compare == Compare::Setting) {
                            return None;
                        }
                        let before = have.props.get(&key);
                        let same = |b: &Value| prop.map_or_else(|| b.same_as(&after), |p| p.matches(b, &after));
                        if before.is_some_and(same) {
                            return None;
                        }
                        let forces_replacement = prop.is_some_and(|p| p.replaces);
                        // Only map properties compared on their wanted keys list the entries that change.
                        let entries =
                            prop.zip(before).and_then(|(p, b)| p.entry_changes(b, &after)).unwrap_or_default();
                        Some(PropChange {
                            key,
                            before: before.cloned(),
                            after: Some(after),
                            forces_replacement,
                            entries,
                        })
                    })
                    .collect();
                let action = if prop_changes.iter().any(|c| c.forces_replacement) {
                    Action::Replace
                } else if prop_changes.is_empty() {
                    Action::NoOp
                } else {
                    Action::Update
                };
                Change {
                    address: want.address.clone(),
                    kind: want.kind,
                    action,
                    changes: prop_changes,
                    desired: Some(want.clone()),
                    actual: Some(have.clone()),
                    notes,
                }
            }
        };
        let changed = change.changes.iter().map(|c| registry::prop(want.kind, &c.key).map_or("", |p| p.name)).collect();
        planned.insert(&want.address, (change.action, changed));
        changes.push(change);
    }

    let mut deletions: Vec<Actual> =
        current.values().filter(|a| !desired.iter().any(|d| d.address == a.address)).cloned().collect();
    deletions.extend(duplicates);
    let doomed = Plan::destroy_all(deployment, region, deletions);
    changes.extend(doomed.changes);
    Plan { deployment: deployment.to_owned(), region: region.to_owned(), changes }
}

fn pick_one_per_address(actuals: Vec<Actual>) -> (BTreeMap<Address, Actual>, Vec<Actual>) {
    let referenced = |candidate: &Actual| {
        actuals
            .iter()
            .filter(|other| other.refers_to(&candidate.id, |name| registry::orders_deletion(other.kind, name)))
            .count()
    };
    let mut by_address: BTreeMap<Address, Vec<(usize, Actual)>> = BTreeMap::new();
    for actual in &actuals {
        by_address.entry(actual.address.clone()).or_default().push((referenced(actual), actual.clone()));
    }
    let mut current = BTreeMap::new();
    let mut duplicates = Vec::new();
    for (address, mut candidates) in by_address {
        // Most referenced first, then the lowest id, so the choice is the same on every run.
        candidates.sort_by(|(ra, a), (rb, b)| rb.cmp(ra).then_with(|| a.id.cmp(&b.id)));
        let mut candidates = candidates.into_iter().map(|(_, a)| a);
        if let Some(keep) = candidates.next() {
            current.insert(address, keep);
        }
        duplicates.extend(candidates);
    }
    (current, duplicates)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Kind;
    use crate::resources::ec2::{subnet, vpc};

    fn vpc(cidr: &str) -> Desired {
        Desired::new("network/vpc", Kind::Vpc).prop(&vpc::CIDR, Value::str(cidr))
    }

    fn subnet() -> Desired {
        Desired::new("network/subnet/public-a", Kind::Subnet)
            .prop(&subnet::VPC, Value::Ref(Address::new("network/vpc")))
            .prop(&subnet::CIDR, Value::str("10.0.0.0/20"))
    }

    fn existing_vpc(id: &str, cidr: &str) -> Actual {
        Actual::new(Address::new("network/vpc"), Kind::Vpc, id).prop(&vpc::CIDR, Value::str(cidr))
    }

    fn existing_subnet(vpc: &str) -> Actual {
        Actual::new(Address::new("network/subnet/public-a"), Kind::Subnet, "subnet-1")
            .prop(&subnet::VPC, Value::str(vpc))
            .prop(&subnet::CIDR, Value::str("10.0.0.0/20"))
    }

    fn actions(plan: &Plan) -> Vec<(String, Action)> {
        plan.changes.iter().map(|c| (c.address.to_string(), c.action)).collect()
    }

    #[test]
    fn empty_account_creates_everything_in_dependency_order() {
        let plan = diff("d", "r", &[subnet(), vpc("10.0.0.0/16")], vec![]);
        assert_eq!(
            actions(&plan),
            [("network/vpc".into(), Action::Create), ("network/subnet/public-a".into(), Action::Create)]
        );
        let subnet_vpc = plan.changes[1].changes.iter().find(|c| c.key == "vpc").and_then(|c| c.after.clone());
        assert_eq!(subnet_vpc, Some(Value::Ref(Address::new("network/vpc"))));
    }

    #[test]
    fn matching_resources_are_no_ops() {
        let plan = diff(
            "d",
            "r",
            &[vpc("10.0.0.0/16"), subnet()],
            vec![existing_vpc("vpc-1", "10.0.0.0/16"), existing_subnet("vpc-1")],
        );
        assert!(!plan.has_changes(), "{:?}", actions(&plan));
    }

    #[test]
    fn replacing_a_parent_replaces_children_that_name_it() {
        let plan = diff(
            "d",
            "r",
            &[vpc("10.1.0.0/16"), subnet()],
            vec![existing_vpc("vpc-1", "10.0.0.0/16"), existing_subnet("vpc-1")],
        );
        assert_eq!(
            actions(&plan),
            [("network/vpc".into(), Action::Replace), ("network/subnet/public-a".into(), Action::Replace)]
        );
    }

    #[test]
    fn resources_no_longer_wanted_are_deleted() {
        let plan =
            diff("d", "r", &[vpc("10.0.0.0/16")], vec![existing_vpc("vpc-1", "10.0.0.0/16"), existing_subnet("vpc-1")]);
        assert_eq!(
            actions(&plan),
            [("network/vpc".into(), Action::NoOp), ("network/subnet/public-a".into(), Action::Delete)]
        );
    }

    #[test]
    fn duplicates_keep_the_referenced_one() {
        let plan = diff(
            "d",
            "r",
            &[vpc("10.0.0.0/16"), subnet()],
            vec![existing_vpc("vpc-0", "10.0.0.0/16"), existing_vpc("vpc-9", "10.0.0.0/16"), existing_subnet("vpc-9")],
        );
        let deleted: Vec<&str> =
            plan.changes.iter().filter(|c| c.action == Action::Delete).filter_map(|c| c.id()).collect();
        assert_eq!(deleted, ["vpc-0"]);
        assert!(plan.changes.iter().filter(|c| c.action != Action::Delete).all(|c| c.action == Action::NoOp));
    }

    #[test]
    fn each_property_compares_the_way_its_kind_declares() {
        use crate::resources::elbv2::target_group::ATTRIBUTES;
        let want = Desired::new("lb", Kind::TargetGroup)
            .prop(&ATTRIBUTES, Value::Map(BTreeMap::from([("a".to_owned(), Value::str("1"))])));
        let have = Actual::new(Address::new("lb"), Kind::TargetGroup, "arn").prop(
            &ATTRIBUTES,
            Value::Map(BTreeMap::from([("a".to_owned(), Value::str("1")), ("b".to_owned(), Value::str("x"))])),
        );
        assert!(!diff("d", "r", &[want], vec![have]).has_changes());
    }
}

#[cfg(test)]
mod rolling_tests {
    use super::*;
    use crate::model::Kind;
    use crate::resources::autoscaling::group;
    use crate::resources::ec2::launch_template::{DEFAULT_VERSION, LATEST_VERSION, USER_DATA};

    fn template(user_data: &str) -> Desired {
        Desired::new("app/launch-template", Kind::LaunchTemplate).prop(&USER_DATA, Value::str(user_data))
    }

    fn group_wanting_the_default_version() -> Desired {
        Desired::new("app/auto-scaling-group", Kind::AutoScalingGroup).prop(
            &group::LAUNCH_TEMPLATE_VERSION,
            Value::Attr(Address::new("app/launch-template"), DEFAULT_VERSION.to_owned()),
        )
    }

    fn existing(user_data: &str) -> Vec<Actual> {
        vec![
            Actual::new(Address::new("app/launch-template"), Kind::LaunchTemplate, "lt-1")
                .prop(&USER_DATA, Value::str(user_data))
                .attr(DEFAULT_VERSION, "3")
                .attr(LATEST_VERSION, "5"),
            Actual::new(Address::new("app/auto-scaling-group"), Kind::AutoScalingGroup, "shop-app")
                .prop(&group::LAUNCH_TEMPLATE_VERSION, Value::str("3"))
                .attr("nodes", "4"),
        ]
    }

    #[test]
    fn a_new_launch_template_version_rolls_the_nodes_onto_it_in_the_same_plan() {
        let wanted = [template("v2 script"), group_wanting_the_default_version()];
        let plan = diff("d", "r", &wanted, existing("v1 script"));
        let rolled = &plan.changes[1];
        assert_eq!(rolled.action, Action::Update);
        let version = &rolled.changes[0];
        // The next version is the latest plus one, whichever is the default now.
        assert_eq!((version.before.clone(), version.after.clone()), (Some(Value::str("3")), Some(Value::str("6"))));
        assert_eq!(rolled.notes, ["rolling replacement of 4 nodes (launch template v3 -> v6)"]);
    }

    #[test]
    fn a_launch_template_change_that_makes_no_version_rolls_nothing() {
        let tags_only = template("v1 script").prop(&crate::model::TAGS, Value::Map(Default::default()));
        let wanted = [tags_only, group_wanting_the_default_version()];
        let plan = diff("d", "r", &wanted, existing("v1 script"));
        assert_eq!(plan.changes[1].action, Action::NoOp, "{:?}", plan.changes[1]);
    }
}
