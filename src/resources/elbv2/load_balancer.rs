//! The Application Load Balancer.

use std::collections::BTreeMap;

use aws_sdk_elasticloadbalancingv2::types::{
    LoadBalancerAttribute, LoadBalancerSchemeEnum, LoadBalancerStateEnum, LoadBalancerTypeEnum,
};

use super::{elb_tags, read_tags, sync_tags};
use crate::aws::{AwsError, ErrorClass, Outcome, PollPolicy, PollStatus, Required, ResultExt, Service};
use crate::model::names::load_balancer::{load_balancer_name, LOAD_BALANCER};
use crate::model::{tags, Actual, Address, Compare, Desired, Kind, Op, Prop, Value, NAME, TAGS};
use crate::resources::support::{check_owner, returned_id, wait_for};
use crate::resources::{Ctx, Error, Latency, Progress, ResourceKind, Spec};

/// `internet-facing` or `internal`.
pub const SCHEME: Prop = Prop::new("scheme").replaces();
pub const SUBNETS: Prop = Prop::new("subnets");
pub const SECURITY_GROUPS: Prop = Prop::new("security_groups");
/// The attributes clusterup manages ([`MANAGED_ATTRIBUTES`]); the others keep AWS's defaults.
pub const ATTRIBUTES: Prop = Prop::new("attributes").compared(Compare::WantedKeys);

pub struct LoadBalancer;

const SPEC: Spec = Spec::new(Kind::LoadBalancer, "load balancer", Service::Elbv2, PollPolicy::MINUTES, latency)
    .props(&[&NAME, &SCHEME, &SUBNETS, &SECURITY_GROUPS, &ATTRIBUTES, &TAGS])
    .deleted_after(&[Kind::Listener])
    .charge(super::cost::load_balancer);

fn latency(op: Op, _: Option<&Desired>) -> Latency {
    match op {
        // provisioning -> active about 2.5 min, 2-5 seen (U, gh:hashicorp/terraform/issues/24799)
        Op::Create => Latency::waits(150, 120.0, 180.0),
        // gone from the API at once, its network interfaces within a minute or two (E)
        Op::Delete => Latency::waits(60, 30.0, 90.0),
        Op::Update => Latency::at_once(op),
    }
}

impl ResourceKind for LoadBalancer {
    const SPEC: &'static Spec = &SPEC;

    async fn discover(ctx: &Ctx, _parent: Option<&Actual>) -> Result<Vec<Actual>, Error> {
        let elb = &ctx.aws.elb;
        let name = load_balancer_name(&ctx.deployment);
        let found = elb.describe_load_balancers().names(&name).send().await.call("DescribeLoadBalancers", &name);
        let lbs = match found {
            Ok(out) => out.load_balancers().to_vec(),
            Err(err) if err.is(ErrorClass::NotFound) => return Ok(vec![]),
            Err(err) => return Err(err.into()),
        };
        let arns: Vec<String> = lbs.iter().filter_map(|lb| lb.load_balancer_arn().map(str::to_owned)).collect();
        let all_tags = read_tags(ctx, &arns).await?;
        let mut out = Vec::new();
        for lb in lbs {
            let arn = lb.load_balancer_arn().required(DESCRIBE, "LoadBalancerArn", &name)?;
            // A load balancer DescribeTags did not answer for has no tags, so check_owner refuses it.
            let tags = all_tags.get(arn).cloned().unwrap_or_default();
            check_owner(ctx, "load balancer", &name, &tags)?;
            // Only describe the load balancer: optional where the command needs only its ARN (`aws::Reads`).
            let attributes = ctx.aws.reads.optional(
                elb.describe_load_balancer_attributes()
                    .load_balancer_arn(arn)
                    .send()
                    .await
                    .call("DescribeLoadBalancerAttributes", arn),
            )?;
            let attributes = attributes.map(|a| managed_attributes(a.attributes(), arn)).transpose()?;
            let subnets = lb.availability_zones().iter().filter_map(|z| z.subnet_id()).map(Value::str).collect();
            let groups = lb.security_groups().iter().map(Value::str).collect();
            let address = tags.get(tags::RESOURCE).map(Address::new).unwrap_or_else(|| Address::new(LOAD_BALANCER));
            out.push(
                Actual::new(address, Kind::LoadBalancer, arn)
                    .prop(&NAME, Value::str(lb.load_balancer_name().required(DESCRIBE, "LoadBalancerName", arn)?))
                    .prop(&SCHEME, Value::str(lb.scheme().required(DESCRIBE, "Scheme", arn)?.as_str()))
                    .prop(&SUBNETS, Value::List(subnets))
                    .prop(&SECURITY_GROUPS, Value::List(groups))
                    .prop_if_set(&ATTRIBUTES, attributes.map(Value::Map))
                    .prop(&TAGS, tags::to_value(&tags))
                    .attr("dns_name", lb.dns_name().required(DESCRIBE, "DNSName", arn)?)
                    .attr(super::METRIC_DIMENSION, super::metric_dimension(arn))
                    .attr("state", lb.state().and_then(|s| s.code()).map(|c| c.as_str()).unwrap_or("unknown")),
            );
        }
        Ok(out)
    }

