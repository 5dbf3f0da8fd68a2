//! Listeners: one per port, forwarding to the app target group. During a canary rollout
//! (`crate::rollout`) the forward is weighted between the app target group and the canary's; discovery
//! reports such a forward as a list of target groups with their weights, which never equals the plain
//! forward the composition asks for.

use std::collections::BTreeMap;

use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, Certificate, ForwardActionConfig, ProtocolEnum, TargetGroupStickinessConfig,
    TargetGroupTuple,
};

use super::{elb_tags, read_tags, sync_tags};
use crate::aws::{Outcome, PollPolicy, ResultExt, Service};
use crate::model::names::load_balancer::listener;
use crate::model::{tags, Actual, Address, Desired, Kind, Prop, Value, TAGS};
use crate::resources::support::returned_id;
use crate::resources::{at_once, Ctx, Error, Progress, ResourceKind, Spec};

pub const LOAD_BALANCER: Prop = Prop::new("load_balancer").replaces();
pub const PORT: Prop = Prop::new("port").replaces();
/// `HTTP` or `HTTPS`.
pub const PROTOCOL: Prop = Prop::new("protocol");
/// The ARN of the target group it forwards to; as discovered, a weighted forward to several target groups
/// is a list of `{target_group, weight}` maps instead ([`weights`] reads either).
pub const TARGET_GROUP: Prop = Prop::new("target_group");
/// The ACM certificate's ARN, for HTTPS.
pub const CERTIFICATE: Prop = Prop::new("certificate");

pub struct Listener;

const SPEC: Spec = Spec::new(Kind::Listener, "listener", Service::Elbv2, PollPolicy::FAST, at_once)
    .props(&[&LOAD_BALANCER, &PORT, &PROTOCOL, &TARGET_GROUP, &CERTIFICATE, &TAGS])
    .child_of(Kind::LoadBalancer);

impl ResourceKind for Listener {
    const SPEC: &'static Spec = &SPEC;

