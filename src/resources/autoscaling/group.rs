//! The Auto Scaling group of app nodes: private subnets, ELB health checks, registered in the target group.

use std::collections::BTreeMap;

use aws_sdk_autoscaling::types::{
    AutoScalingGroup as Group, Filter, InstanceMaintenancePolicy, LaunchTemplateSpecification, Tag,
};
use aws_sdk_elasticloadbalancingv2::types::TargetHealthStateEnum;

use crate::aws::{AwsError, ErrorClass, PollPolicy, PollStatus, Required, ResultExt, Service};
use crate::model::{tags, Actual, Desired, Kind, Op, Prop, Value, NAME, TAGS};
use crate::resources::support::{self, once_iam_visible, owned_address, wait_for};
use crate::resources::{tag_pairs, Ctx, Error, Latency, Progress, ResourceKind, Spec};

use super::refresh;

pub use super::group_props::*;

pub struct AutoScalingGroup;

const SPEC: Spec =
    Spec::new(Kind::AutoScalingGroup, "auto scaling group", Service::AutoScaling, PollPolicy::GROUPS, latency)
        .props(&[
            &NAME,
            &LAUNCH_TEMPLATE,
            &LAUNCH_TEMPLATE_VERSION,
            &MIN,
            &MAX,
            &DESIRED,
            &SUBNETS,
            &TARGET_GROUPS,
            &HEALTH_CHECK,
            &HEALTH_CHECK_GRACE,
            &MIN_HEALTHY,
            &MAX_HEALTHY,
            &WARMUP,
            &GROUP_METRICS,
            &TAGS,
        ])
        .deleted_after(&[Kind::ScalingPolicy])
        .notes(notes)
        .update_latency(rolling_latency)
        .charge(super::cost::app_nodes);

fn latency(op: Op, _: Option<&Desired>) -> Latency {
    match op {
        // Nodes InService 30-60 s (E, daemonology.net/blog/2021-08-12-EC2-boot-time-benchmarking.html)
        // plus one passing health check at the default 30 s interval (D, aws:elasticloadbalancing/
        // latest/application/target-group-health-checks.html); the estimate allows for a slow boot.
        Op::Create => Latency::waits(120, 60.0, 90.0),
        // Nodes shut down and terminate (E, the reverse of the boot figures above).
        Op::Delete => Latency::waits(120, 60.0, 120.0),
        // Most updates answer at once; a new launch template version replaces the nodes, batch by batch,
        // each batch booting and warming up like a create (the plan's note says so).
        Op::Update => Latency::at_once(op),
    }
}

/// A new launch template version replaces the nodes in batches: as many new nodes at once as the maximum
/// healthy percentage leaves room for above `desired` (at least one), each batch booting like a create
/// and then warming up.
fn rolling_latency(have: &Actual, changed: &[String]) -> Option<Latency> {
    if !changed.iter().any(|c| c == LAUNCH_TEMPLATE_VERSION.name) {
        return None;
    }
    let int = |p: &Prop| match have.props.get(p.name) {
        Some(Value::Int(n)) => u64::try_from(*n).ok(),
        _ => None,
    };
    let nodes: u64 = have.attrs.get(NODES).and_then(|n| n.parse().ok()).unwrap_or(0);
    let room = int(&MAX_HEALTHY).unwrap_or(100).saturating_sub(100);
    let batch = (nodes * room / 100).max(1);
    let batches = nodes.div_ceil(batch).max(1);
    let create = latency(Op::Create, None).typical.as_secs();
    let per_batch = create + int(&WARMUP).unwrap_or(0);
    Some(Latency::waits(batches * per_batch, 60.0, (batches * per_batch) as f64))
}