    async fn create(ctx: &Ctx, want: &Desired, progress: &dyn Progress) -> Result<Actual, Error> {
        let elb = &ctx.aws.elb;
        let resource = want.address.as_str();
        let out = elb
            .create_load_balancer()
            .name(want.text(&NAME)?)
            .r#type(LoadBalancerTypeEnum::Application)
            .scheme(LoadBalancerSchemeEnum::from(want.text(&SCHEME)?))
            .set_subnets(Some(want.strings(&SUBNETS)?))
            .set_security_groups(Some(want.strings(&SECURITY_GROUPS)?))
            .set_tags(Some(elb_tags(want)))
            .send()
            .await
            .call("CreateLoadBalancer", resource)?;
        let lb = out.load_balancers().first();
        let arn = returned_id(lb.and_then(|lb| lb.load_balancer_arn()), resource, "CreateLoadBalancer")?;
        let dns = lb.and_then(|lb| lb.dns_name()).required("CreateLoadBalancer", "DNSName", resource)?.to_owned();
        set_attributes(ctx, &arn, want).await?;
        wait_active(ctx, &arn, resource, progress).await?;
        let dimension = super::metric_dimension(&arn).to_owned();
        Ok(Actual::made(want, arn)
            .attr("dns_name", dns)
            .attr(super::METRIC_DIMENSION, dimension)
            .attr("state", "active"))
    }

    async fn update(ctx: &Ctx, have: &Actual, want: &Desired, _progress: &dyn Progress) -> Result<Actual, Error> {
        let resource = have.address.as_str();
        if want.differs_from(have, &SUBNETS) {
            ctx.aws
                .elb
                .set_subnets()
                .load_balancer_arn(&have.id)
                .set_subnets(Some(want.strings(&SUBNETS)?))
                .send()
                .await
                .call("SetSubnets", resource)?;
        }
        if want.differs_from(have, &SECURITY_GROUPS) {
            ctx.aws
                .elb
                .set_security_groups()
                .load_balancer_arn(&have.id)
                .set_security_groups(Some(want.strings(&SECURITY_GROUPS)?))
                .send()
                .await
                .call("SetSecurityGroups", resource)?;
        }
        if want.differs_from(have, &ATTRIBUTES) {
            set_attributes(ctx, &have.id, want).await?;
        }
        sync_tags(ctx, have, want).await?;
        Ok(have.updated_to(want))
    }

