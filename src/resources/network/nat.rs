//! NAT gateways and their Elastic IPs: how private subnets reach the internet.

use aws_sdk_ec2::types::{DomainType, Filter, NatGatewayState, ResourceType};

use crate::aws::{poll, AwsError, ErrorClass, Outcome, PollStatus, ResultExt};
use crate::model::{tags, Actual, Desired, Kind, Value};
use crate::resources::ec2_util::{client_token, delete_when_free, deployment_filter, read_tags, settle, tag_spec};
use crate::resources::owned_address;
use crate::resources::wait_policy;
use crate::resources::{Ctx, Progress};

pub async fn discover_eips(ctx: &Ctx) -> Result<Vec<Actual>, AwsError> {
    let out = ctx
        .aws
        .ec2
        .describe_addresses()
        .filters(deployment_filter(&ctx.deployment))
        .send()
        .await
        .call("DescribeAddresses", &ctx.deployment)?;
    Ok(out
        .addresses()
        .iter()
        .filter_map(|eip| {
            let tags = read_tags(eip.tags());
            Some(
                Actual::new(owned_address(ctx, &tags)?, Kind::ElasticIp, eip.allocation_id()?)
                    .prop("tags", tags::to_value(&tags))
                    .attr("public_ip", eip.public_ip().unwrap_or_default()),
            )
        })
        .collect())
}

pub async fn create_eip(ctx: &Ctx, want: &Desired) -> Result<Actual, AwsError> {
    let out = ctx
        .aws
        .ec2
        .allocate_address()
        .domain(DomainType::Vpc)
        .tag_specifications(tag_spec(ResourceType::ElasticIp, want))
        .send()
        .await
        .call("AllocateAddress", want.address.as_str())?;
    Ok(Actual {
        props: want.props.clone(),
        ..Actual::new(want.address.clone(), Kind::ElasticIp, out.allocation_id().unwrap_or_default())
    }
    .attr("public_ip", out.public_ip().unwrap_or_default()))
}

pub async fn delete_eip(ctx: &Ctx, have: &Actual, progress: &dyn Progress) -> Result<(), AwsError> {
    // Released only once its NAT gateway is gone; until then AWS answers InvalidIPAddress.InUse.
    delete_when_free(have.address.as_str(), "ReleaseAddress", progress, || async {
        ctx.aws
            .ec2
            .release_address()
            .allocation_id(&have.id)
            .send()
            .await
            .call("ReleaseAddress", have.address.as_str())
            .map(|_| ())
    })
    .await
}

pub async fn discover_nat_gateways(ctx: &Ctx) -> Result<Vec<Actual>, AwsError> {
    // Deleted gateways stay visible for about an hour; only live ones belong to the deployment.
    let live = Filter::builder().name("state").values("pending").values("available").build();
    let gateways: Vec<_> = ctx
        .aws
        .ec2
        .describe_nat_gateways()
        .filter(deployment_filter(&ctx.deployment))
        .filter(live)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .call("DescribeNatGateways", &ctx.deployment)?;
    Ok(gateways
        .into_iter()
        .filter_map(|nat| {
            let tags = read_tags(nat.tags());
            let eip = nat.nat_gateway_addresses().iter().find_map(|a| a.allocation_id()).unwrap_or_default();
            Some(
                Actual::new(owned_address(ctx, &tags)?, Kind::NatGateway, nat.nat_gateway_id()?)
                    .prop("subnet", Value::str(nat.subnet_id().unwrap_or_default()))
                    .prop("eip", Value::str(eip))
                    .prop("tags", tags::to_value(&tags))
                    .attr("state", nat.state().map(|s| s.as_str()).unwrap_or("unknown")),
            )
        })
        .collect())
}

