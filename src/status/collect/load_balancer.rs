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
    let (name, state, dns_name) = match lb {
        // Discovery reads a load balancer's state and DNS name with it: a bug if they are not there.
        Some(l) => (l.text(&NAME).unwrap_or(l.id.as_str()).to_owned(), attr(l, "state")?, attr(l, "dns_name")?),
        // Target groups without their load balancer (gone, or half made): the tier shows it as missing.
        None => (String::new(), "missing".to_owned(), String::new()),
    };
    let mut tier = LoadBalancer { judged: Judged::healthy(), name, state, dns_name, listeners, targets };
    judge::load_balancer(&mut tier, in_service);
    Ok(Some(tier))
}

/// An attribute discovery always records on a load balancer.
fn attr(lb: &Actual, key: &str) -> Result<String, Error> {
    lb.attrs.get(key).cloned().ok_or_else(|| Error::Bug(format!("{}: discovery recorded no {key}", lb.address)))
}
