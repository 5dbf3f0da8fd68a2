//! Discovery and read-back: the deployment's active clusters (by name, then by tag), each read with its
//! instance groups, bootstrap action, master node and scaling as clusterup describes a cluster.

use aws_sdk_emr::types::{Cluster, ClusterState, InstanceGroup, InstanceGroupType};

use super::configurations::configurations_json;
use super::scaling::scaling_value;
use super::{
    APPLICATIONS, AUTOSCALING_ROLE, BOOTSTRAP, CONFIGURATIONS, CORE_COUNT, CORE_SECURITY_GROUP, CORE_TYPE,
    INSTANCE_PROFILE, LOG_URI, MASTER_APPLIED_VERSION, MASTER_CONFIGURATIONS, MASTER_GROUP_STATE,
    MASTER_REQUESTED_VERSION, MASTER_SECURITY_GROUP, MASTER_TYPE, READY, RELEASE, SCALING, SERVICE_ROLE,
    SERVICE_SECURITY_GROUP, STATE, SUBNET, TASK_COUNT, TASK_TYPE,
};
use crate::aws::{AwsError, Outcome, ResultExt};
use crate::model::names::spark::cluster_name;
use crate::model::{tags, Actual, Kind, Value, NAME, TAGS};
use crate::resources::support::owned_address;
use crate::resources::Ctx;

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
    Ok(clusters.into_iter().filter(|c| c.name() == Some(name.as_str())).filter_map(|c| c.id).collect())
}

/// The cluster `id` as clusterup describes it, if it carries this deployment's tags.
pub(super) async fn read(ctx: &Ctx, id: &str) -> Result<Option<Actual>, AwsError> {
    let emr = &ctx.aws.emr;
    let described = emr.describe_cluster().cluster_id(id).send().await.call("DescribeCluster", id).found()?;
    let Some(cluster) = described.and_then(|out| out.cluster) else { return Ok(None) };
    let tags = tags::from_pairs(cluster.tags().iter().map(|t| (t.key(), t.value())));
    let Some(address) = owned_address(ctx, &tags) else { return Ok(None) };
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
        async { emr.list_bootstrap_actions().cluster_id(id).send().await.call("ListBootstrapActions", id) },
        async {
            emr.list_instances()
                .cluster_id(id)
                .instance_group_types(InstanceGroupType::Master)
                .send()
                .await
                .call("ListInstances", id)
        },
    )?;
    let mut actual = from_aws(address, &cluster, &groups, &tags);
    // The master's own addresses, for the outputs (none while it is still being provisioned).
    if let Some(node) = master.instances().first() {
        actual = actual
            .attr("master_private_dns", node.private_dns_name().unwrap_or_default())
            .attr("master_private_ip", node.private_ip_address().unwrap_or_default());
    }
    if let Some(action) = bootstrap.bootstrap_actions().first() {
        actual = actual.prop(&BOOTSTRAP, Value::str(action.script_path().unwrap_or_default()));
    }
    let scaling = match tags.get(tags::SPARK_SCALING).map(String::as_str) {
        Some("custom") => group_of(&groups, InstanceGroupType::Core)
            .and_then(|g| g.auto_scaling_policy())
            .and_then(|p| p.constraints())
            .map(|c| {
                scaling_value("custom", c.min_capacity().unwrap_or_default(), c.max_capacity().unwrap_or_default())
            }),
        Some("managed") => {
            let out =
                emr.get_managed_scaling_policy().cluster_id(id).send().await.call("GetManagedScalingPolicy", id)?;
            out.managed_scaling_policy().and_then(|p| p.compute_limits()).map(|l| {
                scaling_value(
                    "managed",
                    l.minimum_capacity_units().unwrap_or_default(),
                    l.maximum_capacity_units().unwrap_or_default(),
                )
            })
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

fn from_aws(
    address: crate::model::Address,
    cluster: &Cluster,
    groups: &[InstanceGroup],
    tags: &std::collections::BTreeMap<String, String>,
) -> Actual {
    let ec2 = cluster.ec2_instance_attributes();
    let text = |v: Option<&str>| Value::str(v.unwrap_or_default());
    let state = match state_of(cluster) {
        Some(ClusterState::Waiting | ClusterState::Running) => READY.to_owned(),
        Some(state) => state.as_str().to_ascii_lowercase(),
        None => "unknown".to_owned(),
    };
    let mut actual = Actual::new(address, Kind::EmrCluster, cluster.id().unwrap_or_default())
        .prop(&NAME, text(cluster.name()))
        .prop(&RELEASE, text(cluster.release_label()))
        .prop(&APPLICATIONS, Value::List(cluster.applications().iter().map(|a| text(a.name())).collect()))
        .prop(&SUBNET, text(ec2.and_then(|e| e.ec2_subnet_id())))
        .prop(&MASTER_SECURITY_GROUP, text(ec2.and_then(|e| e.emr_managed_master_security_group())))
        .prop(&CORE_SECURITY_GROUP, text(ec2.and_then(|e| e.emr_managed_slave_security_group())))
        .prop(&SERVICE_SECURITY_GROUP, text(ec2.and_then(|e| e.service_access_security_group())))
        .prop(&SERVICE_ROLE, text(cluster.service_role()))
        .prop(&INSTANCE_PROFILE, text(ec2.and_then(|e| e.iam_instance_profile())))
        .prop(&LOG_URI, text(cluster.log_uri()))
        .prop(&CONFIGURATIONS, Value::str(configurations_json(cluster.configurations())))
        .prop(&STATE, Value::str(state))
        .prop(&TAGS, tags::to_value(tags))
        .attr("arn", cluster.cluster_arn().unwrap_or_default())
        .attr("master_dns", cluster.master_public_dns_name().unwrap_or_default());
    if let Some(role) = cluster.auto_scaling_role().filter(|r| !r.is_empty()) {
        actual = actual.prop(&AUTOSCALING_ROLE, Value::str(role));
    }
    for (kind, prefix, type_prop, count_prop) in [
        (InstanceGroupType::Master, "master", &MASTER_TYPE, None),
        (InstanceGroupType::Core, "core", &CORE_TYPE, Some(&CORE_COUNT)),
        (InstanceGroupType::Task, "task", &TASK_TYPE, Some(&TASK_COUNT)),
    ] {
        if let Some(group) = group_of(groups, kind.clone()) {
            actual = actual
                .prop(type_prop, text(group.instance_type()))
                .attr(&format!("{prefix}_group_id"), group.id().unwrap_or_default());
            if kind == InstanceGroupType::Master {
                // What the Hive metastore attachment (spark/metastore, found through this cluster) reads:
                // the group's requested configurations and whether EMR has applied them.
                actual = actual
                    .attr(MASTER_CONFIGURATIONS, configurations_json(group.configurations()))
                    .attr(MASTER_REQUESTED_VERSION, group.configurations_version().unwrap_or_default().to_string())
                    .attr(
                        MASTER_APPLIED_VERSION,
                        group.last_successfully_applied_configurations_version().unwrap_or_default().to_string(),
                    )
                    .attr(
                        MASTER_GROUP_STATE,
                        group.status().and_then(|s| s.state()).map(|s| s.as_str()).unwrap_or_default(),
                    );
            }
            if let Some(count_prop) = count_prop {
                let count = group.requested_instance_count().unwrap_or_default();
                actual = actual.prop(count_prop, Value::Int(i64::from(count)));
            }
        }
    }
    actual
}
