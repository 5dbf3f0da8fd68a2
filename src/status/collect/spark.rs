//! The Spark tier: the active cluster discovery found, else the newest of the deployment's cluster name
//! in any state (to say why it ended), with its groups and its pending and running steps.

use super::super::{judge, Judged, Spark};
use super::gone;
use crate::model::names::spark::cluster_name;
use crate::model::Actual;
use crate::resources::emr::cluster_status::{describe_now, newest_named};
use crate::resources::{Ctx, Error};

pub(super) async fn tier(ctx: &Ctx, active: Option<&Actual>) -> Result<Spark, Error> {
    let name = cluster_name(&ctx.deployment);
    let id = match active {
        Some(cluster) => Some(cluster.id.clone()),
        None => newest_named(ctx, &name).await?,
    };
    let Some(id) = id else {
        return Ok(Spark {
            judged: gone(&format!("no cluster named {name} exists; run apply to start one")),
            id: String::new(),
            name,
            state: "MISSING".into(),
            state_reason: None,
            groups: vec![],
            steps: vec![],
        });
    };
    let described = describe_now(ctx, &id).await?;
    let mut tier = Spark {
        judged: Judged::healthy(),
        id,
        name: described.name,
        state: described.state,
        state_reason: described.state_reason,
        groups: described.groups,
        steps: described.steps,
    };
    judge::spark(&mut tier);
    Ok(tier)
}
