//! The load balancer tier: the load balancer and listeners as discovery found them, and the health of
//! the targets of every target group (the app's and, during a canary rollout, the canary's).

use super::super::{judge, Judged, LoadBalancer};
use super::gone;
use crate::model::{Actual, Kind, NAME};
use crate::resources::elbv2::status::{listener, target_health};
use crate::resources::{Ctx, Error};

/// The tier, `None` when nothing of the deployment exists at all.
pub(super) async fn tier(
    ctx: &Ctx,
    resources: &[Actual],
    in_service: &[String],
) -> Result<Option<LoadBalancer>, Error> {
    let lb = resources.iter().find(|r| r.kind == Kind::LoadBalancer);
    // The canary's nodes are targets of its own group, not of the app's.
    let target_groups: Vec<&Actual> = resources.iter().filter(|r| r.kind == Kind::TargetGroup).collect();
    if lb.is_none() && target_groups.is_empty() {
        // Every deployment has one: its absence, with anything else left, is a tier down.
        return Ok((!resources.is_empty()).then(|| LoadBalancer {
            judged: gone("the load balancer does not exist; run apply to make it"),
            name: String::new(),
            state: "missing".into(),
            dns_name: String::new(),
            listeners: vec![],
            targets: vec![],
        }));
    }
    let mut listeners =
        resources.iter().filter(|r| r.kind == Kind::Listener).map(listener).collect::<Result<Vec<_>, _>>()?;
    listeners.sort_by_key(|l| l.port);
    let mut targets = Vec::new();
    for group in target_groups {
        targets.extend(target_health(ctx, group).await?);
    }
    targets.sort_by(|a, b| a.id.cmp(&b.id));
    // Target groups without their load balancer (gone, or half made): the tier shows it as missing.
    let mut tier = LoadBalancer {
        judged: Judged::healthy(),
        name: lb.map(|l| l.text(&NAME).unwrap_or(l.id.as_str()).to_owned()).unwrap_or_default(),
        state: lb.and_then(|l| l.attrs.get("state").cloned()).unwrap_or_else(|| "missing".into()),
        dns_name: lb.and_then(|l| l.attrs.get("dns_name").cloned()).unwrap_or_default(),
        listeners,
        targets,
    };
    judge::load_balancer(&mut tier, in_service);
    Ok(Some(tier))
}
