//! The app tier: the launch template the nodes boot from (with the rendered user data), the Auto Scaling
//! group in the private subnets registered with the target group, and a target-tracking scaling policy.

use super::boot;
use super::network::{private_route_tables, refs};
use super::template::{user_data, TemplateError};
use super::{id_of, named};
use crate::model::names::{
    app as names, iam::APP_INSTANCE_PROFILE, load_balancer, network::APP_SECURITY_GROUP, storage, zone_letter,
};
use crate::model::{tags, Address, Desired, Facts, Kind, Value, NAME};
use crate::resources::autoscaling::group;
use crate::resources::autoscaling::scaling_policy::{self, CPU, REQUESTS};
use crate::resources::ec2::launch_template;
use crate::topology::{NodeGroup, Scaling, Topology};

/// `--set-desired`: compare the group's desired node count with the topology's even when a scaling
/// policy owns it, so apply sets it.
pub fn set_desired(desired: &mut [Desired]) {
    for group in desired.iter_mut().filter(|d| d.kind == Kind::AutoScalingGroup) {
        if let Some(value) = group.create_only.remove(group::DESIRED.name) {
            group.props.insert(group::DESIRED.name.to_owned(), value);
        }
    }
}

/// While nodes are replaced, Auto Scaling may launch new ones before it terminates old ones, up to this
/// share of `desired`: as far above the minimum as AWS allows (at most 100 points, at most 200%), so a
/// small group keeps its capacity and a large one is replaced in few batches.
fn max_healthy_percent(min_healthy: u8) -> u16 {
    (u16::from(min_healthy) + 100).min(200)
}

/// A new node counts once the load balancer has seen it pass its health check `healthy_threshold` times
/// in a row: the warm-up the group waits for before it moves on.
fn warmup_seconds(topology: &Topology) -> i64 {
    let hc = &topology.load_balancer.health_check;
    i64::try_from(hc.interval.as_secs()).unwrap_or(300) * i64::from(hc.healthy_threshold)
}

/// Every node group's resources, in file order.
pub fn desired(topology: &Topology, facts: &Facts) -> Result<Vec<Desired>, TemplateError> {
    let mut out = Vec::new();
    for group in &topology.groups {
        out.extend(group_desired(topology, facts, group)?);
    }
    Ok(out)
}

