//! The Auto Scaling group of app nodes: private subnets, ELB health checks, registered in the target group.

use std::collections::BTreeMap;

use aws_sdk_autoscaling::types::{Filter, LaunchTemplateSpecification, Tag};
use aws_sdk_elasticloadbalancingv2::types::TargetHealthStateEnum;

use crate::aws::{poll, AwsError, ErrorClass, PollStatus, ResultExt};
use crate::model::{tags, Actual, Desired, Kind, Value};
use crate::resources::wait_policy;
use crate::resources::{owned_address, Ctx, Progress};

/// Seconds a new node may fail health checks while it boots before Auto Scaling replaces it.
const HEALTH_CHECK_GRACE_SECONDS: i32 = 300;

pub async fn discover(ctx: &Ctx) -> Result<Vec<Actual>, AwsError> {
    let groups: Vec<_> = ctx
        .aws
        .autoscaling
        .describe_auto_scaling_groups()
        .filters(Filter::builder().name(format!("tag:{}", tags::DEPLOYMENT)).values(&ctx.deployment).build())
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .call("DescribeAutoScalingGroups", &ctx.deployment)?;
    Ok(groups
        .iter()
        .filter_map(|group| {
            let tags = tags::from_pairs(group.tags().iter().map(|t| (t.key(), t.value())));
            let address = owned_address(ctx, &tags)?;
            let subnets = group
                .vpc_zone_identifier()
                .unwrap_or_default()
                .split(',')
                .filter(|s| !s.is_empty())
                .map(Value::str)
                .collect();
            let template = group.launch_template().and_then(|t| t.launch_template_id()).unwrap_or_default();
            let in_service = group
                .instances()
                .iter()
                .filter(|i| i.lifecycle_state().map(|s| s.as_str()) == Some("InService"))
                .count();
            Some(
                Actual::new(address, Kind::AutoScalingGroup, group.auto_scaling_group_name()?)
                    .prop("name", Value::str(group.auto_scaling_group_name()?))
                    .prop("launch_template", Value::str(template))
                    .prop("min", Value::Int(i64::from(group.min_size()?)))
                    .prop("max", Value::Int(i64::from(group.max_size()?)))
                    .prop("desired", Value::Int(i64::from(group.desired_capacity()?)))
                    .prop("subnets", Value::List(subnets))
                    .prop("target_groups", Value::List(group.target_group_arns().iter().map(Value::str).collect()))
                    .prop("health_check", Value::str(group.health_check_type().unwrap_or_default()))
                    .prop("tags", tags::to_value(&tags))
                    .attr("in_service", in_service.to_string())
                    .attr("status", group.status().unwrap_or("active")),
            )
        })
        .collect())
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

fn template_spec(want: &Desired) -> LaunchTemplateSpecification {
    LaunchTemplateSpecification::builder().launch_template_id(want.text("launch_template")).version("$Default").build()
}

pub async fn create(ctx: &Ctx, want: &Desired, progress: &dyn Progress) -> Result<Actual, AwsError> {
    let resource = want.address.as_str();
    let name = want.text("name");
    let desired = want.value("desired").and_then(Value::as_int).unwrap_or_else(|| want.int("min"));
    let created = ctx
        .aws
        .autoscaling
        .create_auto_scaling_group()
        .auto_scaling_group_name(name)
        .launch_template(template_spec(want))
        .min_size(want.int("min") as i32)
        .max_size(want.int("max") as i32)
        .desired_capacity(desired as i32)
        .vpc_zone_identifier(want.props.get("subnets").map(Value::strings).unwrap_or_default().join(","))
        .set_target_group_arns(Some(want.props.get("target_groups").map(Value::strings).unwrap_or_default()))
        .health_check_type(want.text("health_check"))
        .health_check_grace_period(HEALTH_CHECK_GRACE_SECONDS)
        .set_tags(Some(asg_tags(name, &tags::from_value(want.props.get("tags")))))
        .send()
        .await
        .call("CreateAutoScalingGroup", resource);
    match created {
        // A run interrupted between this call and its answer made it already: the name is ours.
        Err(err) if err.is(ErrorClass::AlreadyExists) => {}
        other => {
            other?;
        }
    }
    wait_for_capacity(ctx, want, progress).await?;
    Ok(Actual { props: want.props.clone(), ..Actual::new(want.address.clone(), Kind::AutoScalingGroup, name) })
}

/// Wait until at least `min` nodes are InService and healthy in every target group: the cluster serves.
async fn wait_for_capacity(ctx: &Ctx, want: &Desired, progress: &dyn Progress) -> Result<(), AwsError> {
    let resource = want.address.as_str();
    let name = want.text("name");
    let needed = usize::try_from(want.int("min")).unwrap_or(0);
    if needed == 0 {
        return Ok(());
    }
    let target_groups = want.props.get("target_groups").map(Value::strings).unwrap_or_default();
    poll(
        wait_policy(Kind::AutoScalingGroup),
        resource,
        "DescribeAutoScalingGroups",
        |seen, waited| progress.waiting(seen, waited),
        || async {
            let out = ctx
                .aws
                .autoscaling
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
                let health = ctx
                    .aws
                    .elb
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
        },
    )
    .await
}

pub async fn update(ctx: &Ctx, have: &Actual, want: &Desired, progress: &dyn Progress) -> Result<Actual, AwsError> {
    let resource = have.address.as_str();
    let asg = &ctx.aws.autoscaling;
    let group_changed = ["launch_template", "min", "max", "desired", "subnets", "health_check"]
        .iter()
        .any(|k| want.differs_from(have, k));
    let mut call = asg
        .update_auto_scaling_group()
        .auto_scaling_group_name(&have.id)
        .launch_template(template_spec(want))
        .min_size(want.int("min") as i32)
        .max_size(want.int("max") as i32)
        .vpc_zone_identifier(want.props.get("subnets").map(Value::strings).unwrap_or_default().join(","))
        .health_check_type(want.text("health_check"));
    if let Some(desired) = want.props.get("desired").and_then(Value::as_int) {
        call = call.desired_capacity(desired as i32);
    }
    if group_changed {
        call.send().await.call("UpdateAutoScalingGroup", resource)?;
    }

    let had_tgs = have.props.get("target_groups").map(Value::strings).unwrap_or_default();
    let want_tgs = want.props.get("target_groups").map(Value::strings).unwrap_or_default();
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

    if let Some(change) = tags::change(have.props.get("tags"), want.props.get("tags")) {
        if !change.set.is_empty() {
            asg.create_or_update_tags()
                .set_tags(Some(asg_tags(&have.id, &change.set)))
                .send()
                .await
                .call("CreateOrUpdateTags", resource)?;
        }
        if !change.remove.is_empty() {
            let had = tags::from_value(have.props.get("tags"));
            let removed: BTreeMap<String, String> =
                had.into_iter().filter(|(k, _)| change.remove.contains(k)).collect();
            asg.delete_tags().set_tags(Some(asg_tags(&have.id, &removed))).send().await.call("DeleteTags", resource)?;
        }
    }
    wait_for_capacity(ctx, want, progress).await?;
    Ok(Actual { props: want.props.clone(), ..have.clone() })
}

pub async fn delete(ctx: &Ctx, have: &Actual, progress: &dyn Progress) -> Result<(), AwsError> {
    let resource = have.address.as_str();
    let asg = &ctx.aws.autoscaling;
    // Force: terminate the nodes with the group instead of draining to zero first.
    match asg
        .delete_auto_scaling_group()
        .auto_scaling_group_name(&have.id)
        .force_delete(true)
        .send()
        .await
        .call("DeleteAutoScalingGroup", resource)
    {
        Err(err) if err.is(ErrorClass::NotFound) || err.message.contains("not found") => return Ok(()),
        // Already being deleted by an earlier, interrupted run.
        Err(err) if err.code_is("ScalingActivityInProgress") || err.message.contains("in progress") => {}
        other => {
            other?;
        }
    }
    // The group stays visible while its nodes terminate; subnets and security groups stay pinned until then.
    poll(
        wait_policy(Kind::AutoScalingGroup),
        resource,
        "DescribeAutoScalingGroups",
        |seen, waited| progress.waiting(seen, waited),
        || async {
            let out = asg
                .describe_auto_scaling_groups()
                .auto_scaling_group_names(&have.id)
                .send()
                .await
                .call("DescribeAutoScalingGroups", resource)?;
            Ok(match out.auto_scaling_groups().first() {
                None => PollStatus::Ready(()),
                Some(group) => PollStatus::Pending(format!(
                    "{} ({} nodes left)",
                    group.status().unwrap_or("deleting"),
                    group.instances().len()
                )),
            })
        },
    )
    .await
}
