//! Subnets: a public and a private one in every zone.

use aws_sdk_ec2::types::ResourceType;

use crate::aws::{AwsError, ResultExt};
use crate::model::{tags, Actual, Desired, Kind, Value};
use crate::resources::ec2_util::{
    delete_detached_enis, delete_when_free, deployment_filter, read_tags, settle, tag_spec,
};
use crate::resources::owned_address;
use crate::resources::{Ctx, Progress};

pub async fn discover(ctx: &Ctx) -> Result<Vec<Actual>, AwsError> {
    let subnets: Vec<_> = ctx
        .aws
        .ec2
        .describe_subnets()
        .filters(deployment_filter(&ctx.deployment))
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .call("DescribeSubnets", &ctx.deployment)?;
    Ok(subnets
        .into_iter()
        .filter_map(|subnet| {
            let tags = read_tags(subnet.tags());
            Some(
                Actual::new(owned_address(ctx, &tags)?, Kind::Subnet, subnet.subnet_id()?)
                    .prop("vpc", Value::str(subnet.vpc_id().unwrap_or_default()))
                    .prop("cidr", Value::str(subnet.cidr_block().unwrap_or_default()))
                    .prop("zone", Value::str(subnet.availability_zone().unwrap_or_default()))
                    .prop("tags", tags::to_value(&tags)),
            )
        })
        .collect())
}

pub async fn create(ctx: &Ctx, want: &Desired) -> Result<Actual, AwsError> {
    let out = settle(want.address.as_str(), "CreateSubnet", || async {
        ctx.aws
            .ec2
            .create_subnet()
            .vpc_id(want.text("vpc"))
            .cidr_block(want.text("cidr"))
            .availability_zone(want.text("zone"))
            .tag_specifications(tag_spec(ResourceType::Subnet, want))
            .send()
            .await
            .call("CreateSubnet", want.address.as_str())
    })
    .await?;
    let id = out.subnet().and_then(|s| s.subnet_id()).unwrap_or_default();
    Ok(Actual { props: want.props.clone(), ..Actual::new(want.address.clone(), Kind::Subnet, id) })
}

pub async fn delete(ctx: &Ctx, have: &Actual, progress: &dyn Progress) -> Result<(), AwsError> {
    delete_when_free(have.address.as_str(), "DeleteSubnet", progress, || async {
        delete_detached_enis(ctx, "subnet-id", &have.id, have.address.as_str()).await?;
        ctx.aws
            .ec2
            .delete_subnet()
            .subnet_id(&have.id)
            .send()
            .await
            .call("DeleteSubnet", have.address.as_str())
            .map(|_| ())
    })
    .await
}
