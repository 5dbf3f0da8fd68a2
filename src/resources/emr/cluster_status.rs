//! What `status` reads of the Spark cluster: the newest cluster of the deployment's name in any state
//! (to say why one ended, when discovery found none active), and a cluster's state, instance groups and
//! pending and running steps, in three calls made at once.

use aws_sdk_emr::types::StepState;
use serde::Serialize;

use crate::aws::{Required, ResultExt};
use crate::model::names::spark::CLUSTER;
use crate::resources::{Ctx, Error};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeGroup {
    /// `master`, `core`, `task`.
    pub role: String,
    pub instance_type: String,
    pub requested: i32,
    pub running: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    pub id: String,
    pub name: String,
    pub state: String,
}

/// A cluster as EMR describes it now.
#[derive(Debug, Clone, PartialEq)]
pub struct Described {
    pub name: String,
    /// EMR's state: `STARTING`, `BOOTSTRAPPING`, `RUNNING`, `WAITING`, `TERMINATING`, `TERMINATED`, ...
    pub state: String,
    /// EMR's reason for the last state change: `USER_REQUEST: Terminated by user request`.
    pub state_reason: Option<String>,
    /// Master, core, task.
    pub groups: Vec<NodeGroup>,
    /// Steps pending or running.
    pub steps: Vec<Step>,
}

/// The id of the newest cluster called `name`, in any state (EMR lists ended clusters for two months).
pub async fn newest_named(ctx: &Ctx, name: &str) -> Result<Option<String>, Error> {
    const CALL: &str = "ListClusters";
    let all = ctx
        .aws
        .emr
        .list_clusters()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .call(CALL, CLUSTER)?;
    let mut newest: Option<(i64, String)> = None;
    for cluster in all.iter().filter(|c| c.name() == Some(name)) {
        let created = cluster
            .status()
            .and_then(|s| s.timeline())
            .and_then(|t| t.creation_date_time())
            .required(CALL, "Status.Timeline.CreationDateTime", CLUSTER)?
            .secs();
        // The last of equally old ones, as `max_by_key` picks.
        if newest.as_ref().is_none_or(|(at, _)| created >= *at) {
            newest = Some((created, cluster.id().required(CALL, "Id", CLUSTER)?.to_owned()));
        }
    }
    Ok(newest.map(|(_, id)| id))
}

pub async fn describe_now(ctx: &Ctx, id: &str) -> Result<Described, Error> {
    let emr = &ctx.aws.emr;
    let (described, groups, steps) = tokio::try_join!(
        async { emr.describe_cluster().cluster_id(id).send().await.call("DescribeCluster", CLUSTER) },
        async { emr.list_instance_groups().cluster_id(id).send().await.call("ListInstanceGroups", CLUSTER) },
        async {
            emr.list_steps()
                .cluster_id(id)
                .step_states(StepState::Pending)
                .step_states(StepState::Running)
                .send()
                .await
                .call("ListSteps", CLUSTER)
        },
    )?;
    const DESCRIBE: &str = "DescribeCluster";
    let cluster = described.cluster().required(DESCRIBE, "Cluster", CLUSTER)?;
    let status = cluster.status().required(DESCRIBE, "Cluster.Status", CLUSTER)?;
    // EMR gives a reason only once the state has changed, with a code, a message or both.
    let state_reason = status.state_change_reason().and_then(|r| {
        let code = r.code().map(|c| c.as_str().to_owned());
        match (code, r.message()) {
            (Some(code), Some(message)) => Some(format!("{code}: {message}")),
            (Some(code), None) => Some(code),
            (None, Some(message)) => Some(message.to_owned()),
            (None, None) => None,
        }
    });
    Ok(Described {
        name: cluster.name().required(DESCRIBE, "Cluster.Name", CLUSTER)?.to_owned(),
        state: status.state().required(DESCRIBE, "Cluster.Status.State", CLUSTER)?.as_str().to_owned(),
        state_reason,
        groups: node_groups(&groups)?,
        steps: active_steps(&steps)?,
    })
}

fn node_groups(
    answer: &aws_sdk_emr::operation::list_instance_groups::ListInstanceGroupsOutput,
) -> Result<Vec<NodeGroup>, Error> {
    const CALL: &str = "ListInstanceGroups";
    let mut groups = Vec::new();
    for g in answer.instance_groups() {
        groups.push(NodeGroup {
            role: g.instance_group_type().required(CALL, "InstanceGroupType", CLUSTER)?.as_str().to_ascii_lowercase(),
            instance_type: g.instance_type().required(CALL, "InstanceType", CLUSTER)?.to_owned(),
            requested: g.requested_instance_count().required(CALL, "RequestedInstanceCount", CLUSTER)?,
            running: g.running_instance_count().required(CALL, "RunningInstanceCount", CLUSTER)?,
        });
    }
    // A group type EMR may add later goes last.
    let order = |role: &str| ["master", "core", "task"].iter().position(|r| *r == role).unwrap_or(3);
    groups.sort_by_key(|g| order(&g.role));
    Ok(groups)
}

fn active_steps(answer: &aws_sdk_emr::operation::list_steps::ListStepsOutput) -> Result<Vec<Step>, Error> {
    const CALL: &str = "ListSteps";
    let mut steps = Vec::new();
    for s in answer.steps() {
        steps.push(Step {
            id: s.id().required(CALL, "Id", CLUSTER)?.to_owned(),
            name: s.name().required(CALL, "Name", CLUSTER)?.to_owned(),
            state: s.status().and_then(|st| st.state()).required(CALL, "Status.State", CLUSTER)?.as_str().to_owned(),
        });
    }
    Ok(steps)
}