pub async fn create_nat_gateway(ctx: &Ctx, want: &Desired, progress: &dyn Progress) -> Result<Actual, AwsError> {
    let resource = want.address.as_str();
    let token = client_token(&ctx.deployment, resource, &[want.text("subnet"), want.text("eip")]);
    let out = settle(resource, "CreateNatGateway", || async {
        ctx.aws
            .ec2
            .create_nat_gateway()
            .subnet_id(want.text("subnet"))
            .allocation_id(want.text("eip"))
            .client_token(&token)
            .tag_specifications(tag_spec(ResourceType::Natgateway, want))
            .send()
            .await
            .call("CreateNatGateway", resource)
    })
    .await;
    let id = match out {
        Ok(out) => out.nat_gateway().and_then(|n| n.nat_gateway_id()).unwrap_or_default().to_owned(),
        // Our own earlier attempt made the gateway but its answer was lost, and the retry was refused
        // because the address is now in use (AWS would honour the client token; some emulators do not):
        // the gateway is ours, find it by its tags.
        Err(err) if err.code_is("Resource.AlreadyAssociated") => {
            let existing = discover_nat_gateways(ctx).await?;
            match existing.into_iter().find(|nat| nat.address == want.address) {
                Some(nat) => nat.id,
                None => return Err(err),
            }
        }
        Err(err) => return Err(err),
    };
    // Private routes may point at a pending gateway, but traffic only flows once it is available, and
    // app nodes need it at boot: wait here (typically 1-2 minutes on AWS).
    poll(
        wait_policy(Kind::NatGateway),
        resource,
        "DescribeNatGateways",
        |seen, waited| progress.waiting(seen, waited),
        || async {
            let out = ctx
                .aws
                .ec2
                .describe_nat_gateways()
                .nat_gateway_ids(&id)
                .send()
                .await
                .call("DescribeNatGateways", resource);
            let nat = out.found()?.and_then(|out| out.nat_gateways().first().cloned());
            let Some(nat) = nat else { return Ok(PollStatus::Pending("not visible yet".into())) };
            match nat.state() {
                Some(NatGatewayState::Available) => Ok(PollStatus::Ready(())),
                Some(NatGatewayState::Failed | NatGatewayState::Deleted | NatGatewayState::Deleting) => {
                    Err(AwsError::local(
                        resource,
                        "CreateNatGateway",
                        format!(
                            "NAT gateway {id} is {}: {}",
                            nat.state().map(|s| s.as_str()).unwrap_or("?"),
                            nat.failure_message().unwrap_or("no reason given")
                        ),
                    ))
                }
                other => Ok(PollStatus::Pending(format!("state {}", other.map(|s| s.as_str()).unwrap_or("unknown")))),
            }
        },
    )
    .await?;
    Ok(Actual { props: want.props.clone(), ..Actual::new(want.address.clone(), Kind::NatGateway, id) })
}

pub async fn delete_nat_gateway(ctx: &Ctx, have: &Actual, progress: &dyn Progress) -> Result<(), AwsError> {
    let resource = have.address.as_str();
    match ctx.aws.ec2.delete_nat_gateway().nat_gateway_id(&have.id).send().await.call("DeleteNatGateway", resource) {
        Err(err) if err.is(ErrorClass::NotFound) => return Ok(()),
        other => other?,
    };
    // Its Elastic IP and the internet gateway stay busy until the gateway is fully deleted.
    poll(
        wait_policy(Kind::NatGateway),
        resource,
        "DescribeNatGateways",
        |seen, waited| progress.waiting(seen, waited),
        || async {
            let out = ctx
                .aws
                .ec2
                .describe_nat_gateways()
                .nat_gateway_ids(&have.id)
                .send()
                .await
                .call("DescribeNatGateways", resource);
            let state = out.found()?.and_then(|out| out.nat_gateways().first().and_then(|n| n.state().cloned()));
            Ok(match state {
                None | Some(NatGatewayState::Deleted) => PollStatus::Ready(()),
                Some(other) => PollStatus::Pending(format!("state {}", other.as_str())),
            })
        },
    )
    .await
}