/// What a plan should say about an update beyond its properties: nodes replaced, and a `desired` the
/// autoscaler owns.
fn notes(have: &Actual, want: &Desired) -> Vec<String> {
    let mut notes = Vec::new();
    let version = |v: Option<&Value>| match v {
        Some(Value::Str(n)) if n.parse::<u64>().is_ok() => format!("v{n}"),
        Some(Value::Str(other)) => other.clone(),
        Some(other) => other.to_string(),
        None => "(none)".to_owned(),
    };
    let percent = |v: Option<&Value>| v.map_or_else(String::new, |v| format!(", keeping {v}% healthy"));
    if want.differs_from(have, &LAUNCH_TEMPLATE_VERSION) {
        let nodes = have.attrs.get(NODES).map_or("the", String::as_str);
        notes.push(format!(
            "rolling replacement of {nodes} nodes (launch template {} -> {}){}",
            version(have.props.get(LAUNCH_TEMPLATE_VERSION.name)),
            version(want.value(&LAUNCH_TEMPLATE_VERSION)),
            percent(want.value(&MIN_HEALTHY)),
        ));
    }
    if let (Some(now), Some(topology)) = (have.props.get(DESIRED.name), want.create_only.get(DESIRED.name)) {
        match desired_to_send(have, want) {
            Ok(Some(moved)) => notes.push(format!("desired {now} -> {moved}: kept within the new min and max")),
            _ if now != topology => notes.push(format!(
                "desired {now} -> {topology} ignored: auto scaling owns it; pass --set-desired to force"
            )),
            _ => {}
        }
    }
    notes
}

/// How many nodes the group has, in service or on their way (an attribute, for plans).
const NODES: &str = "nodes";

impl ResourceKind for AutoScalingGroup {
    const SPEC: &'static Spec = &SPEC;

    async fn discover(ctx: &Ctx, _parent: Option<&Actual>) -> Result<Vec<Actual>, Error> {
        let autoscaling = &ctx.aws.autoscaling;
        let groups: Vec<_> = autoscaling
            .describe_auto_scaling_groups()
            .filters(Filter::builder().name(format!("tag:{}", tags::DEPLOYMENT)).values(&ctx.deployment).build())
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .call("DescribeAutoScalingGroups", &ctx.deployment)?;
        let found: Result<Vec<Actual>, AwsError> =
            groups.iter().map(|group| from_aws(ctx, group)).filter_map(Result::transpose).collect();
        Ok(found?)
    }

    async fn create(ctx: &Ctx, want: &Desired, progress: &dyn Progress) -> Result<Actual, Error> {
        let autoscaling = &ctx.aws.autoscaling;
        let resource = want.address.as_str();
        let name = want.text(&NAME)?;
        let min = want.int32(&MIN)?;
        // The first size is the topology's `desired`; without one the group starts at its minimum.
        let desired = if want.value(&DESIRED).is_some() { want.int32(&DESIRED)? } else { min };
        let request = autoscaling
            .create_auto_scaling_group()
            .auto_scaling_group_name(name)
            .launch_template(template_spec(want)?)
            .instance_maintenance_policy(maintenance_policy(want)?)
            .default_instance_warmup(want.int32(&WARMUP)?)
            .min_size(min)
            .max_size(want.int32(&MAX)?)
            .desired_capacity(desired)
            .vpc_zone_identifier(want.strings(&SUBNETS)?.join(","))
            .set_target_group_arns(Some(want.strings(&TARGET_GROUPS)?))
            .health_check_type(want.text(&HEALTH_CHECK)?)
            .health_check_grace_period(want.int32(&HEALTH_CHECK_GRACE)?)
            .set_tags(Some(asg_tags(name, &tag_pairs(want))));
        // Auto Scaling checks the launch template's instance profile, which may be seconds old.
        let created = once_iam_visible(resource, "CreateAutoScalingGroup", progress, || async {
            request.clone().send().await.call("CreateAutoScalingGroup", resource)
        })
        .await;
        match created {
            // A run interrupted between this call and its answer made it already: the name is ours.
            Err(err) if err.is(ErrorClass::AlreadyExists) => {}
            other => {
                other?;
            }
        }
        if want.value(&GROUP_METRICS).is_some() {
            enable_metrics(ctx, name, want).await?;
        }
        wait_for_capacity(ctx, want, progress).await?;
        Ok(Actual::made(want, name))
    }

