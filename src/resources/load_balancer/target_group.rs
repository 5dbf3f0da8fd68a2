//! The target group the app nodes register in: health check, algorithm and stickiness.

use std::collections::BTreeMap;

use aws_sdk_elasticloadbalancingv2::types::{Matcher, ProtocolEnum, TargetGroupAttribute, TargetTypeEnum};

use super::{elb_tags, read_tags, target_group_name};
use crate::aws::{AwsError, ErrorClass, ResultExt};
use crate::model::{tags, Actual, Address, Desired, Kind, Value};
use crate::resources::ec2_util::delete_when_free;
use crate::resources::{check_owner, Ctx, Progress};

pub async fn discover(ctx: &Ctx) -> Result<Vec<Actual>, AwsError> {
    let name = target_group_name(&ctx.deployment);
    let found = ctx.aws.elb.describe_target_groups().names(&name).send().await.call("DescribeTargetGroups", &name);
    let groups = match found {
        Ok(out) => out.target_groups().to_vec(),
        Err(err) if err.is(ErrorClass::NotFound) => return Ok(vec![]),
        Err(err) => return Err(err),
    };
    let arns: Vec<String> = groups.iter().filter_map(|g| g.target_group_arn().map(str::to_owned)).collect();
    let all_tags = read_tags(ctx, &arns).await?;
    let mut out = Vec::new();
    for group in groups {
        let Some(arn) = group.target_group_arn() else { continue };
        let tags = all_tags.get(arn).cloned().unwrap_or_default();
        check_owner(ctx, "target group", &name, &tags)?;
        let attributes = ctx
            .aws
            .elb
            .describe_target_group_attributes()
            .target_group_arn(arn)
            .send()
            .await
            .call("DescribeTargetGroupAttributes", arn)?;
        let attributes: BTreeMap<String, Value> = attributes
            .attributes()
            .iter()
            .filter_map(|a| Some((a.key()?.to_owned(), Value::str(a.value().unwrap_or_default()))))
            .collect();
        let health = BTreeMap::from([
            ("path".to_owned(), Value::str(group.health_check_path().unwrap_or_default())),
            ("interval_seconds".to_owned(), Value::Int(i64::from(group.health_check_interval_seconds().unwrap_or(0)))),
            ("timeout_seconds".to_owned(), Value::Int(i64::from(group.health_check_timeout_seconds().unwrap_or(0)))),
            ("healthy_threshold".to_owned(), Value::Int(i64::from(group.healthy_threshold_count().unwrap_or(0)))),
            ("unhealthy_threshold".to_owned(), Value::Int(i64::from(group.unhealthy_threshold_count().unwrap_or(0)))),
            ("matcher".to_owned(), Value::str(group.matcher().and_then(|m| m.http_code()).unwrap_or_default())),
        ]);
        let address = tags.get(tags::RESOURCE).map(Address::new).unwrap_or_else(|| Address::new(super::TARGET_GROUP));
        out.push(
            Actual::new(address, Kind::TargetGroup, arn)
                .prop("name", Value::str(group.target_group_name().unwrap_or_default()))
                .prop("vpc", Value::str(group.vpc_id().unwrap_or_default()))
                .prop("port", Value::Int(i64::from(group.port().unwrap_or(0))))
                .prop("protocol", Value::str(group.protocol().map(|p| p.as_str()).unwrap_or_default()))
                .prop("health_check", Value::Map(health))
                .prop("attributes", Value::Map(attributes))
                .prop("tags", tags::to_value(&tags)),
        );
    }
    Ok(out)
}

fn health_int(want: &Desired, key: &str) -> i32 {
    match want.props.get("health_check") {
        Some(Value::Map(map)) => map.get(key).and_then(Value::as_int).unwrap_or(0) as i32,
        _ => 0,
    }
}

fn health_str<'a>(want: &'a Desired, key: &str) -> &'a str {
    match want.props.get("health_check") {
        Some(Value::Map(map)) => map.get(key).and_then(Value::as_str).unwrap_or_default(),
        _ => "",
    }
}

pub async fn create(ctx: &Ctx, want: &Desired) -> Result<Actual, AwsError> {
    let resource = want.address.as_str();
    let out = ctx
        .aws
        .elb
        .create_target_group()
        .name(want.text("name"))
        .protocol(ProtocolEnum::from(want.text("protocol")))
        .port(want.props.get("port").and_then(Value::as_int).unwrap_or(0) as i32)
        .vpc_id(want.text("vpc"))
        .target_type(TargetTypeEnum::Instance)
        .health_check_path(health_str(want, "path"))
        .health_check_interval_seconds(health_int(want, "interval_seconds"))
        .health_check_timeout_seconds(health_int(want, "timeout_seconds"))
        .healthy_threshold_count(health_int(want, "healthy_threshold"))
        .unhealthy_threshold_count(health_int(want, "unhealthy_threshold"))
        .matcher(Matcher::builder().http_code(health_str(want, "matcher")).build())
        .set_tags(Some(elb_tags(want)))
        .send()
        .await
        .call("CreateTargetGroup", resource)?;
    let arn = out.target_groups().first().and_then(|g| g.target_group_arn()).unwrap_or_default().to_owned();
    set_attributes(ctx, &arn, want).await?;
    Ok(Actual { props: want.props.clone(), ..Actual::new(want.address.clone(), Kind::TargetGroup, arn) })
}

async fn set_attributes(ctx: &Ctx, arn: &str, want: &Desired) -> Result<(), AwsError> {
    let Some(Value::Map(attrs)) = want.props.get("attributes") else { return Ok(()) };
    let attributes = attrs
        .iter()
        .map(|(k, v)| TargetGroupAttribute::builder().key(k).value(v.as_str().unwrap_or_default()).build())
        .collect();
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

pub async fn update(ctx: &Ctx, have: &Actual, want: &Desired) -> Result<(), AwsError> {
    if want.differs_from(have, "health_check") {
        ctx.aws
            .elb
            .modify_target_group()
            .target_group_arn(&have.id)
            .health_check_path(health_str(want, "path"))
            .health_check_interval_seconds(health_int(want, "interval_seconds"))
            .health_check_timeout_seconds(health_int(want, "timeout_seconds"))
            .healthy_threshold_count(health_int(want, "healthy_threshold"))
            .unhealthy_threshold_count(health_int(want, "unhealthy_threshold"))
            .matcher(Matcher::builder().http_code(health_str(want, "matcher")).build())
            .send()
            .await
            .call("ModifyTargetGroup", have.address.as_str())?;
    }
    if !want.differs_from(have, "attributes") {
        return Ok(());
    }
    set_attributes(ctx, &have.id, want).await
}

pub async fn delete(ctx: &Ctx, have: &Actual, progress: &dyn Progress) -> Result<(), AwsError> {
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
    .await
}