    /// Listeners of one discovered load balancer. They are children: their address comes from their port.
    async fn discover(ctx: &Ctx, parent: Option<&Actual>) -> Result<Vec<Actual>, Error> {
        let Some(lb) = parent else { return Ok(Vec::new()) };
        let elb = &ctx.aws.elb;
        let listeners: Vec<_> = elb
            .describe_listeners()
            .load_balancer_arn(&lb.id)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .call("DescribeListeners", lb.address.as_str())?;
        let arns: Vec<String> = listeners.iter().filter_map(|l| l.listener_arn().map(str::to_owned)).collect();
        let all_tags = read_tags(ctx, &arns).await?;
        Ok(listeners
            .iter()
            .filter_map(|l| {
                let arn = l.listener_arn()?;
                let port = i64::from(l.port()?);
                let tags = all_tags.get(arn).cloned().unwrap_or_default();
                let forward = l.default_actions().iter().find(|a| a.r#type() == Some(&ActionTypeEnum::Forward));
                let mut actual = Actual::new(Address::new(listener(port)), Kind::Listener, arn)
                    .prop(&LOAD_BALANCER, Value::str(&lb.id))
                    .prop(&PORT, Value::Int(port))
                    .prop(&PROTOCOL, Value::str(l.protocol().map(|p| p.as_str()).unwrap_or_default()))
                    .prop(&TARGET_GROUP, forward.map_or_else(|| Value::str(""), forwards_to))
                    .prop(&TAGS, tags::to_value(&tags));
                if let Some(cert) = l.certificates().iter().find_map(|c| c.certificate_arn()) {
                    actual = actual.prop(&CERTIFICATE, Value::str(cert));
                }
                Some(actual)
            })
            .collect())
    }

    async fn create(ctx: &Ctx, want: &Desired, _progress: &dyn Progress) -> Result<Actual, Error> {
        let elb = &ctx.aws.elb;
        let resource = want.address.as_str();
        let out = elb
            .create_listener()
            .load_balancer_arn(want.text(&LOAD_BALANCER)?)
            .port(want.int32(&PORT)?)
            .protocol(ProtocolEnum::from(want.text(&PROTOCOL)?))
            .set_certificates(certificates(want)?)
            .default_actions(forward(want)?)
            .set_tags(Some(elb_tags(want)))
            .send()
            .await
            .call("CreateListener", resource)?;
        Ok(Actual::made(
            want,
            returned_id(out.listeners().first().and_then(|l| l.listener_arn()), resource, "CreateListener")?,
        ))
    }

    async fn update(ctx: &Ctx, have: &Actual, want: &Desired, _progress: &dyn Progress) -> Result<Actual, Error> {
        if [&PROTOCOL, &CERTIFICATE, &TARGET_GROUP].iter().any(|p| want.differs_from(have, p)) {
            ctx.aws
                .elb
                .modify_listener()
                .listener_arn(&have.id)
                .protocol(ProtocolEnum::from(want.text(&PROTOCOL)?))
                .set_certificates(certificates(want)?)
                .default_actions(forward(want)?)
                .send()
                .await
                .call("ModifyListener", have.address.as_str())?;
        }
        sync_tags(ctx, have, want).await?;
        Ok(have.updated_to(want))
    }

    async fn delete(ctx: &Ctx, have: &Actual, _progress: &dyn Progress) -> Result<(), Error> {
        ctx.aws
            .elb
            .delete_listener()
            .listener_arn(&have.id)
            .send()
            .await
            .call("DeleteListener", have.address.as_str())
            .gone_ok()?;
        Ok(())
    }
}

fn forward(want: &Desired) -> Result<Action, Error> {
    Ok(Action::builder().r#type(ActionTypeEnum::Forward).target_group_arn(want.text(&TARGET_GROUP)?).build())
}

/// Keys of one weighted target in [`TARGET_GROUP`].
const WEIGHTED_ARN: &str = "target_group";
const WEIGHT: &str = "weight";

/// What a forward action sends traffic to, as the [`TARGET_GROUP`] property: the target group's ARN when
/// there is one (AWS reports a plain forward both as `TargetGroupArn` and as a forward config of one
/// target group), every target group with its weight when there are several.
fn forwards_to(action: &Action) -> Value {
    let tuples = action.forward_config().map(|c| c.target_groups()).unwrap_or_default();
    if tuples.len() < 2 {
        let single = action.target_group_arn().or_else(|| tuples.first().and_then(|t| t.target_group_arn()));
        return Value::str(single.unwrap_or_default());
    }
    Value::List(
        tuples
            .iter()
            .map(|t| {
                Value::Map(BTreeMap::from([
                    (WEIGHTED_ARN.to_owned(), Value::str(t.target_group_arn().unwrap_or_default())),
                    // AWS's default weight is 1 when none is given.
                    (WEIGHT.to_owned(), Value::Int(i64::from(t.weight().unwrap_or(1)))),
                ]))
            })
            .collect(),
    )
}

/// A weighted forward as discovery reports it (the [`TARGET_GROUP`] property of a listener that splits).
pub fn weighted(targets: &[(&str, u32)]) -> Value {
    Value::List(
        targets
            .iter()
            .map(|(arn, weight)| {
                Value::Map(BTreeMap::from([
                    (WEIGHTED_ARN.to_owned(), Value::str(*arn)),
                    (WEIGHT.to_owned(), Value::Int(i64::from(*weight))),
                ]))
            })
            .collect(),
    )
}

/// The target groups a discovered listener forwards to, each with its share of requests in percent
/// (rounded down): one at 100 for a plain forward, none when it does not forward.
pub fn weights(have: &Actual) -> Vec<(String, u32)> {
    match have.props.get(TARGET_GROUP.name) {
        Some(Value::Str(arn)) if !arn.is_empty() => vec![(arn.clone(), 100)],
        Some(Value::List(items)) => {
            let pairs: Vec<(String, i64)> = items
                .iter()
                .filter_map(|item| match item {
                    Value::Map(map) => Some((
                        map.get(WEIGHTED_ARN)?.as_str()?.to_owned(),
                        map.get(WEIGHT).and_then(Value::as_int).unwrap_or(1).max(0),
                    )),
                    _ => None,
                })
                .collect();
            let total: i64 = pairs.iter().map(|(_, w)| w).sum();
            pairs
                .into_iter()
                .map(|(arn, w)| {
                    let percent = if total > 0 { w * 100 / total } else { 0 };
                    (arn, u32::try_from(percent).unwrap_or(0))
                })
                .collect()
        }
        _ => Vec::new(),
    }
}

/// Forward all of listener `arn`'s default traffic to one target group (the plain forward apply makes).
pub async fn forward_all(ctx: &Ctx, arn: &str, resource: &str, target_group: &str) -> Result<(), Error> {
    let action = Action::builder().r#type(ActionTypeEnum::Forward).target_group_arn(target_group).build();
    set_default_action(ctx, arn, resource, action).await
}

/// Replace listener `arn`'s default action. Only the default action is sent: ModifyListener leaves what
/// it is not given (protocol, port, certificates) as it is.
async fn set_default_action(ctx: &Ctx, arn: &str, resource: &str, action: Action) -> Result<(), Error> {
    ctx.aws
        .elb
        .modify_listener()
        .listener_arn(arn)
        .default_actions(action)
        .send()
        .await
        .call("ModifyListener", resource)?;
    Ok(())
}

/// Split listener `arn`'s default traffic between target groups by weight (0 to 999 each; AWS sends each
/// a share of requests proportional to its weight). `sticky` keeps a client on the target group it
/// first reached for that long, so a session does not bounce between two versions of the app.
pub async fn forward_weighted(
    ctx: &Ctx,
    arn: &str,
    resource: &str,
    targets: &[(&str, u32)],
    sticky: Option<std::time::Duration>,
) -> Result<(), Error> {
    let tuples = targets
        .iter()
        .map(|(tg, weight)| {
            TargetGroupTuple::builder().target_group_arn(*tg).weight(i32::try_from(*weight).unwrap_or(i32::MAX)).build()
        })
        .collect();
    let stickiness = match sticky {
        Some(duration) => TargetGroupStickinessConfig::builder()
            .enabled(true)
            .duration_seconds(i32::try_from(duration.as_secs()).unwrap_or(i32::MAX))
            .build(),
        None => TargetGroupStickinessConfig::builder().enabled(false).build(),
    };
    let config = ForwardActionConfig::builder()
        .set_target_groups(Some(tuples))
        .target_group_stickiness_config(stickiness)
        .build();
    let action = Action::builder().r#type(ActionTypeEnum::Forward).forward_config(config).build();
    set_default_action(ctx, arn, resource, action).await
}

/// The HTTPS listener's certificate; plain HTTP listeners have none.
fn certificates(want: &Desired) -> Result<Option<Vec<Certificate>>, Error> {
    if want.value(&CERTIFICATE).is_none() {
        return Ok(None);
    }
    Ok(Some(vec![Certificate::builder().certificate_arn(want.text(&CERTIFICATE)?).build()]))
}