    async fn update(ctx: &Ctx, have: &Actual, want: &Desired, progress: &dyn Progress) -> Result<Actual, Error> {
        let resource = have.address.as_str();
        let asg = &ctx.aws.autoscaling;
        let group_changed =
            [&MIN, &MAX, &DESIRED, &SUBNETS, &HEALTH_CHECK, &HEALTH_CHECK_GRACE, &MIN_HEALTHY, &MAX_HEALTHY, &WARMUP]
                .iter()
                .any(|p| want.differs_from(have, p));
        if group_changed {
            // The launch template is not sent: a new version reaches the group through the refresh below.
            let mut call = asg
                .update_auto_scaling_group()
                .auto_scaling_group_name(&have.id)
                .min_size(want.int32(&MIN)?)
                .max_size(want.int32(&MAX)?)
                .vpc_zone_identifier(want.strings(&SUBNETS)?.join(","))
                .health_check_type(want.text(&HEALTH_CHECK)?)
                .health_check_grace_period(want.int32(&HEALTH_CHECK_GRACE)?)
                .instance_maintenance_policy(maintenance_policy(want)?)
                .default_instance_warmup(want.int32(&WARMUP)?);
            if let Some(desired) = desired_to_send(have, want)? {
                call = call.desired_capacity(desired);
            }
            call.send().await.call("UpdateAutoScalingGroup", resource)?;
        }
        if want.differs_from(have, &LAUNCH_TEMPLATE) || want.differs_from(have, &LAUNCH_TEMPLATE_VERSION) {
            let version = want.text(&LAUNCH_TEMPLATE_VERSION)?;
            // The group's size when the refresh starts: what "2 of 4 nodes replaced" counts to.
            let nodes = have.props.get(DESIRED.name).and_then(Value::as_int).and_then(|n| i32::try_from(n).ok());
            let target = refresh::Target { group: &have.id, template: want.text(&LAUNCH_TEMPLATE)?, version, nodes };
            refresh::roll_to(ctx, target, resource, progress).await?;
        }

        if want.value(&GROUP_METRICS).is_some() && want.differs_from(have, &GROUP_METRICS) {
            enable_metrics(ctx, &have.id, want).await?;
        }

        let had_tgs = have.strings(&TARGET_GROUPS);
        let want_tgs = want.strings(&TARGET_GROUPS)?;
        let attach: Vec<String> = want_tgs.iter().filter(|t| !had_tgs.contains(t)).cloned().collect();
        let detach: Vec<String> = had_tgs.iter().filter(|t| !want_tgs.contains(t)).cloned().collect();
        if !attach.is_empty() {
            asg.attach_load_balancer_target_groups()
                .auto_scaling_group_name(&have.id)
                .set_target_group_arns(Some(attach))
                .send()
                .await
                .call("AttachLoadBalancerTargetGroups", resource)?;
        }
        if !detach.is_empty() {
            asg.detach_load_balancer_target_groups()
                .auto_scaling_group_name(&have.id)
                .set_target_group_arns(Some(detach))
                .send()
                .await
                .call("DetachLoadBalancerTargetGroups", resource)?;
        }

        let (id, had) = (&have.id, tags::from_value(have.props.get(TAGS.name)));
        let set = move |tags: BTreeMap<String, String>| async move {
            asg.create_or_update_tags()
                .set_tags(Some(asg_tags(id, &tags)))
                .send()
                .await
                .call("CreateOrUpdateTags", resource)?;
            Ok(())
        };
        // Auto Scaling deletes a tag by its key and value.
        let remove = move |keys: Vec<String>| async move {
            let removed: BTreeMap<String, String> = had.into_iter().filter(|(k, _)| keys.contains(k)).collect();
            asg.delete_tags().set_tags(Some(asg_tags(id, &removed))).send().await.call("DeleteTags", resource)?;
            Ok(())
        };
        support::sync_tags(have, want, set, remove).await?;
        wait_for_capacity(ctx, want, progress).await?;
        Ok(have.updated_to(want))
    }

    async fn delete(ctx: &Ctx, have: &Actual, progress: &dyn Progress) -> Result<(), Error> {
        let autoscaling = &ctx.aws.autoscaling;
        let resource = have.address.as_str();
        // Look first: Auto Scaling answers a delete of a group that is gone, or already going, with a plain
        // ValidationError that only its message text tells apart.
        let Some(group) = describe(ctx, &have.id, resource).await? else { return Ok(()) };
        if group.status() != Some(DELETING) {
            // Force: terminate the nodes with the group instead of draining to zero first.
            match autoscaling
                .delete_auto_scaling_group()
                .auto_scaling_group_name(&have.id)
                .force_delete(true)
                .send()
                .await
                .call("DeleteAutoScalingGroup", resource)
            {
                // A scaling activity of an earlier, interrupted delete is still running: wait for it below.
                Err(err) if err.code_is("ScalingActivityInProgress") => {}
                other => {
                    other?;
                }
            }
        }
        // The group stays visible while its nodes terminate; subnets and security groups stay pinned until then.
        wait_for(SPEC.schedule(Op::Delete, None), resource, "DescribeAutoScalingGroups", progress, || async {
            Ok(match describe(ctx, &have.id, resource).await? {
                None => PollStatus::Ready(()),
                Some(group) => PollStatus::Pending(format!(
                    "{} ({} nodes left)",
                    group.status().unwrap_or("deleting"),
                    group.instances().len()
                )),
            })
        })
        .await?;
        Ok(())
    }
}

