//! EC2's kinds, and what they share: the deployment tag filter, tags set in the create call, tag sync,
//! and cleaning up the network interfaces AWS services leave behind.

mod cost;
pub mod elastic_ip;
pub mod internet_gateway;
pub mod launch_template;
pub mod nat_gateway;
pub mod route_table;
pub mod security_group;
pub mod security_group_egress;
mod sg_rules;
pub mod subnet;
pub mod vpc;

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{Filter, ResourceType, Tag, TagSpecification};

use super::support::{self, owned_address};
use super::{tag_pairs, Ctx, Error};
use crate::aws::{AwsError, Outcome, Required, ResultExt};
use crate::model::{tags, Actual, Desired, Kind, TAGS};

/// Every item an EC2 Describe operation lists with the deployment's tag, across all pages:
/// `describe_tagged!(ctx, describe_vpcs, "DescribeVpcs")`. (A macro: each operation has its own types.)
macro_rules! describe_tagged {
    ($ctx:expr, $operation:ident, $call:literal) => {
        $ctx.aws
            .ec2
            .$operation()
            .filters($crate::resources::ec2::deployment_filter(&$ctx.deployment))
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .call($call, &$ctx.deployment)
    };
}
pub(crate) use describe_tagged;

/// The resource an item of `call`'s answer describes, if it carries this deployment's tags: at its
/// address, with its id (which AWS always returns) and its tags as a property.
pub fn owned(
    ctx: &Ctx,
    kind: Kind,
    call: &'static str,
    id: Option<&str>,
    tags: &[Tag],
) -> Result<Option<Actual>, AwsError> {
    let tags = read_tags(tags);
    let Some(address) = owned_address(ctx, &tags) else { return Ok(None) };
    let id = id.required(call, "the resource's id", address.as_str())?;
    Ok(Some(Actual::new(address, kind, id).prop(&TAGS, tags::to_value(&tags))))
}

/// `tag:clusterup:deployment = <deployment>`: the filter every EC2 discovery uses.
pub fn deployment_filter(deployment: &str) -> Filter {
    Filter::builder().name(format!("tag:{}", tags::DEPLOYMENT)).values(deployment).build()
}

pub fn ec2_tags(map: &BTreeMap<String, String>) -> Vec<Tag> {
    map.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}

/// Tag the resource at creation, so it is never untagged, not even for an instant.
pub fn tag_spec(kind: ResourceType, want: &Desired) -> TagSpecification {
    TagSpecification::builder().resource_type(kind).set_tags(Some(ec2_tags(&tag_pairs(want)))).build()
}

pub fn read_tags(list: &[Tag]) -> BTreeMap<String, String> {
    tags::from_pairs(list.iter().map(|t| (t.key(), t.value())))
}

/// Bring an EC2 resource's tags in line: add or change what differs, remove what is gone.
pub async fn sync_tags(ctx: &Ctx, have: &Actual, want: &Desired) -> Result<(), Error> {
    let (ec2, id, resource) = (&ctx.aws.ec2, &have.id, have.address.as_str());
    let set = move |tags: BTreeMap<String, String>| async move {
        ec2.create_tags().resources(id).set_tags(Some(ec2_tags(&tags))).send().await.call("CreateTags", resource)?;
        Ok(())
    };
    let remove = move |keys: Vec<String>| async move {
        let removed = keys.iter().map(|k| Tag::builder().key(k).build()).collect();
        ec2.delete_tags().resources(id).set_tags(Some(removed)).send().await.call("DeleteTags", resource)?;
        Ok(())
    };
    support::sync_tags(have, want, set, remove).await
}

/// For kinds with nothing to change in place but their tags (subnets, addresses, NAT gateways).
pub async fn update_tags(ctx: &Ctx, have: &Actual, want: &Desired) -> Result<Actual, Error> {
    sync_tags(ctx, have, want).await?;
    Ok(have.updated_to(want))
}

/// Delete the detached (`available`) network interfaces that still sit in a subnet or hold a security
/// group (`filter` is `subnet-id` or `group-id`). AWS services (load balancers, EMR, EFS, NAT, Lambda)
/// create ENIs on the deployment's behalf, untagged; when one is left detached after its owner went, it
/// blocks the subnet or group for good. Attached ones belong to a live resource and are waited for.
pub async fn delete_detached_enis(ctx: &Ctx, filter: &str, id: &str, resource: &str) -> Result<(), AwsError> {
    let ec2 = &ctx.aws.ec2;
    let out = ec2
        .describe_network_interfaces()
        .filters(Filter::builder().name(filter).values(id).build())
        .filters(Filter::builder().name("status").values("available").build())
        .send()
        .await
        .call("DescribeNetworkInterfaces", resource)?;
    for eni in out.network_interfaces().iter().filter_map(|e| e.network_interface_id()) {
        ctx.aws
            .ec2
            .delete_network_interface()
            .network_interface_id(eni)
            .send()
            .await
            .call("DeleteNetworkInterface", resource)
            .gone_ok()?;
    }
    Ok(())
}
