//! Discovery and read-back: the deployment's active clusters (by name, then by tag), each read with its
//! instance groups, bootstrap action, master node and scaling as clusterup describes a cluster.

use aws_sdk_emr::types::{Cluster, ClusterState, InstanceGroup, InstanceGroupType};

use super::configurations::configurations_json;
use super::scaling::scaling_value;
use super::{
    APPLICATIONS, AUTOSCALING_ROLE, BOOTSTRAP, CONFIGURATIONS, CORE_COUNT, CORE_SECURITY_GROUP, CORE_TYPE,
    INSTANCE_PROFILE, LOG_URI, MASTER_APPLIED_VERSION, MASTER_CONFIGURATIONS, MASTER_GROUP_STATE,
    MASTER_REQUESTED_VERSION, MASTER_SECURITY_GROUP, MASTER_TYPE, READY, RELEASE, SCALING, SECURITY_CONFIGURATION,
    SERVICE_ROLE, SERVICE_SECURITY_GROUP, STATE, SUBNET, TASK_COUNT, TASK_TYPE,
};
use crate::aws::{AwsError, Outcome, Required, ResultExt};
use crate::model::names::spark::cluster_name;
use crate::model::{tags, Actual, Kind, Value, NAME, TAGS};
use crate::resources::support::owned_address;
use crate::resources::Ctx;

/// The call a cluster is read from.
const DESCRIBE: &str = "DescribeCluster";

/// Clusters that exist and cost money; terminated ones stay listed for two months and are not ours to
/// adopt or delete.
const ACTIVE: [ClusterState; 4] =
    [ClusterState::Starting, ClusterState::Bootstrapping, ClusterState::Running, ClusterState::Waiting];

/// The ids of active clusters with the deployment's cluster name (ListClusters has no tag filter).
pub(super) async fn active_cluster_ids(ctx: &Ctx) -> Result<Vec<String>, AwsError> {
    let emr = &ctx.aws.emr;
    let name = cluster_name(&ctx.deployment);
    let clusters = emr
        .list_clusters()
        .set_cluster_states(Some(ACTIVE.to_vec()))
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .call("ListClusters", &ctx.deployment)?;
    clusters
        .into_iter()
        .filter(|c| c.name() == Some(name.as_str()))
        .map(|c| c.id.required("ListClusters", "Id", &name))
        .collect()
}

