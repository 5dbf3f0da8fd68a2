//! The target group the app nodes register in: health check, algorithm and stickiness.

use std::collections::BTreeMap;

use aws_sdk_elasticloadbalancingv2::types::{Matcher, ProtocolEnum, TargetGroupAttribute, TargetTypeEnum};

use super::{elb_tags, read_tags, sync_tags};
use crate::aws::{AwsError, PollPolicy, Required, ResultExt, Service};
use crate::model::names::app::canary_name;
use crate::model::names::load_balancer::{target_group_name, TARGET_GROUP};
use crate::model::{tags, Actual, Address, Compare, Desired, Kind, Prop, PropError, Value, NAME, TAGS};
use crate::resources::support::{check_owner, delete_when_free, returned_id};
use crate::resources::{at_once, Ctx, Error, Progress, ResourceKind, Spec};

pub const VPC: Prop = Prop::new("vpc").replaces();
pub const PORT: Prop = Prop::new("port").replaces();
pub const PROTOCOL: Prop = Prop::new("protocol").replaces();
/// The health check, as one map ([`HealthCheck::to_value`]).
pub const HEALTH_CHECK: Prop = Prop::new("health_check");
/// The attributes clusterup manages (algorithm, stickiness); the others keep AWS's defaults.
pub const ATTRIBUTES: Prop = Prop::new("attributes").compared(Compare::WantedKeys);

pub struct TargetGroup;

const SPEC: Spec = Spec::new(Kind::TargetGroup, "target group", Service::Elbv2, PollPolicy::FAST, at_once)
    .props(&[&NAME, &VPC, &PORT, &PROTOCOL, &HEALTH_CHECK, &ATTRIBUTES, &TAGS])
    // A listener or rule forwarding to it holds it (ResourceInUse), also behind an action clusterup does
    // not model (an authentication before the forward), whose property does not name the target group.
    .deleted_after(&[Kind::Listener, Kind::ListenerRule, Kind::AutoScalingGroup]);

impl ResourceKind for TargetGroup {
    const SPEC: &'static Spec = &SPEC;

    /// Every target group of the deployment: each node group's (`<deployment>-<group>`, the app's
    /// `<deployment>-app`) and, while a canary rollout is in progress, the canary's. Target groups cannot
    /// be listed by tag, so the account's are listed and those named `<deployment>-...` kept; a group
    /// another deployment owns under one of the two fixed names is refused (it would block the create),
    /// any other is left alone.
    async fn discover(ctx: &Ctx, _parent: Option<&Actual>) -> Result<Vec<Actual>, Error> {
        let elb = &ctx.aws.elb;
        let fixed = [target_group_name(&ctx.deployment), canary_name(&ctx.deployment)];
        let prefix = format!("{}-", ctx.deployment);
        let listed: Vec<_> = elb
            .describe_target_groups()
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .call(DESCRIBE, ctx.deployment.as_str())?;
        let named: Vec<_> =
            listed.into_iter().filter(|g| g.target_group_name().is_some_and(|n| n.starts_with(&prefix))).collect();
        let arns: Vec<String> = named.iter().filter_map(|g| g.target_group_arn().map(str::to_owned)).collect();
        let all_tags = read_tags(ctx, &arns).await?;
        let mut groups = Vec::new();
        for group in named {
            let arn = group.target_group_arn().required(DESCRIBE, "TargetGroupArn", ctx.deployment.as_str())?;
            let name = group.target_group_name().required(DESCRIBE, "TargetGroupName", arn)?;
            // A target group DescribeTags did not answer for has no tags, so check_owner refuses it.
            let tags = all_tags.get(arn).cloned().unwrap_or_default();
            if fixed.iter().any(|f| f == name) {
                check_owner(ctx, "target group", name, &tags)?;
            } else if tags.get(tags::DEPLOYMENT) != Some(&ctx.deployment) {
                continue;
            }
            groups.push((group, tags));
        }
        let mut out = Vec::new();
        for (group, tags) in groups {
            let arn = group.target_group_arn().required(DESCRIBE, "TargetGroupArn", ctx.deployment.as_str())?;
            let name = group.target_group_name().required(DESCRIBE, "TargetGroupName", arn)?;
            // Only describe the target group: optional where the command needs only its ARN (`aws::Reads`).
            let attributes = ctx.aws.reads.optional(
                elb.describe_target_group_attributes()
                    .target_group_arn(arn)
                    .send()
                    .await
                    .call("DescribeTargetGroupAttributes", arn),
            )?;
            let attributes = attributes
                .map(|out| {
                    out.attributes()
                        .iter()
                        .map(|a| {
                            let call = "DescribeTargetGroupAttributes";
                            Ok((
                                a.key().required(call, "Key", arn)?.to_owned(),
                                Value::str(a.value().required(call, "Value", arn)?),
                            ))
                        })
                        .collect::<Result<BTreeMap<String, Value>, AwsError>>()
                })
                .transpose()?;
            let address = tags.get(tags::RESOURCE).map(Address::new).unwrap_or_else(|| Address::new(TARGET_GROUP));
            // An instance target group of HTTP always has a VPC, a port, a protocol and a health check.
            out.push(
                Actual::new(address, Kind::TargetGroup, arn)
                    .prop(&NAME, Value::str(name))
                    .prop(&VPC, Value::str(group.vpc_id().required(DESCRIBE, "VpcId", arn)?))
                    .prop(&PORT, Value::Int(i64::from(group.port().required(DESCRIBE, "Port", arn)?)))
                    .prop(&PROTOCOL, Value::str(group.protocol().required(DESCRIBE, "Protocol", arn)?.as_str()))
                    .prop(&HEALTH_CHECK, HealthCheck::reported(&group, arn)?.to_value())
                    .prop_if_set(&ATTRIBUTES, attributes.map(Value::Map))
                    .prop(&TAGS, tags::to_value(&tags))
                    .attr(super::METRIC_DIMENSION, super::metric_dimension(arn)),
            );
        }
        Ok(out)
    }

