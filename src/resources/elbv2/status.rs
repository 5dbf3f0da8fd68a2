//! What `status` reads of the load balancing kinds: each target's health in a target group (one
//! DescribeTargetHealth per group), and the listeners as discovery found them.

use serde::Serialize;

use super::listener::{PORT, PROTOCOL};
use crate::aws::{Required, ResultExt};
use crate::model::Actual;
use crate::resources::{Ctx, Error};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Target {
    pub id: String,
    pub port: Option<i32>,
    /// `healthy`, `unhealthy`, `initial`, `unused`, `draining`, `unavailable`.
    pub state: String,
    /// ELBv2's reason code (`Target.FailedHealthChecks`, `Target.InvalidState`, ...), when not healthy.
    pub reason: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Listener {
    pub port: i64,
    pub protocol: String,
}

/// The health of every target registered in the target group `group`.
pub async fn target_health(ctx: &Ctx, group: &Actual) -> Result<Vec<Target>, Error> {
    const CALL: &str = "DescribeTargetHealth";
    let resource = group.address.as_str();
    let health = ctx.aws.elb.describe_target_health().target_group_arn(&group.id).send().await.call(CALL, resource)?;
    let mut targets = Vec::new();
    for d in health.target_health_descriptions() {
        let target = d.target().required(CALL, "Target", resource)?;
        let th = d.target_health().required(CALL, "TargetHealth", resource)?;
        targets.push(Target {
            id: target.id().required(CALL, "Target.Id", resource)?.to_owned(),
            // A Lambda target has no port; an instance target always has one.
            port: target.port(),
            state: th.state().required(CALL, "TargetHealth.State", resource)?.as_str().to_owned(),
            // Only a target that is not healthy has a reason and a description.
            reason: th.reason().map(|r| r.as_str().to_owned()),
            description: th.description().map(str::to_owned),
        });
    }
    Ok(targets)
}

/// A listener as discovery found it; discovery always reads its port and protocol, so a missing one is
/// a bug in clusterup, not something to show as port 0.
pub fn listener(found: &Actual) -> Result<Listener, Error> {
    let missing = |prop: &str| Error::Bug(format!("{}: discovery did not read the listener's {prop}", found.address));
    Ok(Listener {
        port: found.props.get(PORT.name).and_then(|p| p.as_int()).ok_or_else(|| missing(PORT.name))?,
        protocol: found.text(&PROTOCOL).ok_or_else(|| missing(PROTOCOL.name))?.to_owned(),
    })
}
