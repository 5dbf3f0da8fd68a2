//! Waiting until a started cluster can take work (WAITING or RUNNING); one that ends instead is an error
//! with EMR's reason and where its logs are.

use aws_sdk_emr::types::ClusterState;

use super::read::{read, state_of};
use crate::aws::{AwsError, PollStatus, ResultExt, Schedule};
use crate::model::Actual;
use crate::resources::support::wait_for;
use crate::resources::{Ctx, Progress};

/// Wait until the cluster can take work, looking as `schedule` says (a cluster just started: the create's
/// `Spec::schedule`; one an interrupted run started, of unknown age: the plain policy); a cluster that
/// ends instead is an error with EMR's reason.
pub(super) async fn wait_ready(
    ctx: &Ctx,
    schedule: Schedule,
    id: &str,
    resource: &str,
    progress: &dyn Progress,
) -> Result<Actual, AwsError> {
    let emr = &ctx.aws.emr;
    wait_for(schedule, resource, "DescribeCluster", progress, || async {
            let out = emr.describe_cluster().cluster_id(id).send().await.call("DescribeCluster", resource)?;
            let Some(cluster) = out.cluster() else { return Ok(PollStatus::Pending("not visible yet".into())) };
            match state_of(cluster) {
                Some(ClusterState::Waiting | ClusterState::Running) => Ok(PollStatus::Ready(())),
                Some(
                    state @ (ClusterState::Terminating
                    | ClusterState::Terminated
                    | ClusterState::TerminatedWithErrors),
                ) => {
                    let reason = cluster.status().and_then(|s| s.state_change_reason());
                    Err(AwsError::local(
                        resource,
                        "RunJobFlow",
                        format!(
                            "EMR cluster {id} is {} instead of starting: {} {}; its logs are under {}{id}/. Fix the cause, then run apply again to start a new one",
                            state.as_str(),
                            reason.and_then(|r| r.code()).map(|c| c.as_str()).unwrap_or(""),
                            reason.and_then(|r| r.message()).unwrap_or("no reason given"),
                            cluster.log_uri().unwrap_or("the log bucket's logs/ folder, ")
                        ),
                    ))
                }
                other => Ok(PollStatus::Pending(format!(
                    "state {}",
                    other.map(|s| s.as_str().to_ascii_lowercase()).unwrap_or_else(|| "unknown".into())
                ))),
            }
        },
    )
    .await?;
    read(ctx, id).await?.ok_or_else(|| {
        AwsError::local(
            resource,
            "DescribeCluster",
            format!("cluster {id} started but is not tagged as this deployment's"),
        )
    })
}
