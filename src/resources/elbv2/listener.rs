//! Listeners: one per port, forwarding to the app target group.

use aws_sdk_elasticloadbalancingv2::types::{Action, ActionTypeEnum, Certificate, ProtocolEnum};

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
/// The ARN of the target group it forwards to.
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
                let target = l
                    .default_actions()
                    .iter()
                    .find(|a| a.r#type() == Some(&ActionTypeEnum::Forward))
                    .and_then(|a| a.target_group_arn())
                    .unwrap_or_default();
                let mut actual = Actual::new(Address::new(listener(port)), Kind::Listener, arn)
                    .prop(&LOAD_BALANCER, Value::str(&lb.id))
                    .prop(&PORT, Value::Int(port))
                    .prop(&PROTOCOL, Value::str(l.protocol().map(|p| p.as_str()).unwrap_or_default()))
                    .prop(&TARGET_GROUP, Value::str(target))
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

/// The HTTPS listener's certificate; plain HTTP listeners have none.
fn certificates(want: &Desired) -> Result<Option<Vec<Certificate>>, Error> {
    if want.value(&CERTIFICATE).is_none() {
        return Ok(None);
    }
    Ok(Some(vec![Certificate::builder().certificate_arn(want.text(&CERTIFICATE)?).build()]))
}