/// The cluster `id` as clusterup describes it, if it carries this deployment's tags.
pub(super) async fn read(ctx: &Ctx, id: &str) -> Result<Option<Actual>, AwsError> {
    let emr = &ctx.aws.emr;
    let described = emr.describe_cluster().cluster_id(id).send().await.call("DescribeCluster", id).found()?;
    let Some(cluster) = described.and_then(|out| out.cluster) else { return Ok(None) };
    let tags = tags::from_pairs(cluster.tags().iter().map(|t| (t.key(), t.value())));
    let Some(address) = owned_address(ctx, &tags) else { return Ok(None) };
    // The instance groups say what the cluster is; the bootstrap script, the master's addresses and the
    // managed scaling limits only describe it (for a plan, and the outputs): optional where the command
    // needs no more than the cluster's id (`aws::Reads`).
    let reads = &ctx.aws.reads;
    let (groups, bootstrap, master) = tokio::try_join!(
        async {
            emr.list_instance_groups()
                .cluster_id(id)
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
                .call("ListInstanceGroups", id)
        },
        async {
            reads.optional(emr.list_bootstrap_actions().cluster_id(id).send().await.call("ListBootstrapActions", id))
        },
        async {
            reads.optional(
                emr.list_instances()
                    .cluster_id(id)
                    .instance_group_types(InstanceGroupType::Master)
                    .send()
                    .await
                    .call("ListInstances", id),
            )
        },
    )?;
    let mut actual = from_aws(address, &cluster, &groups, &tags)?;
    // The master's own addresses, for the outputs: none while it is still being provisioned.
    if let Some(node) = master.as_ref().and_then(|m| m.instances().first()) {
        if let Some(dns) = node.private_dns_name() {
            actual = actual.attr("master_private_dns", dns);
        }
        if let Some(ip) = node.private_ip_address() {
            actual = actual.attr("master_private_ip", ip);
        }
    }
    if let Some(action) = bootstrap.as_ref().and_then(|b| b.bootstrap_actions().first()) {
        let script = action.script_path().required("ListBootstrapActions", "ScriptPath", id)?;
        actual = actual.prop(&BOOTSTRAP, Value::str(script));
    }
    // No policy (or no limits) where the tag says there is one: it was removed, which the diff shows.
    let scaling = match tags.get(tags::SPARK_SCALING).map(String::as_str) {
        Some("custom") => group_of(&groups, InstanceGroupType::Core)
            .and_then(|g| g.auto_scaling_policy())
            .and_then(|p| p.constraints())
            .map(|c| {
                let call = "ListInstanceGroups";
                let min = c.min_capacity().required(call, "AutoScalingPolicy.Constraints.MinCapacity", id)?;
                let max = c.max_capacity().required(call, "AutoScalingPolicy.Constraints.MaxCapacity", id)?;
                Ok::<_, AwsError>(scaling_value("custom", min, max))
            })
            .transpose()?,
        Some("managed") => {
            let call = "GetManagedScalingPolicy";
            let out = reads.optional(emr.get_managed_scaling_policy().cluster_id(id).send().await.call(call, id))?;
            out.as_ref()
                .and_then(|out| out.managed_scaling_policy())
                .and_then(|p| p.compute_limits())
                .map(|l| {
                    let min = l.minimum_capacity_units().required(call, "ComputeLimits.MinimumCapacityUnits", id)?;
                    let max = l.maximum_capacity_units().required(call, "ComputeLimits.MaximumCapacityUnits", id)?;
                    Ok::<_, AwsError>(scaling_value("managed", min, max))
                })
                .transpose()?
        }
        _ => None,
    };
    if let Some(scaling) = scaling {
        actual = actual.prop(&SCALING, scaling);
    }
    Ok(Some(actual))
}

fn group_of(groups: &[InstanceGroup], kind: InstanceGroupType) -> Option<&InstanceGroup> {
    groups.iter().find(|g| g.instance_group_type() == Some(&kind))
}

pub(super) fn state_of(cluster: &Cluster) -> Option<&ClusterState> {
    cluster.status().and_then(|s| s.state())
}