    /// Protection off first (AWS refuses to delete a protected load balancer with OperationNotPermitted),
    /// as the database's delete does; then delete and wait until it is gone.
    async fn delete(ctx: &Ctx, have: &Actual, progress: &dyn Progress) -> Result<(), Error> {
        let elb = &ctx.aws.elb;
        let resource = have.address.as_str();
        // Always, not only when discovery saw it on: the protection may have been turned on since, and
        // one call costs less than a destroy that stops here.
        let unprotect = LoadBalancerAttribute::builder().key(DELETION_PROTECTION).value("false").build();
        match elb
            .modify_load_balancer_attributes()
            .load_balancer_arn(&have.id)
            .attributes(unprotect)
            .send()
            .await
            .call("ModifyLoadBalancerAttributes", resource)
        {
            Err(err) if err.is(ErrorClass::NotFound) => return Ok(()),
            other => other?,
        };
        match elb.delete_load_balancer().load_balancer_arn(&have.id).send().await.call("DeleteLoadBalancer", resource) {
            Err(err) if err.is(ErrorClass::NotFound) => return Ok(()),
            other => other?,
        };
        // Gone from the API first; its network interfaces (which pin subnets and security groups) follow,
        // and the subnet and security group deletions wait for those.
        wait_for(SPEC.schedule(Op::Delete, None), resource, "DescribeLoadBalancers", progress, || async {
            match elb
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
        })
        .await?;
        Ok(())
    }
}

/// The attribute that keeps the load balancer from being deleted while the deployment lives; destroy turns
/// it off first (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#deletion-protection).
pub const DELETION_PROTECTION: &str = "deletion_protection.enabled";
/// Requests with header names that are not valid HTTP tokens are dropped before they reach the nodes
/// (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#load-balancer-attributes).
pub const DROP_INVALID_HEADERS: &str = "routing.http.drop_invalid_header_fields.enabled";
/// Access logs to S3: on or off, and the bucket.
pub const ACCESS_LOGS: &str = "access_logs.s3.enabled";
pub const ACCESS_LOGS_BUCKET: &str = "access_logs.s3.bucket";
pub const IDLE_TIMEOUT: &str = "idle_timeout.timeout_seconds";

/// Attributes clusterup manages; the others keep AWS's defaults.
const MANAGED_ATTRIBUTES: &[&str] =
    &[IDLE_TIMEOUT, DELETION_PROTECTION, DROP_INVALID_HEADERS, ACCESS_LOGS, ACCESS_LOGS_BUCKET];

/// The call discovery reads a load balancer from.
const DESCRIBE: &str = "DescribeLoadBalancers";

/// The attributes clusterup manages, from DescribeLoadBalancerAttributes' answer for `arn` (which gives
/// every attribute with its key and value).
fn managed_attributes(attributes: &[LoadBalancerAttribute], arn: &str) -> Result<BTreeMap<String, Value>, AwsError> {
    let mut managed = BTreeMap::new();
    for attribute in attributes {
        let call = "DescribeLoadBalancerAttributes";
        let key = attribute.key().required(call, "Key", arn)?;
        if MANAGED_ATTRIBUTES.contains(&key) {
            managed.insert(key.to_owned(), Value::str(attribute.value().required(call, "Value", arn)?));
        }
    }
    Ok(managed)
}

/// Provisioning takes 2-5 minutes on AWS; listeners can be added meanwhile, but the URL only answers once
/// the load balancer is active.
async fn wait_active(ctx: &Ctx, arn: &str, resource: &str, progress: &dyn Progress) -> Result<(), AwsError> {
    let elb = &ctx.aws.elb;
    // Only a create waits for this (the schedule's latency range is a create's).
    wait_for(SPEC.schedule(Op::Create, None), resource, "DescribeLoadBalancers", progress, || async {
        let out = elb.describe_load_balancers().load_balancer_arns(arn).send().await;
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
    })
    .await
}

async fn set_attributes(ctx: &Ctx, arn: &str, want: &Desired) -> Result<(), Error> {
    let attributes = want
        .map(&ATTRIBUTES)?
        .iter()
        .map(|(k, v)| match v {
            Value::Str(value) => Ok(LoadBalancerAttribute::builder().key(k).value(value).build()),
            other => Err(Error::Bug(format!("{}: attribute {k} is {other}, expected text", want.address))),
        })
        .collect::<Result<Vec<_>, _>>()?;
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
