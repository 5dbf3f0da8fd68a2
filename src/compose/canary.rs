//! A weighted canary rollout's two resources, derived from the rolled-out node group's own: a second Auto
//! Scaling group on the new launch template version, registered in a target group of its own with the
//! group's target group's health check and attributes. They are not part of what a topology asks for (apply never makes them);
//! `crate::rollout` makes them for the length of a rollout and deletes them at its end.

use super::id_of;
use crate::model::names::{app, load_balancer};
use crate::model::{tags, Address, Desired, Value, NAME, TAGS};
use crate::resources::autoscaling::group;
use crate::topology::Topology;

/// The canary's target group and group, their references unresolved (the group names the canary target
/// group, the launch template, the subnets).
#[derive(Debug, Clone, PartialEq)]
pub struct Canary {
    pub target_group: Desired,
    pub group: Desired,
}

/// The canary for rolling out node group `of`'s launch template version `version` with `capacity` nodes
/// (the group's desired count, so that the canary alone can carry all the traffic at 100%). `composed`
/// is what [`super::desired`] made of the topology; None if it has no such group or target group.
pub fn canary(topology: &Topology, composed: &[Desired], of: &str, version: &str, capacity: i64) -> Option<Canary> {
    let find = |address: &str| composed.iter().find(|d| d.address.as_str() == address);
    let name = app::canary_name(&topology.name);
    let tagged = |address: &str| {
        let mut tags = tags::for_resource(&topology.tags, &topology.name, &Address::new(address), &name);
        tags.insert(tags::LAUNCH_TEMPLATE_VERSION.to_owned(), version.to_owned());
        tags::to_value(&tags)
    };

    let (canary_target_group, canary_group) = (app::canary_target_group(of), app::canary_group(of));
    let mut target_group = find(&load_balancer::target_group(of))?.clone();
    target_group.address = Address::new(&canary_target_group);
    let target_group = target_group.prop(&NAME, Value::str(&name)).prop(&TAGS, tagged(&canary_target_group));

    let mut group = find(&app::auto_scaling_group(of))?.clone();
    group.address = Address::new(&canary_group);
    // A fixed size for the length of the rollout: no scaling policy follows the canary, and the app group
    // keeps its own.
    group.create_only.remove(group::DESIRED.name);
    let group = group
        .prop(&NAME, Value::str(&name))
        .prop(&group::LAUNCH_TEMPLATE_VERSION, Value::str(version))
        .prop(&group::MIN, Value::Int(capacity))
        .prop(&group::MAX, Value::Int(capacity))
        .prop(&group::DESIRED, Value::Int(capacity))
        .prop(&group::TARGET_GROUPS, Value::List(vec![id_of(&canary_target_group)]))
        .prop(&TAGS, tagged(&canary_group));
    Some(Canary { target_group, group })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Kind;

    #[test]
    fn the_canary_copies_the_app_tier_with_its_own_names_tags_version_and_size() {
        let text = "name: shop\nregion: us-east-1\napp: { instance_type: t3.small }\n";
        let topology = crate::topology::parse(std::path::Path::new("shop.yaml"), text).expect("valid").topology;
        let composed = crate::compose::desired(&topology, &crate::compose::offline_facts(&topology)).expect("composed");
        let canary = canary(&topology, &composed, "app", "4", 3).expect("canary");

        let tg = &canary.target_group;
        let app_tg = composed.iter().find(|d| d.address.as_str() == load_balancer::TARGET_GROUP).expect("app tg");
        assert_eq!((tg.address.as_str(), tg.kind), (app::CANARY_TARGET_GROUP, Kind::TargetGroup));
        assert_eq!(tg.props.get(NAME.name), Some(&Value::str("shop-canary")));
        for (key, value) in &app_tg.props {
            if key != NAME.name && key != TAGS.name {
                assert_eq!(tg.props.get(key), Some(value), "{key} differs from the app target group's");
            }
        }

        let group = &canary.group;
        let tags = tags::from_value(group.props.get(TAGS.name));
        assert_eq!(tags.get(tags::RESOURCE).map(String::as_str), Some(app::CANARY_GROUP));
        assert_eq!(tags.get(tags::LAUNCH_TEMPLATE_VERSION).map(String::as_str), Some("4"));
        assert_eq!(tags.get(tags::DEPLOYMENT).map(String::as_str), Some("shop"));
        assert_eq!(group.props.get(group::LAUNCH_TEMPLATE_VERSION.name), Some(&Value::str("4")));
        for prop in [&group::MIN, &group::MAX, &group::DESIRED] {
            assert_eq!(group.props.get(prop.name), Some(&Value::Int(3)), "{}", prop.name);
        }
        assert!(group.create_only.is_empty(), "{:?}", group.create_only);
        assert_eq!(
            group.props.get(group::TARGET_GROUPS.name),
            Some(&Value::List(vec![Value::Ref(Address::new(app::CANARY_TARGET_GROUP))]))
        );
        assert_eq!(super::canary(&topology, &composed, "web", "4", 3), None, "no group web");
    }

    #[test]
    fn another_groups_canary_copies_that_group_under_its_own_addresses_with_the_one_canary_name() {
        let text = "name: shop\nregion: us-east-1\nnode_groups:\n  web: { instance_type: t3.small, port: 8080, route: default }\n  workers: { instance_type: t3.large }\n";
        let topology = crate::topology::parse(std::path::Path::new("shop.yaml"), text).expect("valid").topology;
        let composed = crate::compose::desired(&topology, &crate::compose::offline_facts(&topology)).expect("composed");
        let canary = canary(&topology, &composed, "web", "2", 2).expect("canary");
        let web_tg =
            composed.iter().find(|d| d.address.as_str() == load_balancer::target_group("web")).expect("web tg");
        assert_eq!(canary.target_group.address.as_str(), "groups/web/canary/target-group");
        assert_eq!(canary.target_group.props.get("port"), web_tg.props.get("port"));
        assert_eq!(canary.target_group.props.get(NAME.name), Some(&Value::str("shop-canary")));
        let web = composed.iter().find(|d| d.address.as_str() == app::auto_scaling_group("web")).expect("web");
        assert_eq!(canary.group.address.as_str(), "groups/web/canary/auto-scaling-group");
        assert_eq!(canary.group.props.get(group::LAUNCH_TEMPLATE.name), web.props.get(group::LAUNCH_TEMPLATE.name));
        assert_eq!(
            canary.group.props.get(group::TARGET_GROUPS.name),
            Some(&Value::List(vec![Value::Ref(Address::new("groups/web/canary/target-group"))]))
        );
        // Group workers has no route, so no target group to copy: no canary.
        assert_eq!(super::canary(&topology, &composed, "workers", "2", 1), None);
    }
}
