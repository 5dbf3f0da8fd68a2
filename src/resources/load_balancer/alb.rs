//! The Application Load Balancer.

use std::collections::BTreeMap;

use aws_sdk_elasticloadbalancingv2::types::{
    LoadBalancerAttribute, LoadBalancerSchemeEnum, LoadBalancerStateEnum, LoadBalancerTypeEnum,
};

use super::{elb_tags, load_balancer_name, read_tags};
use crate::aws::{poll, AwsError, ErrorClass, Outcome, PollStatus, ResultExt};
use crate::model::{tags, Actual, Address, Desired, Kind, Value};
use crate::resources::wait_policy;
use crate::resources::{check_owner, Ctx, Progress};

/// Attributes clusterup manages; the others keep AWS's defaults.
const MANAGED_ATTRIBUTES: &[&str] = &["idle_timeout.timeout_seconds"];

pub async fn discover(ctx: &Ctx) -> Result<Vec<Actual>, AwsError> {
    let name = load_balancer_name(&ctx.deployment);
    let found = ctx.aws.elb.describe_load_balancers().names(&name).send().await.call("DescribeLoadBalancers", &name);
    let lbs = match found {
        Ok(out) => out.load_balancers().to_vec(),
        Err(err) if err.is(ErrorClass::NotFound) => return Ok(vec![]),
        Err(err) => return Err(err),
    };
    let arns: Vec<String> = lbs.iter().filter_map(|lb| lb.load_balancer_arn().map(str::to_owned)).collect();
    let all_tags = read_tags(ctx, &arns).await?;
    let mut out = Vec::new();
    for lb in lbs {
        let Some(arn) = lb.load_balancer_arn() else { continue };
        let tags = all_tags.get(arn).cloned().unwrap_or_default();
        check_owner(ctx, "load balancer", &name, &tags)?;
        let attributes = ctx
            .aws
            .elb
            .describe_load_balancer_attributes()
            .load_balancer_arn(arn)
            .send()
            .await
            .call("DescribeLoadBalancerAttributes", arn)?;
        let attributes: BTreeMap<String, Value> = attributes
            .attributes()
            .iter()
            .filter_map(|a| Some((a.key()?.to_owned(), Value::str(a.value().unwrap_or_default()))))
            .filter(|(k, _)| MANAGED_ATTRIBUTES.contains(&k.as_str()))
            .collect();
        let subnets = lb.availability_zones().iter().filter_map(|z| z.subnet_id()).map(Value::str).collect();
        let groups = lb.security_groups().iter().map(Value::str).collect();
        let address = tags.get(tags::RESOURCE).map(Address::new).unwrap_or_else(|| Address::new(super::LOAD_BALANCER));
        out.push(
            Actual::new(address, Kind::LoadBalancer, arn)
                .prop("name", Value::str(lb.load_balancer_name().unwrap_or_default()))
                .prop("scheme", Value::str(lb.scheme().map(|s| s.as_str()).unwrap_or_default()))
                .prop("subnets", Value::List(subnets))
                .prop("security_groups", Value::List(groups))
                .prop("attributes", Value::Map(attributes))
                .prop("tags", tags::to_value(&tags))
                .attr("dns_name", lb.dns_name().unwrap_or_default())
                .attr("state", lb.state().and_then(|s| s.code()).map(|c| c.as_str()).unwrap_or("unknown")),
        );
    }
    Ok(out)
}

pub async fn create(ctx: &Ctx, want: &Desired, progress: &dyn Progress) -> Result<Actual, AwsError> {
    let resource = want.address.as_str();
    let out = ctx
        .aws
        .elb
        .create_load_balancer()
        .name(want.text("name"))
        .r#type(LoadBalancerTypeEnum::Application)
        .scheme(LoadBalancerSchemeEnum::from(want.text("scheme")))
        .set_subnets(Some(want.props.get("subnets").map(Value::strings).unwrap_or_default()))
        .set_security_groups(Some(want.props.get("security_groups").map(Value::strings).unwrap_or_default()))
        .set_tags(Some(elb_tags(want)))
        .send()
        .await
        .call("CreateLoadBalancer", resource)?;
    let lb = out.load_balancers().first();
    let arn = lb.and_then(|lb| lb.load_balancer_arn()).unwrap_or_default().to_owned();
    let dns = lb.and_then(|lb| lb.dns_name()).unwrap_or_default().to_owned();
    set_attributes(ctx, &arn, want).await?;
    wait_active(ctx, &arn, resource, progress).await?;
    Ok(Actual { props: want.props.clone(), ..Actual::new(want.address.clone(), Kind::LoadBalancer, arn) }
        .attr("dns_name", dns)
        .attr("state", "active"))
}