/// A described cluster as clusterup describes it. DescribeCluster always reports what RunJobFlow was
/// given and the cluster's id, ARN and state; ListInstanceGroups each group's id, type, state and
/// requested count.
fn from_aws(
    address: crate::model::Address,
    cluster: &Cluster,
    groups: &[InstanceGroup],
    tags: &std::collections::BTreeMap<String, String>,
) -> Result<Actual, AwsError> {
    let id = cluster.id().required(DESCRIBE, "Id", address.as_str())?;
    let text =
        |value: Option<&str>, field: &'static str| Ok::<_, AwsError>(Value::str(value.required(DESCRIBE, field, id)?));
    let ec2 = cluster.ec2_instance_attributes().required(DESCRIBE, "Ec2InstanceAttributes", id)?;
    let state = match state_of(cluster).required(DESCRIBE, "Status.State", id)? {
        ClusterState::Waiting | ClusterState::Running => READY.to_owned(),
        state => state.as_str().to_ascii_lowercase(),
    };
    let applications =
        cluster.applications().iter().map(|a| text(a.name(), "Applications.Name")).collect::<Result<Vec<_>, _>>()?;
    let mut actual = Actual::new(address, Kind::EmrCluster, id)
        .prop(&NAME, text(cluster.name(), "Name")?)
        .prop(&RELEASE, text(cluster.release_label(), "ReleaseLabel")?)
        .prop(&APPLICATIONS, Value::List(applications))
        .prop(&SUBNET, text(ec2.ec2_subnet_id(), "Ec2InstanceAttributes.Ec2SubnetId")?)
        .prop(
            &MASTER_SECURITY_GROUP,
            text(ec2.emr_managed_master_security_group(), "Ec2InstanceAttributes.EmrManagedMasterSecurityGroup")?,
        )
        .prop(
            &CORE_SECURITY_GROUP,
            text(ec2.emr_managed_slave_security_group(), "Ec2InstanceAttributes.EmrManagedSlaveSecurityGroup")?,
        )
        // Reported for clusters in a private subnet, which clusterup's always are.
        .prop(
            &SERVICE_SECURITY_GROUP,
            text(ec2.service_access_security_group(), "Ec2InstanceAttributes.ServiceAccessSecurityGroup")?,
        )
        .prop(&SERVICE_ROLE, text(cluster.service_role(), "ServiceRole")?)
        .prop(&INSTANCE_PROFILE, text(ec2.iam_instance_profile(), "Ec2InstanceAttributes.IamInstanceProfile")?)
        // Absent when the cluster logs nowhere: "" then differs from the log folder clusterup asks for.
        .prop(&LOG_URI, Value::str(cluster.log_uri().unwrap_or_default()))
        .prop(&CONFIGURATIONS, Value::str(configurations_json(cluster.configurations())))
        .prop(&STATE, Value::str(state))
        .prop(&TAGS, tags::to_value(tags))
        .attr("arn", cluster.cluster_arn().required(DESCRIBE, "ClusterArn", id)?);
    // Known once the master runs.
    if let Some(dns) = cluster.master_public_dns_name() {
        actual = actual.attr("master_dns", dns);
    }
    // Reported only for a cluster started with one: absent, it differs from the one clusterup asks for.
    if let Some(name) = cluster.security_configuration().filter(|n| !n.is_empty()) {
        actual = actual.prop(&SECURITY_CONFIGURATION, Value::str(name));
    }
    if let Some(role) = cluster.auto_scaling_role().filter(|r| !r.is_empty()) {
        actual = actual.prop(&AUTOSCALING_ROLE, Value::str(role));
    }
    let call = "ListInstanceGroups";
    for (kind, prefix, type_prop, count_prop) in [
        (InstanceGroupType::Master, "master", &MASTER_TYPE, None),
        (InstanceGroupType::Core, "core", &CORE_TYPE, Some(&CORE_COUNT)),
        (InstanceGroupType::Task, "task", &TASK_TYPE, Some(&TASK_COUNT)),
    ] {
        if let Some(group) = group_of(groups, kind.clone()) {
            let group_id = group.id().required(call, "Id", id)?;
            actual = actual
                .prop(type_prop, Value::str(group.instance_type().required(call, "InstanceType", group_id)?))
                .attr(&format!("{prefix}_group_id"), group_id);
            if kind == InstanceGroupType::Master {
                // What the Hive metastore attachment (spark/metastore, found through this cluster) reads:
                // the group's requested configurations and whether EMR has applied them.
                let state = group.status().and_then(|s| s.state()).required(call, "Status.State", group_id)?;
                let (requested, applied) = crate::resources::emr::configuration_versions(group);
                actual = actual
                    .attr(MASTER_CONFIGURATIONS, configurations_json(group.configurations()))
                    .attr(MASTER_REQUESTED_VERSION, requested.to_string())
                    .attr(MASTER_APPLIED_VERSION, applied.to_string())
                    .attr(MASTER_GROUP_STATE, state.as_str());
            }
            if let Some(count_prop) = count_prop {
                let count = group.requested_instance_count().required(call, "RequestedInstanceCount", group_id)?;
                actual = actual.prop(count_prop, Value::Int(i64::from(count)));
            }
        }
    }
    Ok(actual)
}