/// One group's launch template, Auto Scaling group and scaling policy.
fn group_desired(topology: &Topology, facts: &Facts, group: &NodeGroup) -> Result<Vec<Desired>, TemplateError> {
    let name = &topology.name;
    let group_name = names::aws_name(name, &group.name);
    let lt_address = names::launch_template(&group.name);
    let asg_address = names::auto_scaling_group(&group.name);
    let app = &group.nodes;
    let net = refs(topology, facts);
    let instance_tags = tags::for_resource(&topology.tags, name, &Address::new(&asg_address), &group_name);
    // Every image of the topology is resolved by `resources::facts::gather` (or `offline_facts`).
    let image = facts.images.get(&app.image.written());
    let (image_id, root_device, root_gb) = match image {
        Some(image) => (image.id.as_str(), image.root_device_name.as_str(), image.root_volume_gb),
        None => ("(unresolved image)", "/dev/xvda", None),
    };
    let mut out = vec![named(topology, &lt_address, Kind::LaunchTemplate, &group_name)
        .prop(&NAME, Value::str(&group_name))
        .prop(&launch_template::IMAGE, Value::str(image_id))
        .prop(&launch_template::INSTANCE_TYPE, Value::str(&app.instance_type))
        .prop(&launch_template::SECURITY_GROUPS, Value::List(vec![id_of(APP_SECURITY_GROUP)]))
        .prop(&launch_template::USER_DATA, user_data(topology, facts, group)?)
        .prop(&launch_template::INSTANCE_PROFILE, id_of(APP_INSTANCE_PROFILE))
        .prop(&launch_template::BLOCK_DEVICES, Value::List(vec![launch_template::root_volume(root_device, root_gb)]))
        .create_only(&launch_template::INSTANCE_TAGS, tags::to_value(&instance_tags))];
    // A singleton's node is replaced by terminating it before its successor starts: never two at once.
    let (min_healthy, max_healthy) = if app.singleton {
        (0, 100)
    } else {
        (u16::from(app.min_healthy_percent), max_healthy_percent(app.min_healthy_percent))
    };
    let routed = group.is_routed();
    let target_groups = if routed { vec![id_of(load_balancer::target_group(&group.name))] } else { vec![] };
    let mut asg = named(topology, &asg_address, Kind::AutoScalingGroup, &group_name)
        .prop(&NAME, Value::str(&group_name))
        .prop(&group::LAUNCH_TEMPLATE, id_of(&lt_address))
        .prop(
            &group::LAUNCH_TEMPLATE_VERSION,
            Value::Attr(Address::new(&lt_address), launch_template::DEFAULT_VERSION.to_owned()),
        )
        .prop(&group::MIN, Value::Int(i64::from(app.capacity.min)))
        .prop(&group::MAX, Value::Int(i64::from(app.capacity.max)))
        .prop(&group::SUBNETS, Value::List(net.private_subnets))
        .prop(&group::TARGET_GROUPS, Value::List(target_groups))
        // A group the load balancer does not reach is judged by EC2's instance status checks alone.
        .prop(&group::HEALTH_CHECK, Value::str(if routed { "ELB" } else { "EC2" }))
        .prop(
            &group::HEALTH_CHECK_GRACE,
            Value::Int(i64::from(boot::mount_plan(&topology.load_balancer.health_check).grace)),
        )
        .prop(&group::MIN_HEALTHY, Value::Int(i64::from(min_healthy)))
        .prop(&group::MAX_HEALTHY, Value::Int(i64::from(max_healthy)))
        .prop(&group::WARMUP, Value::Int(warmup_seconds(topology)));
    if topology.alerts.is_some() {
        // The at-max-capacity alarm reads the group's own metric, which Auto Scaling sends only when asked.
        asg = asg.prop(&group::GROUP_METRICS, super::alerts::group_metrics());
    }
    // The group's create waits until its nodes pass the target group's health checks, and they can only
    // once (a) a listener forwards to the target group (targets of a group no listener uses stay
    // `unused`: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html),
    // (b) the nodes can install and start what they serve (their private subnets route out through the
    // NAT gateway) and (c) the data folder mounts (the user data waits for it). Naming these makes the
    // graph say what AWS does; the database is not among them (the nodes look it up when it is there).
    if routed {
        for port in topology.load_balancer.listeners.iter().map(|l| i64::from(l.port)) {
            asg = asg.after(&Address::new(load_balancer::listener(port)));
        }
        // A group routed by paths or hosts is reached through its rules only.
        for rule in super::load_balancer::rules_of(topology, group) {
            asg = asg.after(&rule);
        }
    }
    for table in private_route_tables(topology, facts) {
        asg = asg.after(&table);
    }
    if topology.shared_storage.is_some() {
        for zone in &facts.private_subnet_zones {
            asg = asg.after(&Address::new(storage::mount_target(&zone_letter(&topology.region, zone))));
        }
    }
    // The nodes' CloudWatch agent writes to the group's log group from boot and may not create it.
    asg = asg.after(&Address::new(crate::model::names::logs::log_group(&group.name)));
    // `start_after`: created once the named groups' creates have finished, that is once their nodes are
    // in service (healthy on the load balancer where routed).
    for first in &group.start_after {
        asg = asg.after(&Address::new(names::auto_scaling_group(first)));
    }
    // With a scaling policy the autoscaler owns the desired capacity: set it once, never fight it.
    let desired = Value::Int(i64::from(app.capacity.desired));
    asg = match app.scaling {
        Some(_) => asg.create_only(&group::DESIRED, desired),
        None => asg.prop(&group::DESIRED, desired),
    };
    out.push(asg);
    if let Some(scaling) = app.scaling {
        let (leaf, metric, target) = match scaling {
            Scaling::CpuTarget(pct) => ("cpu", CPU, format!("{pct:.1}")),
            Scaling::RequestsPerTarget(n) => ("requests", REQUESTS, format!("{:.1}", f64::from(n))),
        };
        let policy_name = if group.name == names::APP_GROUP {
            format!("{name}-{leaf}-target")
        } else {
            format!("{group_name}-{leaf}-target")
        };
        // Scaling policies have no tags of their own; they are found through their group.
        let mut policy = Desired::new(names::group_scaling_policy(&group.name, leaf), Kind::ScalingPolicy)
            .prop(&scaling_policy::GROUP, id_of(&asg_address))
            .prop(&NAME, Value::str(policy_name))
            .prop(&scaling_policy::METRIC, Value::str(metric))
            .prop(&scaling_policy::TARGET, Value::str(target));
        if matches!(scaling, Scaling::RequestsPerTarget(_)) {
            policy = policy
                .create_only(&scaling_policy::LOAD_BALANCER, id_of(load_balancer::LOAD_BALANCER))
                .create_only(&scaling_policy::TARGET_GROUP, id_of(load_balancer::target_group(&group.name)));
        }
        out.push(policy);
    }
    Ok(out)
}
