//! Target-tracking scaling: keep average CPU (or requests per node) at the topology's target.

use aws_sdk_autoscaling::types::{MetricType, PredefinedMetricSpecification, TargetTrackingConfiguration};

use crate::aws::{AwsError, PollPolicy, Required, ResultExt, Service};
use crate::model::{Actual, Address, Desired, Kind, Prop, Value, NAME};
use crate::resources::support::returned_id;
use crate::resources::{at_once, Ctx, Error, Progress, ResourceKind, Spec};

/// The Auto Scaling group's name.
pub const GROUP: Prop = Prop::new("group").replaces();
/// `ASGAverageCPUUtilization` or `ALBRequestCountPerTarget`.
pub const METRIC: Prop = Prop::new("metric");
/// The target value, as AWS reports it (`60.0`).
pub const TARGET: Prop = Prop::new("target");
/// For requests per target: the load balancer's and target group's ARNs (create-only inputs).
pub const LOAD_BALANCER: Prop = Prop::new("load_balancer");
pub const TARGET_GROUP: Prop = Prop::new("target_group");

pub const CPU: &str = "ASGAverageCPUUtilization";
pub const REQUESTS: &str = "ALBRequestCountPerTarget";

/// A policy's address, beside its group's: `app/auto-scaling-group` has `app/scaling-policy/cpu`, a node
/// group's `groups/<name>/auto-scaling-group` has `groups/<name>/scaling-policy/cpu`.
fn policy_address(group: &str, leaf: &str) -> String {
    let base = group.strip_suffix("auto-scaling-group").unwrap_or("app/");
    format!("{base}scaling-policy/{leaf}")
}

pub struct ScalingPolicy;

const SPEC: Spec = Spec::new(Kind::ScalingPolicy, "scaling policy", Service::AutoScaling, PollPolicy::FAST, at_once)
    .props(&[&GROUP, &NAME, &METRIC, &TARGET, &LOAD_BALANCER, &TARGET_GROUP])
    .child_of(Kind::AutoScalingGroup);

impl ResourceKind for ScalingPolicy {
    const SPEC: &'static Spec = &SPEC;

    /// Policies of one group; with the group gone there are none (AWS deletes them with it).
    async fn discover(ctx: &Ctx, parent: Option<&Actual>) -> Result<Vec<Actual>, Error> {
        let Some(group) = parent else { return Ok(Vec::new()) };
        let autoscaling = &ctx.aws.autoscaling;
        let policies: Vec<_> = autoscaling
            .describe_policies()
            .auto_scaling_group_name(&group.id)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .call("DescribePolicies", group.address.as_str())?;
        const CALL: &str = "DescribePolicies";
        let at = group.address.as_str();
        let mut found = Vec::new();
        for policy in &policies {
            // Only target tracking on a predefined metric is clusterup's; any other policy is not listed.
            let Some(config) = policy.target_tracking_configuration() else { continue };
            let Some(metric) = config.predefined_metric_specification().and_then(|m| m.predefined_metric_type()) else {
                continue;
            };
            let metric = metric.as_str();
            let leaf = match metric {
                CPU => "cpu",
                REQUESTS => "requests",
                other => other,
            };
            let arn = policy.policy_arn().required(CALL, "PolicyARN", at)?;
            let name = policy.policy_name().required(CALL, "PolicyName", at)?;
            let target = config.target_value().required(CALL, "TargetTrackingConfiguration.TargetValue", at)?;
            found.push(
                Actual::new(Address::new(policy_address(at, leaf)), Kind::ScalingPolicy, arn)
                    .prop(&GROUP, Value::str(&group.id))
                    .prop(&NAME, Value::str(name))
                    .prop(&METRIC, Value::str(metric))
                    .prop(&TARGET, Value::str(format!("{target:.1}"))),
            );
        }
        Ok(found)
    }

    async fn create(ctx: &Ctx, want: &Desired, _progress: &dyn Progress) -> Result<Actual, Error> {
        put(ctx, want).await
    }

    async fn update(ctx: &Ctx, _have: &Actual, want: &Desired, _progress: &dyn Progress) -> Result<Actual, Error> {
        put(ctx, want).await
    }

