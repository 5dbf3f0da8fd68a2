//! The VPC and its internet gateway.

use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType, VpcAttributeName};

use crate::aws::{AwsError, ErrorClass, ResultExt};
use crate::model::{tags, Actual, Desired, Kind, Value};
use crate::resources::ec2_util::{delete_when_free, deployment_filter, read_tags, settle, sync_tags, tag_spec};
use crate::resources::owned_address;
use crate::resources::{Ctx, Progress};

pub async fn discover_vpcs(ctx: &Ctx) -> Result<Vec<Actual>, AwsError> {
    let vpcs: Vec<_> = ctx
        .aws
        .ec2
        .describe_vpcs()
        .filters(deployment_filter(&ctx.deployment))
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .call("DescribeVpcs", &ctx.deployment)?;
    let mut out = Vec::new();
    for vpc in vpcs {
        let tags = read_tags(vpc.tags());
        let (Some(address), Some(id)) = (owned_address(ctx, &tags), vpc.vpc_id()) else { continue };
        // One VPC per deployment: one extra call is cheap and keeps DNS (which EFS and RDS need) visible.
        let dns = ctx
            .aws
            .ec2
            .describe_vpc_attribute()
            .vpc_id(id)
            .attribute(VpcAttributeName::EnableDnsHostnames)
            .send()
            .await
            .call("DescribeVpcAttribute", id)?
            .enable_dns_hostnames()
            .and_then(|v| v.value())
            .unwrap_or(false);
        out.push(
            Actual::new(address, Kind::Vpc, id)
                .prop("cidr", Value::str(vpc.cidr_block().unwrap_or_default()))
                .prop("dns_hostnames", Value::Bool(dns))
                .prop("tags", tags::to_value(&tags)),
        );
    }
    Ok(out)
}

pub async fn create_vpc(ctx: &Ctx, want: &Desired) -> Result<Actual, AwsError> {
    let out = ctx
        .aws
        .ec2
        .create_vpc()
        .cidr_block(want.text("cidr"))
        .tag_specifications(tag_spec(ResourceType::Vpc, want))
        .send()
        .await
        .call("CreateVpc", want.address.as_str())?;
    let id = out.vpc().and_then(|v| v.vpc_id()).unwrap_or_default().to_owned();
    let actual = Actual { props: want.props.clone(), ..Actual::new(want.address.clone(), Kind::Vpc, &id) };
    enable_dns(ctx, &id, want).await?;
    Ok(actual)
}

async fn enable_dns(ctx: &Ctx, id: &str, want: &Desired) -> Result<(), AwsError> {
    // DNS hostnames need DNS support; both are one attribute per call.
    settle(want.address.as_str(), "ModifyVpcAttribute", || async {
        ctx.aws
            .ec2
            .modify_vpc_attribute()
            .vpc_id(id)
            .enable_dns_support(AttributeBooleanValue::builder().value(true).build())
            .send()
            .await
            .call("ModifyVpcAttribute", want.address.as_str())
    })
    .await?;
    ctx.aws
        .ec2
        .modify_vpc_attribute()
        .vpc_id(id)
        .enable_dns_hostnames(AttributeBooleanValue::builder().value(true).build())
        .send()
        .await
        .call("ModifyVpcAttribute", want.address.as_str())?;
    Ok(())
}

pub async fn update_vpc(ctx: &Ctx, have: &Actual, want: &Desired) -> Result<Actual, AwsError> {
    if have.props.get("dns_hostnames") != want.props.get("dns_hostnames") {
        enable_dns(ctx, &have.id, want).await?;
    }
    sync_tags(&ctx.aws.ec2, have, want).await?;
    Ok(Actual { props: want.props.clone(), ..have.clone() })
}

pub async fn delete_vpc(ctx: &Ctx, have: &Actual, progress: &dyn Progress) -> Result<(), AwsError> {
    delete_when_free(have.address.as_str(), "DeleteVpc", progress, || async {
        ctx.aws.ec2.delete_vpc().vpc_id(&have.id).send().await.call("DeleteVpc", have.address.as_str()).map(|_| ())
    })
    .await
}