/// The group as discovery reports it, if it is this deployment's. Every field read strictly here is one
/// DescribeAutoScalingGroups always returns for a group made from a launch template.
fn from_aws(ctx: &Ctx, group: &Group) -> Result<Option<Actual>, AwsError> {
    const CALL: &str = "DescribeAutoScalingGroups";
    let tags = tags::from_pairs(group.tags().iter().map(|t| (t.key(), t.value())));
    let Some(address) = owned_address(ctx, &tags) else { return Ok(None) };
    let at = address.as_str().to_owned();
    let required = |value: Option<&str>, field: &'static str| value.map(Value::str).required(CALL, field, &at);
    let count =
        |value: Option<i32>, field: &'static str| value.map(|n| Value::Int(i64::from(n))).required(CALL, field, &at);
    let subnets = group
        .vpc_zone_identifier()
        .required(CALL, "VPCZoneIdentifier", &at)?
        .split(',')
        .filter(|s| !s.is_empty())
        .map(Value::str)
        .collect();
    let template = group.launch_template();
    let in_service =
        group.instances().iter().filter(|i| i.lifecycle_state().map(|s| s.as_str()) == Some("InService")).count();
    let policy = group.instance_maintenance_policy();
    let name = group.auto_scaling_group_name().required(CALL, "AutoScalingGroupName", &at)?;
    let mut actual = Actual::new(address, Kind::AutoScalingGroup, name)
        .prop(&NAME, Value::str(name))
        .prop(
            &LAUNCH_TEMPLATE,
            required(template.and_then(|t| t.launch_template_id()), "LaunchTemplate.LaunchTemplateId")?,
        )
        .prop(&LAUNCH_TEMPLATE_VERSION, required(template.and_then(|t| t.version()), "LaunchTemplate.Version")?)
        .prop(&MIN, count(group.min_size(), "MinSize")?)
        .prop(&MAX, count(group.max_size(), "MaxSize")?)
        .prop(&DESIRED, count(group.desired_capacity(), "DesiredCapacity")?)
        .prop(&HEALTH_CHECK, required(group.health_check_type(), "HealthCheckType")?);
    // AWS omits what was never set; left out, the diff shows it as a change to make.
    if let Some(min) = policy.and_then(|p| p.min_healthy_percentage()) {
        actual = actual.prop(&MIN_HEALTHY, Value::Int(i64::from(min)));
    }
    if let Some(max) = policy.and_then(|p| p.max_healthy_percentage()) {
        actual = actual.prop(&MAX_HEALTHY, Value::Int(i64::from(max)));
    }
    if let Some(grace) = group.health_check_grace_period() {
        actual = actual.prop(&HEALTH_CHECK_GRACE, Value::Int(i64::from(grace)));
    }
    if let Some(warmup) = group.default_instance_warmup() {
        actual = actual.prop(&WARMUP, Value::Int(i64::from(warmup)));
    }
    Ok(Some(
        actual
            .prop(&SUBNETS, Value::List(subnets))
            .prop(&TARGET_GROUPS, Value::List(group.target_group_arns().iter().map(Value::str).collect()))
            .prop(
                &GROUP_METRICS,
                Value::List(group.enabled_metrics().iter().filter_map(|m| m.metric()).map(Value::str).collect()),
            )
            .prop(&TAGS, tags::to_value(&tags))
            .attr("in_service", in_service.to_string())
            .attr(NODES, group.instances().len().to_string())
            // AWS sets a status only while the group is being deleted.
            .attr("status", group.status().unwrap_or("active")),
    ))
}

fn asg_tags(name: &str, tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| {
            Tag::builder()
                .resource_id(name)
                .resource_type("auto-scaling-group")
                .key(k)
                .value(v)
                .propagate_at_launch(false)
                .build()
        })
        .collect()
}