    async fn delete(ctx: &Ctx, have: &Actual, _progress: &dyn Progress) -> Result<(), Error> {
        let autoscaling = &ctx.aws.autoscaling;
        let resource = have.address.as_str();
        let (Some(group), Some(name)) = (have.text(&GROUP), have.text(&NAME)) else {
            return Err(Error::Bug(format!("{resource}: discovered without its group or name")));
        };
        let result = autoscaling
            .delete_policy()
            .auto_scaling_group_name(group)
            .policy_name(name)
            .send()
            .await
            .call("DeletePolicy", resource);
        match result {
            Ok(_) => Ok(()),
            // Auto Scaling answers a policy (or group) that is gone with a plain ValidationError: look whether
            // it is still there rather than read the message.
            Err(err) if still_there(ctx, group, name, resource).await? => Err(err.into()),
            Err(_) => Ok(()),
        }
    }
}

/// `app/<name>/<id>/targetgroup/<name>/<id>`: how ALBRequestCountPerTarget names its target group.
fn resource_label(load_balancer_arn: &str, target_group_arn: &str) -> Option<String> {
    let lb = load_balancer_arn.split_once(":loadbalancer/")?.1;
    let tg = target_group_arn.split_once(':').and_then(|_| target_group_arn.rsplit(':').next())?;
    Some(format!("{lb}/{tg}"))
}

async fn put(ctx: &Ctx, want: &Desired) -> Result<Actual, Error> {
    let autoscaling = &ctx.aws.autoscaling;
    let resource = want.address.as_str();
    let metric = want.text(&METRIC)?;
    let (group, name) = (want.text(&GROUP)?, want.text(&NAME)?);
    let label = match metric {
        REQUESTS => {
            let (lb, tg) = (want.text(&LOAD_BALANCER)?, want.text(&TARGET_GROUP)?);
            Some(resource_label(lb, tg).ok_or_else(|| {
                Error::Bug(format!("{resource}: cannot name the target group of {lb} and {tg} for the scaling metric"))
            })?)
        }
        _ => None,
    };
    let target: f64 = want
        .text(&TARGET)?
        .parse()
        .map_err(|err| Error::Bug(format!("{resource}: scaling target {:?}: {err}", want.text(&TARGET))))?;
    let out = autoscaling
        .put_scaling_policy()
        .auto_scaling_group_name(group)
        .policy_name(name)
        .policy_type("TargetTrackingScaling")
        .target_tracking_configuration(
            TargetTrackingConfiguration::builder()
                .predefined_metric_specification(
                    PredefinedMetricSpecification::builder()
                        .predefined_metric_type(MetricType::from(metric))
                        .set_resource_label(label)
                        .build(),
                )
                .target_value(target)
                .build(),
        )
        .send()
        .await
        .call("PutScalingPolicy", resource)?;
    let arn = match out.policy_arn() {
        Some(arn) => arn.to_owned(),
        // AWS always answers with the policy's ARN; the emulator does not, so ask for it.
        None => policy_arn(ctx, group, name, resource).await?,
    };
    Ok(Actual::made(want, arn))
}

/// The ARN of the group's policy called `name`.
async fn policy_arn(ctx: &Ctx, group: &str, name: &str, resource: &str) -> Result<String, AwsError> {
    let found = find_policy(ctx, group, name, resource).await?;
    returned_id(found.as_ref().and_then(|p| p.policy_arn()), resource, "PutScalingPolicy")
}

async fn still_there(ctx: &Ctx, group: &str, name: &str, resource: &str) -> Result<bool, AwsError> {
    Ok(find_policy(ctx, group, name, resource).await?.is_some())
}

/// The group's policy called `name`, if it has one.
async fn find_policy(
    ctx: &Ctx,
    group: &str,
    name: &str,
    resource: &str,
) -> Result<Option<aws_sdk_autoscaling::types::ScalingPolicy>, AwsError> {
    let out = ctx
        .aws
        .autoscaling
        .describe_policies()
        .auto_scaling_group_name(group)
        .policy_names(name)
        .send()
        .await
        .call("DescribePolicies", resource)?;
    Ok(out.scaling_policies().first().cloned())
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
