//! How a cluster scales: clusterup's custom rules on YARN memory (EMR's instance-group automatic
//! scaling) or EMR managed scaling, as the composition asks (`mode`, `min`, `max`), and switching between
//! them in place.

use aws_sdk_emr::types::{
    AdjustmentType, AutoScalingPolicy, CloudWatchAlarmDefinition, ComparisonOperator, ComputeLimits,
    ComputeLimitsUnitType, ManagedScalingPolicy, ScalingAction, ScalingConstraints, ScalingRule, ScalingTrigger,
    SimpleScalingPolicyConfiguration, Statistic, Unit,
};

use super::{SCALING, TASK_COUNT};
use crate::aws::ResultExt;
use crate::model::{Actual, Desired, Value};
use crate::resources::{Ctx, Error};

pub(super) fn scaling_value(mode: &str, min: i32, max: i32) -> Value {
    Value::Map(
        [
            ("mode".to_owned(), Value::str(mode)),
            ("min".to_owned(), Value::Int(i64::from(min))),
            ("max".to_owned(), Value::Int(i64::from(max))),
        ]
        .into(),
    )
}

/// clusterup's YARN-memory rules: add a node when less than 15% of YARN memory is free for five minutes,
/// remove one when more than 75% is.
pub(super) fn custom_policy(min: i32, max: i32) -> AutoScalingPolicy {
    let rule = |name: &str, adjustment: i32, operator: ComparisonOperator, threshold: f64| {
        let alarm = CloudWatchAlarmDefinition::builder()
            .comparison_operator(operator)
            .metric_name("YARNMemoryAvailablePercentage")
            .namespace("AWS/ElasticMapReduce")
            .period(300)
            .evaluation_periods(1)
            .statistic(Statistic::Average)
            .threshold(threshold)
            .unit(Unit::Percent)
            .build();
        let action = SimpleScalingPolicyConfiguration::builder()
            .adjustment_type(AdjustmentType::ChangeInCapacity)
            .scaling_adjustment(adjustment)
            .cool_down(300)
            .build();
        ScalingRule::builder()
            .name(name)
            .action(ScalingAction::builder().simple_scaling_policy_configuration(action).build())
            .trigger(ScalingTrigger::builder().cloud_watch_alarm_definition(alarm).build())
            .build()
    };
    AutoScalingPolicy::builder()
        .constraints(ScalingConstraints::builder().min_capacity(min).max_capacity(max).build())
        .rules(rule("clusterup-scale-out", 1, ComparisonOperator::LessThan, 15.0))
        .rules(rule("clusterup-scale-in", -1, ComparisonOperator::GreaterThan, 75.0))
        .build()
}

pub(super) fn managed_policy(min: i32, max: i32) -> ManagedScalingPolicy {
    let limits = ComputeLimits::builder()
        .unit_type(ComputeLimitsUnitType::Instances)
        .minimum_capacity_units(min)
        .maximum_capacity_units(max)
        .build();
    ManagedScalingPolicy::builder().compute_limits(limits).build()
}

/// The wanted scaling: mode and limits, if the cluster scales.
pub(super) fn wanted_scaling(want: &Desired) -> Result<Option<(String, i32, i32)>, Error> {
    if want.value(&SCALING).is_none() {
        return Ok(None);
    }
    let map = want.map(&SCALING)?;
    let wrong = || Error::Bug(format!("{}: scaling {map:?} needs a mode, min and max", want.address));
    let int = |k: &str| map.get(k).and_then(Value::as_int).and_then(|n| i32::try_from(n).ok()).ok_or_else(wrong);
    let mode = map.get("mode").and_then(Value::as_str).ok_or_else(wrong)?;
    Ok(Some((mode.to_owned(), int("min")?, int("max")?)))
}

/// Put the wanted scaling in place, first removing the other mode's policy if the cluster has one.
pub(super) async fn set_scaling(ctx: &Ctx, have: &Actual, want: &Desired) -> Result<(), Error> {
    let resource = have.address.as_str();
    let emr = &ctx.aws.emr;
    // None for a cluster that does not scale (as read) or is not to (as wanted).
    let had_mode = match have.props.get(SCALING.name) {
        Some(Value::Map(map)) => map.get("mode").and_then(Value::as_str),
        _ => None,
    };
    let wanted = wanted_scaling(want)?;
    let wanted_mode = wanted.as_ref().map(|(m, ..)| m.as_str());
    let groups: Vec<(&str, String)> = ["core", "task"]
        .into_iter()
        .filter_map(|p| have.attrs.get(&format!("{p}_group_id")).map(|id| (p, id.clone())))
        .collect();
    if had_mode == Some("custom") && wanted_mode != Some("custom") {
        for (_, group) in &groups {
            emr.remove_auto_scaling_policy()
                .cluster_id(&have.id)
                .instance_group_id(group)
                .send()
                .await
                .call("RemoveAutoScalingPolicy", resource)?;
        }
    }
    if had_mode == Some("managed") && wanted_mode != Some("managed") {
        emr.remove_managed_scaling_policy()
            .cluster_id(&have.id)
            .send()
            .await
            .call("RemoveManagedScalingPolicy", resource)?;
    }
    match wanted {
        Some((mode, min, max)) if mode == "custom" => {
            let task_count = if want.value(&TASK_COUNT).is_some() { want.int32(&TASK_COUNT)? } else { 0 };
            for (prefix, group) in &groups {
                let (low, high) = if *prefix == "core" { (min, max) } else { (task_count, max.max(task_count)) };
                emr.put_auto_scaling_policy()
                    .cluster_id(&have.id)
                    .instance_group_id(group)
                    .auto_scaling_policy(custom_policy(low, high))
                    .send()
                    .await
                    .call("PutAutoScalingPolicy", resource)?;
            }
        }
        Some((mode, min, max)) if mode == "managed" => {
            emr.put_managed_scaling_policy()
                .cluster_id(&have.id)
                .managed_scaling_policy(managed_policy(min, max))
                .send()
                .await
                .call("PutManagedScalingPolicy", resource)?;
        }
        _ => {}
    }
    Ok(())
}
