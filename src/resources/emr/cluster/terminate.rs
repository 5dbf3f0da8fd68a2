//! Termination: protection off (it would make TerminateJobFlows a silent no-op), TerminateJobFlows, then
//! the wait until EMR reports the cluster terminated (its instances and network interfaces gone).

use aws_sdk_emr::types::ClusterState;

use super::read::state_of;
use super::SPEC;
use crate::aws::{ErrorClass, Outcome, PollStatus, ResultExt};
use crate::model::{Actual, Op};
use crate::resources::support::wait_for;
use crate::resources::{Ctx, Error, Progress};

/// Terminate the cluster `have` and wait until it is gone; says when it stopped working.
pub(super) async fn terminate(ctx: &Ctx, have: &Actual, progress: &dyn Progress) -> Result<(), Error> {
    let resource = have.address.as_str();
    let emr = &ctx.aws.emr;
    // Termination protection would make TerminateJobFlows a silent no-op.
    emr.set_termination_protection()
        .job_flow_ids(&have.id)
        .termination_protected(false)
        .send()
        .await
        .call("SetTerminationProtection", resource)
        .gone_ok()?;
    emr.terminate_job_flows().job_flow_ids(&have.id).send().await.call("TerminateJobFlows", resource).gone_ok()?;
    // From here the cluster does no more work: "any step not yet completed is canceled and the
    // Amazon EC2 instances in the cluster are terminated" (TerminateJobFlows,
    // https://docs.aws.amazon.com/emr/latest/APIReference/API_TerminateJobFlows.html). What only
    // needs its work to have stopped (the database's final snapshot, through spark/metastore) need
    // not wait the minutes until its instances are gone.
    progress.stopped();
    wait_for(SPEC.schedule(Op::Delete, None), resource, "DescribeCluster", progress, || async {
        let out = emr.describe_cluster().cluster_id(&have.id).send().await.call("DescribeCluster", resource);
        let state = match out {
            Err(err) if err.is(ErrorClass::NotFound) => return Ok(PollStatus::Ready(())),
            other => other?.cluster().and_then(|c| state_of(c).cloned()),
        };
        Ok(match state {
            None | Some(ClusterState::Terminated | ClusterState::TerminatedWithErrors) => PollStatus::Ready(()),
            Some(state) => PollStatus::Pending(format!("state {}", state.as_str().to_ascii_lowercase())),
        })
    })
    .await?;
    Ok(())
}