fn template_spec(want: &Desired) -> Result<LaunchTemplateSpecification, Error> {
    Ok(LaunchTemplateSpecification::builder()
        .launch_template_id(want.text(&LAUNCH_TEMPLATE)?)
        .version(want.text(&LAUNCH_TEMPLATE_VERSION)?)
        .build())
}

fn maintenance_policy(want: &Desired) -> Result<InstanceMaintenancePolicy, Error> {
    Ok(InstanceMaintenancePolicy::builder()
        .min_healthy_percentage(want.int32(&MIN_HEALTHY)?)
        .max_healthy_percentage(want.int32(&MAX_HEALTHY)?)
        .build())
}

/// The desired capacity an update must send, if any. A compared `desired` (no scaling policy, or
/// `--set-desired`) is sent as the topology says. Otherwise the autoscaler owns it and it is left alone,
/// unless the new `min` or `max` would leave it outside them (AWS refuses such an update): then it moves
/// to the nearest bound.
fn desired_to_send(have: &Actual, want: &Desired) -> Result<Option<i32>, Error> {
    if want.props.contains_key(DESIRED.name) {
        return Ok(Some(want.int32(&DESIRED)?));
    }
    let Some(Value::Int(now)) = have.props.get(DESIRED.name) else { return Ok(None) };
    let now = i32::try_from(*now).unwrap_or(i32::MAX);
    let (min, max) = (want.int32(&MIN)?, want.int32(&MAX)?);
    Ok((now < min || now > max).then(|| now.clamp(min, max.max(min))))
}

/// Wait until at least `min` nodes are InService and healthy in every target group: the cluster serves.
/// Also what a canary rollout resumed after a kill waits on for a canary group that exists already.
pub async fn wait_for_capacity(ctx: &Ctx, want: &Desired, progress: &dyn Progress) -> Result<(), Error> {
    let elb = &ctx.aws.elb;
    let autoscaling = &ctx.aws.autoscaling;
    let resource = want.address.as_str();
    let name = want.text(&NAME)?;
    let needed = usize::try_from(want.int(&MIN)?).unwrap_or(0);
    if needed == 0 {
        return Ok(());
    }
    let target_groups = want.strings(&TARGET_GROUPS)?;
    // New nodes boot and pass their first health checks as on a create, whichever action added them
    // (nodes already serving are seen by the first look, which is at once).
    let schedule = SPEC.schedule(Op::Create, Some(want));
    wait_for(schedule, resource, "DescribeAutoScalingGroups", progress, || async {
        let out = autoscaling
            .describe_auto_scaling_groups()
            .auto_scaling_group_names(name)
            .send()
            .await
            .call("DescribeAutoScalingGroups", resource)?;
        let in_service: Vec<String> = out
            .auto_scaling_groups()
            .iter()
            .flat_map(|g| g.instances())
            .filter(|i| i.lifecycle_state().map(|s| s.as_str()) == Some("InService"))
            .filter_map(|i| i.instance_id().map(str::to_owned))
            .collect();
        if in_service.len() < needed {
            return Ok(PollStatus::Pending(format!("{}/{needed} nodes in service", in_service.len())));
        }
        for tg in &target_groups {
            let health = elb
                .describe_target_health()
                .target_group_arn(tg)
                .send()
                .await
                .call("DescribeTargetHealth", resource)?;
            let healthy = health
                .target_health_descriptions()
                .iter()
                .filter(|d| d.target_health().and_then(|h| h.state()) == Some(&TargetHealthStateEnum::Healthy))
                .filter(|d| d.target().and_then(|t| t.id()).is_some_and(|id| in_service.iter().any(|i| i == id)))
                .count();
            if healthy < needed {
                return Ok(PollStatus::Pending(format!("{healthy}/{needed} nodes healthy in the target group")));
            }
        }
        Ok(PollStatus::Ready(()))
    })
    .await?;
    Ok(())
}

/// The group as Auto Scaling describes it now, if it still exists.
async fn describe(ctx: &Ctx, name: &str, resource: &str) -> Result<Option<Group>, AwsError> {
    let autoscaling = &ctx.aws.autoscaling;
    let out = autoscaling
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(name)
        .send()
        .await
        .call("DescribeAutoScalingGroups", resource)?;
    Ok(out.auto_scaling_groups().first().cloned())
}