/// Provisioning takes 2-5 minutes on AWS; listeners can be added meanwhile, but the URL only answers once
/// the load balancer is active.
async fn wait_active(ctx: &Ctx, arn: &str, resource: &str, progress: &dyn Progress) -> Result<(), AwsError> {
    poll(
        wait_policy(Kind::LoadBalancer),
        resource,
        "DescribeLoadBalancers",
        |seen, waited| progress.waiting(seen, waited),
        || async {
            let out = ctx.aws.elb.describe_load_balancers().load_balancer_arns(arn).send().await;
            let state = out
                .call("DescribeLoadBalancers", resource)
                .found()?
                .and_then(|out| out.load_balancers().first().and_then(|lb| lb.state()).cloned());
            match state.as_ref().and_then(|s| s.code()) {
                Some(LoadBalancerStateEnum::Active) => Ok(PollStatus::Ready(())),
                Some(LoadBalancerStateEnum::Failed) => Err(AwsError::local(
                    resource,
                    "CreateLoadBalancer",
                    format!(
                        "load balancer failed: {}",
                        state.as_ref().and_then(|s| s.reason()).unwrap_or("no reason given")
                    ),
                )),
                Some(other) => Ok(PollStatus::Pending(format!("state {}", other.as_str()))),
                None => Ok(PollStatus::Pending("not visible yet".into())),
            }
        },
    )
    .await
}

async fn set_attributes(ctx: &Ctx, arn: &str, want: &Desired) -> Result<(), AwsError> {
    let Some(Value::Map(attrs)) = want.props.get("attributes") else { return Ok(()) };
    let attributes = attrs
        .iter()
        .map(|(k, v)| LoadBalancerAttribute::builder().key(k).value(v.as_str().unwrap_or_default()).build())
        .collect();
    ctx.aws
        .elb
        .modify_load_balancer_attributes()
        .load_balancer_arn(arn)
        .set_attributes(Some(attributes))
        .send()
        .await
        .call("ModifyLoadBalancerAttributes", want.address.as_str())?;
    Ok(())
}

pub async fn update(ctx: &Ctx, have: &Actual, want: &Desired) -> Result<(), AwsError> {
    let resource = have.address.as_str();
    let changed = |key: &str| want.differs_from(have, key);
    if changed("subnets") {
        ctx.aws
            .elb
            .set_subnets()
            .load_balancer_arn(&have.id)
            .set_subnets(Some(want.props.get("subnets").map(Value::strings).unwrap_or_default()))
            .send()
            .await
            .call("SetSubnets", resource)?;
    }
    if changed("security_groups") {
        ctx.aws
            .elb
            .set_security_groups()
            .load_balancer_arn(&have.id)
            .set_security_groups(Some(want.props.get("security_groups").map(Value::strings).unwrap_or_default()))
            .send()
            .await
            .call("SetSecurityGroups", resource)?;
    }
    if changed("attributes") {
        set_attributes(ctx, &have.id, want).await?;
    }
    Ok(())
}

pub async fn delete(ctx: &Ctx, have: &Actual, progress: &dyn Progress) -> Result<(), AwsError> {
    let resource = have.address.as_str();
    match ctx
        .aws
        .elb
        .delete_load_balancer()
        .load_balancer_arn(&have.id)
        .send()
        .await
        .call("DeleteLoadBalancer", resource)
    {
        Err(err) if err.is(ErrorClass::NotFound) => return Ok(()),
        other => other?,
    };
    // Gone from the API first; its network interfaces (which pin subnets and security groups) follow,
    // and the subnet and security group deletions wait for those.
    poll(
        wait_policy(Kind::LoadBalancer),
        resource,
        "DescribeLoadBalancers",
        |seen, waited| progress.waiting(seen, waited),
        || async {
            match ctx
                .aws
                .elb
                .describe_load_balancers()
                .load_balancer_arns(&have.id)
                .send()
                .await
                .call("DescribeLoadBalancers", resource)
            {
                Err(err) if err.is(ErrorClass::NotFound) => Ok(PollStatus::Ready(())),
                Ok(out) if out.load_balancers().is_empty() => Ok(PollStatus::Ready(())),
                Ok(_) => Ok(PollStatus::Pending("deleting".into())),
                Err(err) => Err(err),
            }
        },
    )
    .await
}