pub async fn discover_internet_gateways(ctx: &Ctx) -> Result<Vec<Actual>, AwsError> {
    let gateways: Vec<_> = ctx
        .aws
        .ec2
        .describe_internet_gateways()
        .filters(deployment_filter(&ctx.deployment))
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .call("DescribeInternetGateways", &ctx.deployment)?;
    Ok(gateways
        .into_iter()
        .filter_map(|igw| {
            let tags = read_tags(igw.tags());
            let address = owned_address(ctx, &tags)?;
            let vpc = igw.attachments().iter().find_map(|a| a.vpc_id()).map(Value::str).unwrap_or(Value::str(""));
            Some(
                Actual::new(address, Kind::InternetGateway, igw.internet_gateway_id()?)
                    .prop("vpc", vpc)
                    .prop("tags", tags::to_value(&tags)),
            )
        })
        .collect())
}

pub async fn create_internet_gateway(ctx: &Ctx, want: &Desired) -> Result<Actual, AwsError> {
    let out = ctx
        .aws
        .ec2
        .create_internet_gateway()
        .tag_specifications(tag_spec(ResourceType::InternetGateway, want))
        .send()
        .await
        .call("CreateInternetGateway", want.address.as_str())?;
    let id = out.internet_gateway().and_then(|g| g.internet_gateway_id()).unwrap_or_default().to_owned();
    attach(ctx, &id, want).await?;
    Ok(Actual { props: want.props.clone(), ..Actual::new(want.address.clone(), Kind::InternetGateway, id) })
}

async fn attach(ctx: &Ctx, id: &str, want: &Desired) -> Result<(), AwsError> {
    settle(want.address.as_str(), "AttachInternetGateway", || async {
        ctx.aws
            .ec2
            .attach_internet_gateway()
            .internet_gateway_id(id)
            .vpc_id(want.text("vpc"))
            .send()
            .await
            .call("AttachInternetGateway", want.address.as_str())
    })
    .await?;
    Ok(())
}

/// An interrupted apply can leave the gateway created but not attached: attach it (or move it).
pub async fn update_internet_gateway(ctx: &Ctx, have: &Actual, want: &Desired) -> Result<Actual, AwsError> {
    let attached = have.props.get("vpc").and_then(Value::as_str).unwrap_or_default();
    if attached != want.text("vpc") {
        if !attached.is_empty() {
            detach(ctx, have, attached).await?;
        }
        attach(ctx, &have.id, want).await?;
    }
    sync_tags(&ctx.aws.ec2, have, want).await?;
    Ok(Actual { props: want.props.clone(), ..have.clone() })
}

async fn detach(ctx: &Ctx, have: &Actual, vpc: &str) -> Result<(), AwsError> {
    let result = ctx
        .aws
        .ec2
        .detach_internet_gateway()
        .internet_gateway_id(&have.id)
        .vpc_id(vpc)
        .send()
        .await
        .call("DetachInternetGateway", have.address.as_str());
    match result {
        Err(err) if err.is(ErrorClass::NotFound) || err.code_is("Gateway.NotAttached") => Ok(()),
        // "has some mapped public address(es)": a NAT gateway or load balancer is still letting go.
        Err(err) if err.code_is("DependencyViolation") => Err(err),
        other => other.map(|_| ()),
    }
}

pub async fn delete_internet_gateway(ctx: &Ctx, have: &Actual, progress: &dyn Progress) -> Result<(), AwsError> {
    let vpc = have.props.get("vpc").and_then(Value::as_str).unwrap_or_default().to_owned();
    if !vpc.is_empty() {
        delete_when_free(have.address.as_str(), "DetachInternetGateway", progress, || detach(ctx, have, &vpc)).await?;
    }
    delete_when_free(have.address.as_str(), "DeleteInternetGateway", progress, || async {
        ctx.aws
            .ec2
            .delete_internet_gateway()
            .internet_gateway_id(&have.id)
            .send()
            .await
            .call("DeleteInternetGateway", have.address.as_str())
            .map(|_| ())
    })
    .await
}