/// Auto Scaling reports a group that is being deleted with this status.
const DELETING: &str = "Delete in progress";

/// Have Auto Scaling send the group metrics `want` names to CloudWatch, every minute.
async fn enable_metrics(ctx: &Ctx, group: &str, want: &Desired) -> Result<(), Error> {
    ctx.aws
        .autoscaling
        .enable_metrics_collection()
        .auto_scaling_group_name(group)
        .granularity("1Minute")
        .set_metrics(Some(want.strings(&GROUP_METRICS)?))
        .send()
        .await
        .call("EnableMetricsCollection", want.address.as_str())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Address;

    fn group(desired: i64) -> Actual {
        Actual::new(Address::new("app/auto-scaling-group"), Kind::AutoScalingGroup, "shop-app")
            .prop(&DESIRED, Value::Int(desired))
            .prop(&LAUNCH_TEMPLATE_VERSION, Value::str("3"))
            .attr(NODES, "4")
    }

    fn wanted(min: i64, max: i64) -> Desired {
        Desired::new("app/auto-scaling-group", Kind::AutoScalingGroup)
            .prop(&MIN, Value::Int(min))
            .prop(&MAX, Value::Int(max))
            .prop(&LAUNCH_TEMPLATE_VERSION, Value::str("3"))
            .prop(&MIN_HEALTHY, Value::Int(90))
    }

    #[test]
    fn a_desired_the_autoscaler_owns_moves_only_to_stay_within_min_and_max() {
        let owned = |min, max| wanted(min, max).create_only(&DESIRED, Value::Int(2));
        assert_eq!(desired_to_send(&group(5), &owned(2, 6)).expect("sent"), None, "left to the autoscaler");
        assert_eq!(desired_to_send(&group(2), &owned(3, 6)).expect("sent"), Some(3), "raised with min");
        assert_eq!(desired_to_send(&group(5), &owned(2, 4)).expect("sent"), Some(4), "lowered with max");
        // Compared (no scaling policy, or --set-desired): the topology's value.
        let compared = wanted(2, 6).prop(&DESIRED, Value::Int(3));
        assert_eq!(desired_to_send(&group(5), &compared).expect("sent"), Some(3));
    }

    #[test]
    fn a_rolling_replacement_takes_a_boot_and_a_warm_up_per_batch() {
        let have = group(4).prop(&MAX_HEALTHY, Value::Int(190)).prop(&WARMUP, Value::Int(30));
        let changed = [LAUNCH_TEMPLATE_VERSION.name.to_owned()];
        // Room for 3 new nodes above 4: two batches of a boot (120 s) and a warm-up (30 s).
        assert_eq!(rolling_latency(&have, &changed).map(|l| l.typical.as_secs()), Some(300));
        let one_at_a_time = group(4).prop(&MAX_HEALTHY, Value::Int(100)).prop(&WARMUP, Value::Int(30));
        assert_eq!(rolling_latency(&one_at_a_time, &changed).map(|l| l.typical.as_secs()), Some(600));
        assert!(rolling_latency(&have, &["min".to_owned()]).is_none(), "other updates answer at once");
    }

    #[test]
    fn plans_say_when_nodes_are_replaced_and_when_desired_is_left_alone() {
        let new_version = wanted(2, 6).prop(&LAUNCH_TEMPLATE_VERSION, Value::str("4"));
        assert_eq!(
            notes(&group(4), &new_version),
            ["rolling replacement of 4 nodes (launch template v3 -> v4), keeping 90% healthy"]
        );
        let owned = wanted(2, 6).create_only(&DESIRED, Value::Int(3));
        assert_eq!(
            notes(&group(2), &owned),
            ["desired 2 -> 3 ignored: auto scaling owns it; pass --set-desired to force"]
        );
        assert!(notes(&group(3), &owned).is_empty(), "nothing to say when they agree");
        // A group made before versions were pinned names `$Default`.
        let unpinned = group(4).prop(&LAUNCH_TEMPLATE_VERSION, Value::str("$Default"));
        assert_eq!(
            notes(&unpinned, &new_version),
            ["rolling replacement of 4 nodes (launch template $Default -> v4), keeping 90% healthy"]
        );
    }
}