    async fn create(ctx: &Ctx, want: &Desired, _progress: &dyn Progress) -> Result<Actual, Error> {
        let elb = &ctx.aws.elb;
        let resource = want.address.as_str();
        let health = HealthCheck::of(want)?;
        let out = elb
            .create_target_group()
            .name(want.text(&NAME)?)
            .protocol(ProtocolEnum::from(want.text(&PROTOCOL)?))
            .port(want.int32(&PORT)?)
            .vpc_id(want.text(&VPC)?)
            .target_type(TargetTypeEnum::Instance)
            .health_check_path(&health.path)
            .health_check_interval_seconds(health.interval_seconds)
            .health_check_timeout_seconds(health.timeout_seconds)
            .healthy_threshold_count(health.healthy_threshold)
            .unhealthy_threshold_count(health.unhealthy_threshold)
            .matcher(Matcher::builder().http_code(&health.matcher).build())
            .set_tags(Some(elb_tags(want)))
            .send()
            .await
            .call("CreateTargetGroup", resource)?;
        let arn =
            returned_id(out.target_groups().first().and_then(|g| g.target_group_arn()), resource, "CreateTargetGroup")?;
        set_attributes(ctx, &arn, want).await?;
        let dimension = super::metric_dimension(&arn).to_owned();
        Ok(Actual::made(want, arn).attr(super::METRIC_DIMENSION, dimension))
    }

    async fn update(ctx: &Ctx, have: &Actual, want: &Desired, _progress: &dyn Progress) -> Result<Actual, Error> {
        if want.differs_from(have, &HEALTH_CHECK) {
            let health = HealthCheck::of(want)?;
            ctx.aws
                .elb
                .modify_target_group()
                .target_group_arn(&have.id)
                .health_check_path(&health.path)
                .health_check_interval_seconds(health.interval_seconds)
                .health_check_timeout_seconds(health.timeout_seconds)
                .healthy_threshold_count(health.healthy_threshold)
                .unhealthy_threshold_count(health.unhealthy_threshold)
                .matcher(Matcher::builder().http_code(&health.matcher).build())
                .send()
                .await
                .call("ModifyTargetGroup", have.address.as_str())?;
        }
        if want.differs_from(have, &ATTRIBUTES) {
            set_attributes(ctx, &have.id, want).await?;
        }
        sync_tags(ctx, have, want).await?;
        Ok(have.updated_to(want))
    }

    async fn delete(ctx: &Ctx, have: &Actual, progress: &dyn Progress) -> Result<(), Error> {
        // ResourceInUse while a listener (or a dying load balancer) still forwards to it.
        delete_when_free(have.address.as_str(), "DeleteTargetGroup", progress, || async {
            ctx.aws
                .elb
                .delete_target_group()
                .target_group_arn(&have.id)
                .send()
                .await
                .call("DeleteTargetGroup", have.address.as_str())
                .map(|_| ())
        })
        .await?;
        Ok(())
    }
}

/// The call discovery reads a target group from.
const DESCRIBE: &str = "DescribeTargetGroups";

/// The target group's health check, as the composition states it and AWS reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthCheck {
    pub path: String,
    pub interval_seconds: i32,
    pub timeout_seconds: i32,
    pub healthy_threshold: i32,
    pub unhealthy_threshold: i32,
    /// HTTP codes that count as healthy: `200` or `200-399`.
    pub matcher: String,
}

