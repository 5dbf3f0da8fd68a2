//! Going back to where a rollout began: all traffic to the app group at once (a plain forward, the same
//! as weights 100/0), then the canary group and target group deleted, then the launch template's default
//! version put back to the one the app group runs, so that plans again compare the topology with what the
//! nodes boot from. Each step is skipped when it is done already, so an interrupted undo is finished by
//! the next run.

use super::state::{Phase, State};
use super::{Error, Event, Hook, Waits};
use crate::resources::autoscaling::refresh;
use crate::resources::ec2::launch_template;
use crate::resources::elbv2::listener;
use crate::resources::{registry, Ctx};

/// Undo the rollout `state` describes. `topology` is the path the operator gave, for messages.
pub async fn undo(ctx: &Ctx, state: &State, hook: &dyn Hook, topology: &str) -> Result<(), Error> {
    if state.phase() == Phase::Finishing {
        return Err(Error::Refused(format!(
            "the rollout of launch template v{} is past its last step: the canary carried all the traffic and the app group already runs that version, so there is nothing to go back to. Finish it with `clusterup rollout {topology} --canary 100`; to return to the old version, change the topology back and roll that out",
            state.canary_version().unwrap_or_default()
        )));
    }
    if let Some(app) = &state.app_group {
        // The last step passed and the app group is being moved to the new version: going back now would
        // leave it half on each. Let that finish instead.
        if let Some(running) = refresh::active_refresh(ctx, &app.id, app.address.as_str()).await? {
            return Err(Error::Refused(format!(
                "the canary passed every step and the app group {} is being moved to the new version (instance refresh {}); let it finish with `clusterup rollout {topology} --canary 100`",
                app.id,
                running.instance_refresh_id().unwrap_or_default()
            )));
        }
    }
    back(ctx, state, hook).await?;
    Ok(())
}

/// The steps back, without the checks of [`undo`] (a failed step of a running rollout goes back at once).
pub(super) async fn back(ctx: &Ctx, state: &State, hook: &dyn Hook) -> Result<(), crate::resources::Error> {
    if let Some(app_tg) = &state.app_target_group {
        for l in &state.listeners {
            let weights = listener::weights(l);
            if weights.len() != 1 || weights[0].0 != app_tg.id {
                hook.event(&Event::Doing(&format!("{}: all traffic back to the app group", l.address)));
                listener::forward_all(ctx, &l.id, l.address.as_str(), &app_tg.id).await?;
            }
        }
    }
    for canary in [&state.canary_group, &state.canary_target_group].into_iter().flatten() {
        hook.event(&Event::Doing(&format!("deleting {} {}", registry::label(canary.kind), canary.id)));
        let waits = Waits { hook, address: canary.address.clone() };
        registry::of(canary.kind).delete(ctx, canary, &waits).await?;
    }
    if let (Some(template), Some(app)) = (&state.launch_template, state.app_version()) {
        let numbered = app.parse::<u64>().is_ok();
        if numbered && state.default_version().as_deref() != Some(app.as_str()) {
            hook.event(&Event::Doing(&format!(
                "launch template {}: default version back to v{app}, the one the nodes run",
                template.id
            )));
            launch_template::set_default_version(ctx, &template.id, &app, template.address.as_str()).await?;
        }
    }
    Ok(())
}
