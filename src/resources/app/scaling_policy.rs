//! Target-tracking scaling: keep average CPU (or requests per node) at the topology's target.

use aws_sdk_autoscaling::types::{MetricType, PredefinedMetricSpecification, TargetTrackingConfiguration};

use crate::aws::{AwsError, ResultExt};
use crate::model::{Actual, Address, Desired, Kind, Value};
use crate::resources::Ctx;

pub async fn discover(ctx: &Ctx, group: &Actual) -> Result<Vec<Actual>, AwsError> {
    let policies: Vec<_> = ctx
        .aws
        .autoscaling
        .describe_policies()
        .auto_scaling_group_name(&group.id)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .call("DescribePolicies", group.address.as_str())?;
    Ok(policies
        .iter()
        .filter_map(|policy| {
            let config = policy.target_tracking_configuration()?;
            let metric = config.predefined_metric_specification()?.predefined_metric_type()?.as_str();
            let leaf = match metric {
                "ASGAverageCPUUtilization" => "cpu",
                "ALBRequestCountPerTarget" => "requests",
                other => other,
            };
            Some(
                Actual::new(
                    Address::new(format!("app/scaling-policy/{leaf}")),
                    Kind::ScalingPolicy,
                    policy.policy_arn()?,
                )
                .prop("group", Value::str(&group.id))
                .prop("name", Value::str(policy.policy_name().unwrap_or_default()))
                .prop("metric", Value::str(metric))
                .prop("target", Value::str(format!("{:.1}", config.target_value().unwrap_or_default()))),
            )
        })
        .collect())
}

/// `app/<name>/<id>/targetgroup/<name>/<id>`: how ALBRequestCountPerTarget names its target group.
fn resource_label(load_balancer_arn: &str, target_group_arn: &str) -> Option<String> {
    let lb = load_balancer_arn.split_once(":loadbalancer/")?.1;
    let tg = target_group_arn.split_once(':').map(|_| target_group_arn.rsplit(':').next().unwrap_or_default())?;
    Some(format!("{lb}/{tg}"))
}

/// PutScalingPolicy creates or replaces, so create and update are the same call.
pub async fn put(ctx: &Ctx, want: &Desired) -> Result<Actual, AwsError> {
    let resource = want.address.as_str();
    let metric = want.text("metric");
    let label = resource_label(want.text("load_balancer"), want.text("target_group"));
    let target: f64 = want.text("target").parse().unwrap_or_default();
    let out = ctx
        .aws
        .autoscaling
        .put_scaling_policy()
        .auto_scaling_group_name(want.text("group"))
        .policy_name(want.text("name"))
        .policy_type("TargetTrackingScaling")
        .target_tracking_configuration(
            TargetTrackingConfiguration::builder()
                .predefined_metric_specification(
                    PredefinedMetricSpecification::builder()
                        .predefined_metric_type(MetricType::from(metric))
                        .set_resource_label(if metric == "ALBRequestCountPerTarget" { label } else { None })
                        .build(),
                )
                .target_value(target)
                .build(),
        )
        .send()
        .await
        .call("PutScalingPolicy", resource)?;
    Ok(Actual {
        props: want.props.clone(),
        ..Actual::new(want.address.clone(), Kind::ScalingPolicy, out.policy_arn().unwrap_or_default())
    })
}

pub async fn delete(ctx: &Ctx, have: &Actual) -> Result<(), AwsError> {
    let group = have.props.get("group").and_then(Value::as_str).unwrap_or_default();
    let name = have.props.get("name").and_then(Value::as_str).unwrap_or_default();
    let result = ctx
        .aws
        .autoscaling
        .delete_policy()
        .auto_scaling_group_name(group)
        .policy_name(name)
        .send()
        .await
        .call("DeletePolicy", have.address.as_str());
    match result {
        // Auto Scaling says "ValidationError ... not found" for a group or policy that is gone.
        Err(err) if err.message.contains("not found") => Ok(()),
        other => other.map(|_| ()),
    }
}

#[cfg(test)]
mod tests {
    use super::resource_label;

    #[test]
    fn resource_label_joins_arn_suffixes() {
        let lb = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/demo-alb/50dc6c495c0c9188";
        let tg = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/demo-app/943f017f100becff";
        assert_eq!(
            resource_label(lb, tg).as_deref(),
            Some("app/demo-alb/50dc6c495c0c9188/targetgroup/demo-app/943f017f100becff")
        );
    }
}
