//! The last step of destroy: ask AWS, two independent ways, whether anything of the deployment is left.
//!
//! 1. Every kind's own discovery again (covers what the tagging API does not index: listeners, launch
//!    templates, Auto Scaling groups, NAT gateways, Elastic IPs, route tables).
//! 2. The Resource Groups Tagging API across all services, for anything tagged with the deployment that
//!    no kind knows about (instances in particular). Terminated instances stay listed there for up to an
//!    hour, EMR clusters for two months; those are gone and not reported.

use aws_sdk_ec2::types::{InstanceStateName, NatGatewayState};
use aws_sdk_emr::types::ClusterState;
use aws_sdk_resourcegroupstagging::types::TagFilter;

use super::{discover_all, registry, Ctx, Error};
use crate::aws::{AwsError, Outcome, ResultExt};
use crate::model::tags;

/// One thing still there: its address or ARN, and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leftover {
    pub what: String,
    pub id: String,
}

pub async fn leftovers(ctx: &Ctx) -> Result<Vec<Leftover>, Error> {
    let tagging = &ctx.aws.tagging;
    let mut out: Vec<Leftover> = discover_all(ctx)
        .await?
        .into_iter()
        .map(|a| Leftover { what: format!("{} ({})", a.address, registry::label(a.kind)), id: a.id })
        .collect();

    let arns: Vec<String> = tagging
        .get_resources()
        .tag_filters(TagFilter::builder().key(tags::DEPLOYMENT).values(&ctx.deployment).build())
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .call("GetResources", &ctx.deployment)?
        .into_iter()
        .filter_map(|m| m.resource_arn().map(str::to_owned))
        .collect();

    let gone = gone_ids(ctx, &arns).await?;
    for arn in arns {
        let id = arn.rsplit(['/', ':']).next().unwrap_or_default();
        if gone.iter().any(|g| g == id) {
            continue;
        }
        // Final database snapshots are kept on purpose: they are the data's safety net.
        if arn.contains(":snapshot:") {
            continue;
        }
        // Skip what discovery already reported (same id inside the ARN).
        if out.iter().any(|l| arn.ends_with(&l.id) || arn == l.id) {
            continue;
        }
        out.push(Leftover { what: "tagged resource".to_owned(), id: arn });
    }
    Ok(out)
}

/// Ids, among the tagged ARNs, of instances and NAT gateways that are terminated or deleted: AWS keeps
/// listing those for about an hour, but they are gone and cost nothing.
async fn gone_ids(ctx: &Ctx, arns: &[String]) -> Result<Vec<String>, AwsError> {
    let ec2 = &ctx.aws.ec2;
    let emr = &ctx.aws.emr;
    let ids_of = |marker: &str| -> Vec<String> {
        arns.iter().filter_map(|arn| arn.split_once(marker).map(|(_, id)| id.to_owned())).collect()
    };
    let mut gone = Vec::new();
    let instances = ids_of(":instance/");
    if !instances.is_empty() {
        let out = ec2
            .describe_instances()
            .set_instance_ids(Some(instances))
            .send()
            .await
            .call("DescribeInstances", &ctx.deployment)?;
        gone.extend(
            out.reservations()
                .iter()
                .flat_map(|r| r.instances())
                .filter(|i| i.state().and_then(|s| s.name()) == Some(&InstanceStateName::Terminated))
                .filter_map(|i| i.instance_id().map(str::to_owned)),
        );
    }
    let nat_gateways = ids_of(":natgateway/");
    if !nat_gateways.is_empty() {
        let out = ec2
            .describe_nat_gateways()
            .set_nat_gateway_ids(Some(nat_gateways))
            .send()
            .await
            .call("DescribeNatGateways", &ctx.deployment)?;
        gone.extend(
            out.nat_gateways()
                .iter()
                .filter(|n| n.state() == Some(&NatGatewayState::Deleted))
                .filter_map(|n| n.nat_gateway_id().map(str::to_owned)),
        );
    }
    // EMR lists terminated clusters (with their tags) for two months.
    for cluster in ids_of(":cluster/") {
        let out = emr.describe_cluster().cluster_id(&cluster).send().await.call("DescribeCluster", &cluster);
        let state = out.found()?.and_then(|o| o.cluster).and_then(|c| c.status).and_then(|s| s.state);
        if matches!(state, None | Some(ClusterState::Terminated | ClusterState::TerminatedWithErrors)) {
            gone.push(cluster);
        }
    }
    Ok(gone)
}
