//! Listeners: one per port, each with its default action ([`ListenerAction`]): the composition's forward
//! to the app target group, a forward weighted between the app's target group and the canary's during a
//! canary rollout (`crate::rollout`), or a redirect or fixed response. Discovery reads every kind, so a
//! plan shows what a listener really does.

use aws_sdk_elasticloadbalancingv2::types::{Certificate, ProtocolEnum};

use super::listener_action::ListenerAction;
use super::{elb_tags, read_tags, sync_tags};
use crate::aws::{Outcome, PollPolicy, Required, ResultExt, Service};
use crate::model::names::load_balancer::listener;
use crate::model::{tags, Actual, Address, Desired, Kind, Prop, PropError, Value, TAGS};
use crate::resources::support::returned_id;
use crate::resources::{at_once, Ctx, Error, Progress, ResourceKind, Spec};

pub const LOAD_BALANCER: Prop = Prop::new("load_balancer").replaces();
pub const PORT: Prop = Prop::new("port").replaces();
/// `HTTP` or `HTTPS`.
pub const PROTOCOL: Prop = Prop::new("protocol");
/// What it does with a request no rule takes, as [`ListenerAction::to_value`] writes it: for a plain
/// forward, the target group's ARN. Named after AWS's `DefaultActions`: it was `target_group` while
/// listeners could only forward, which would misname a redirect.
pub const DEFAULT_ACTION: Prop = Prop::new("default_action");
/// The ACM certificate's ARN, for HTTPS.
pub const CERTIFICATE: Prop = Prop::new("certificate");
/// The security policy of an HTTPS listener: which TLS versions and ciphers it negotiates. AWS picks an
/// old default (`ELBSecurityPolicy-2016-08`, TLS 1.0 and up) when a request names none.
pub const SSL_POLICY: Prop = Prop::new("ssl_policy");

pub struct Listener;

const SPEC: Spec = Spec::new(Kind::Listener, "listener", Service::Elbv2, PollPolicy::FAST, at_once)
    .props(&[&LOAD_BALANCER, &PORT, &PROTOCOL, &DEFAULT_ACTION, &CERTIFICATE, &SSL_POLICY, &TAGS])
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
        let mut found = Vec::new();
        for l in &listeners {
            // An Application Load Balancer's listener always has an ARN, a port and a protocol.
            let arn = l.listener_arn().required("DescribeListeners", "ListenerArn", &lb.id)?;
            let port = i64::from(l.port().required("DescribeListeners", "Port", arn)?);
            let protocol = l.protocol().required("DescribeListeners", "Protocol", arn)?;
            let action = ListenerAction::from_sdk(l.default_actions(), arn)?;
            // A listener DescribeTags did not answer for has no tags.
            let tags = all_tags.get(arn).cloned().unwrap_or_default();
            let mut actual = Actual::new(Address::new(listener(port)), Kind::Listener, arn)
                .prop(&LOAD_BALANCER, Value::str(&lb.id))
                .prop(&PORT, Value::Int(port))
                .prop(&PROTOCOL, Value::str(protocol.as_str()))
                .prop(&DEFAULT_ACTION, action.to_value())
                .prop(&TAGS, tags::to_value(&tags));
            if let Some(cert) = l.certificates().iter().find_map(|c| c.certificate_arn()) {
                actual = actual.prop(&CERTIFICATE, Value::str(cert));
            }
            // Reported for HTTPS listeners only.
            actual = actual.prop_if_set(&SSL_POLICY, l.ssl_policy().map(Value::str));
            found.push(actual);
        }
        Ok(found)
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
            .set_ssl_policy(ssl_policy(want)?)
            .default_actions(wanted_action(want)?.to_sdk(resource)?)
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
        if [&PROTOCOL, &CERTIFICATE, &SSL_POLICY, &DEFAULT_ACTION].iter().any(|p| want.differs_from(have, p)) {
            ctx.aws
                .elb
                .modify_listener()
                .listener_arn(&have.id)
                .protocol(ProtocolEnum::from(want.text(&PROTOCOL)?))
                .set_certificates(certificates(want)?)
                .set_ssl_policy(ssl_policy(want)?)
                .default_actions(wanted_action(want)?.to_sdk(have.address.as_str())?)
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

/// The default action the composition asks for (its references resolved by now).
fn wanted_action(want: &Desired) -> Result<ListenerAction, Error> {
    let value = want.value(&DEFAULT_ACTION);
    value.and_then(ListenerAction::from_value).ok_or_else(|| {
        Error::from(PropError {
            address: want.address.clone(),
            prop: DEFAULT_ACTION.name,
            expected: "a listener action (a target group ARN, or a map naming the action)",
            found: value.map_or_else(|| "missing".to_owned(), Value::to_string),
        })
    })
}

/// The default action of a discovered listener; `None` for a resource without one (not a listener).
pub fn default_action(have: &Actual) -> Option<ListenerAction> {
    have.props.get(DEFAULT_ACTION.name).and_then(ListenerAction::from_value)
}

/// Replace listener `arn`'s default action (a rollout moving its traffic). Only the default action is
/// sent: ModifyListener leaves what it is not given (protocol, port, certificates) as it is.
pub async fn set_default_action(ctx: &Ctx, arn: &str, resource: &str, action: &ListenerAction) -> Result<(), Error> {
    ctx.aws
        .elb
        .modify_listener()
        .listener_arn(arn)
        .default_actions(action.to_sdk(resource)?)
        .send()
        .await
        .call("ModifyListener", resource)?;
    Ok(())
}

/// The HTTPS listener's security policy; plain HTTP listeners have none.
fn ssl_policy(want: &Desired) -> Result<Option<String>, Error> {
    if want.value(&SSL_POLICY).is_none() {
        return Ok(None);
    }
    Ok(Some(want.text(&SSL_POLICY)?.to_owned()))
}

/// The HTTPS listener's certificate; plain HTTP listeners have none.
fn certificates(want: &Desired) -> Result<Option<Vec<Certificate>>, Error> {
    if want.value(&CERTIFICATE).is_none() {
        return Ok(None);
    }
    Ok(Some(vec![Certificate::builder().certificate_arn(want.text(&CERTIFICATE)?).build()]))
}