impl HealthCheck {
    pub fn to_value(&self) -> Value {
        Value::Map(BTreeMap::from([
            ("path".to_owned(), Value::str(&self.path)),
            ("interval_seconds".to_owned(), Value::Int(i64::from(self.interval_seconds))),
            ("timeout_seconds".to_owned(), Value::Int(i64::from(self.timeout_seconds))),
            ("healthy_threshold".to_owned(), Value::Int(i64::from(self.healthy_threshold))),
            ("unhealthy_threshold".to_owned(), Value::Int(i64::from(self.unhealthy_threshold))),
            ("matcher".to_owned(), Value::str(&self.matcher)),
        ]))
    }

    /// The health check DescribeTargetGroups reports for an HTTP target group (AWS fills in a default
    /// for every part not given when it was made).
    fn reported(
        group: &aws_sdk_elasticloadbalancingv2::types::TargetGroup,
        arn: &str,
    ) -> Result<HealthCheck, AwsError> {
        Ok(HealthCheck {
            path: group.health_check_path().required(DESCRIBE, "HealthCheckPath", arn)?.to_owned(),
            interval_seconds: group.health_check_interval_seconds().required(
                DESCRIBE,
                "HealthCheckIntervalSeconds",
                arn,
            )?,
            timeout_seconds: group.health_check_timeout_seconds().required(
                DESCRIBE,
                "HealthCheckTimeoutSeconds",
                arn,
            )?,
            healthy_threshold: group.healthy_threshold_count().required(DESCRIBE, "HealthyThresholdCount", arn)?,
            unhealthy_threshold: group.unhealthy_threshold_count().required(
                DESCRIBE,
                "UnhealthyThresholdCount",
                arn,
            )?,
            matcher: group
                .matcher()
                .and_then(|m| m.http_code())
                .required(DESCRIBE, "Matcher.HttpCode", arn)?
                .to_owned(),
        })
    }

    fn of(want: &Desired) -> Result<HealthCheck, PropError> {
        let map = want.map(&HEALTH_CHECK)?;
        let wrong = |key: &str| PropError {
            address: want.address.clone(),
            prop: HEALTH_CHECK.name,
            expected: "a complete health check",
            found: format!("no usable {key}"),
        };
        let text = |key: &str| map.get(key).and_then(Value::as_str).map(str::to_owned).ok_or_else(|| wrong(key));
        let int = |key: &str| {
            map.get(key).and_then(Value::as_int).and_then(|n| i32::try_from(n).ok()).ok_or_else(|| wrong(key))
        };
        Ok(HealthCheck {
            path: text("path")?,
            interval_seconds: int("interval_seconds")?,
            timeout_seconds: int("timeout_seconds")?,
            healthy_threshold: int("healthy_threshold")?,
            unhealthy_threshold: int("unhealthy_threshold")?,
            matcher: text("matcher")?,
        })
    }
}

async fn set_attributes(ctx: &Ctx, arn: &str, want: &Desired) -> Result<(), Error> {
    let attributes = want
        .map(&ATTRIBUTES)?
        .iter()
        .map(|(k, v)| match v {
            Value::Str(value) => Ok(TargetGroupAttribute::builder().key(k).value(value).build()),
            other => Err(Error::Bug(format!("{}: attribute {k} is {other}, expected text", want.address))),
        })
        .collect::<Result<Vec<_>, _>>()?;
    ctx.aws
        .elb
        .modify_target_group_attributes()
        .target_group_arn(arn)
        .set_attributes(Some(attributes))
        .send()
        .await
        .call("ModifyTargetGroupAttributes", want.address.as_str())?;
    Ok(())
}

/// The emulator always answers in full, so an answer missing what AWS always returns is an SDK mock.
#[cfg(test)]
mod tests {
    use aws_sdk_elasticloadbalancingv2::operation::describe_tags::DescribeTagsOutput;
    use aws_sdk_elasticloadbalancingv2::operation::describe_target_group_attributes::DescribeTargetGroupAttributesOutput;
    use aws_sdk_elasticloadbalancingv2::operation::describe_target_groups::DescribeTargetGroupsOutput;
    use aws_sdk_elasticloadbalancingv2::types::{Tag, TagDescription, TargetGroupAttribute};
    use aws_sdk_elasticloadbalancingv2::Client;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    use super::*;
    use crate::aws::Aws;
    use crate::resources::DataPolicy;

    const ARN: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-app/1";

    /// Discovery when DescribeTargetGroups lists `groups`, each tagged as its `owners` entry says
    /// (deployment, resource address).
    async fn discovered_among(
        groups: Vec<aws_sdk_elasticloadbalancingv2::types::TargetGroup>,
        owners: Vec<(String, String, String)>,
    ) -> Result<Vec<Actual>, Error> {
        let listed = mock!(Client::describe_target_groups)
            .then_output(move || DescribeTargetGroupsOutput::builder().set_target_groups(Some(groups.clone())).build());
        let tags = mock!(Client::describe_tags).then_output(move || {
            let described = owners.iter().map(|(arn, deployment, address)| {
                TagDescription::builder()
                    .resource_arn(arn)
                    .tags(Tag::builder().key(tags::DEPLOYMENT).value(deployment).build())
                    .tags(Tag::builder().key(tags::RESOURCE).value(address).build())
                    .build()
            });
            DescribeTagsOutput::builder().set_tag_descriptions(Some(described.collect())).build()
        });
        let attributes = mock!(Client::describe_target_group_attributes).then_output(|| {
            let algorithm = TargetGroupAttribute::builder().key("load_balancing.algorithm.type").value("round_robin");
            DescribeTargetGroupAttributesOutput::builder().attributes(algorithm.build()).build()
        });
        let elb = mock_client!(aws_sdk_elasticloadbalancingv2, RuleMode::MatchAny, [&listed, &tags, &attributes]);
        let ctx = Ctx { aws: Aws { elb, ..Aws::offline() }, deployment: "shop".into(), data: DataPolicy::default() };
        TargetGroup::discover(&ctx, None).await
    }

    /// Discovery of the app's target group when DescribeTargetGroups answers `group`.
    async fn discovered(group: aws_sdk_elasticloadbalancingv2::types::TargetGroup) -> Result<Vec<Actual>, Error> {
        let owner = (ARN.to_owned(), "shop".to_owned(), TARGET_GROUP.to_owned());
        discovered_among(vec![group], vec![owner]).await
    }

    #[tokio::test]
    async fn every_node_groups_target_group_is_found_and_other_deployments_are_left_alone_sdk_mock() {
        let arn = |name: &str| format!("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/{name}/1");
        let named = |name: &str| as_aws_reports_it().target_group_arn(arn(name)).target_group_name(name).build();
        let groups = vec![named("shop-app"), named("shop-web"), named("shop-web-app"), named("other-app")];
        let owners = vec![
            (arn("shop-app"), "shop".to_owned(), TARGET_GROUP.to_owned()),
            (arn("shop-web"), "shop".to_owned(), "load_balancer/target-group/web".to_owned()),
            // Deployment `shop-web`'s app target group: named like ours, tagged with its own deployment.
            (arn("shop-web-app"), "shop-web".to_owned(), TARGET_GROUP.to_owned()),
            (arn("other-app"), "other".to_owned(), TARGET_GROUP.to_owned()),
        ];
        let found = discovered_among(groups, owners).await.expect("discovered");
        let addresses: Vec<&str> = found.iter().map(|a| a.address.as_str()).collect();
        assert_eq!(addresses, [TARGET_GROUP, "load_balancer/target-group/web"]);
    }

    #[tokio::test]
    async fn a_target_group_of_ours_by_name_owned_by_another_deployment_is_refused_sdk_mock() {
        let owner = (ARN.to_owned(), "shop-old".to_owned(), TARGET_GROUP.to_owned());
        let err = discovered_among(vec![as_aws_reports_it().build()], vec![owner]).await.expect_err("not ours");
        assert!(err.to_string().contains("shop-app"), "{err}");
    }

    fn as_aws_reports_it() -> aws_sdk_elasticloadbalancingv2::types::builders::TargetGroupBuilder {
        aws_sdk_elasticloadbalancingv2::types::TargetGroup::builder()
            .target_group_arn(ARN)
            .target_group_name("shop-app")
            .vpc_id("vpc-1")
            .port(8080)
            .protocol(ProtocolEnum::Http)
            .health_check_path("/health")
            .health_check_interval_seconds(15)
            .health_check_timeout_seconds(5)
            .healthy_threshold_count(2)
            .unhealthy_threshold_count(2)
            .matcher(Matcher::builder().http_code("200").build())
    }

    #[tokio::test]
    async fn a_target_group_is_read_in_full_sdk_mock() {
        let found = discovered(as_aws_reports_it().build()).await.expect("discovered");
        let health = HealthCheck {
            path: "/health".into(),
            interval_seconds: 15,
            timeout_seconds: 5,
            healthy_threshold: 2,
            unhealthy_threshold: 2,
            matcher: "200".into(),
        };
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].props.get(HEALTH_CHECK.name), Some(&health.to_value()));
        assert_eq!(found[0].props.get(PORT.name), Some(&Value::Int(8080)));
    }

    #[tokio::test]
    async fn a_target_group_without_its_health_check_is_incomplete_not_a_zero_sdk_mock() {
        let mut group = as_aws_reports_it().build();
        group.health_check_interval_seconds = None;
        let err = discovered(group).await.expect_err("incomplete");
        assert!(err.is(crate::aws::ErrorClass::Incomplete), "{err}");
        let text = err.to_string();
        assert!(text.contains("DescribeTargetGroups") && text.contains("HealthCheckIntervalSeconds"), "{text}");
    }
}
