//! Listeners: one per port, forwarding to the app target group.

use aws_sdk_elasticloadbalancingv2::types::{Action, ActionTypeEnum, Certificate, ProtocolEnum};

use super::{elb_tags, listener_address, read_tags};
use crate::aws::{AwsError, Outcome, ResultExt};
use crate::model::{tags, Actual, Address, Desired, Kind, Value};
use crate::resources::Ctx;

/// Listeners of one discovered load balancer. They are children: their address comes from their port.
pub async fn discover(ctx: &Ctx, lb: &Actual) -> Result<Vec<Actual>, AwsError> {
    let listeners: Vec<_> = ctx
        .aws
        .elb
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
            let mut actual = Actual::new(Address::new(listener_address(port)), Kind::Listener, arn)
                .prop("load_balancer", Value::str(&lb.id))
                .prop("port", Value::Int(port))
                .prop("protocol", Value::str(l.protocol().map(|p| p.as_str()).unwrap_or_default()))
                .prop("target_group", Value::str(target))
                .prop("tags", tags::to_value(&tags));
            if let Some(cert) = l.certificates().iter().find_map(|c| c.certificate_arn()) {
                actual = actual.prop("certificate", Value::str(cert));
            }
            Some(actual)
        })
        .collect())
}

fn forward(want: &Desired) -> Action {
    Action::builder().r#type(ActionTypeEnum::Forward).target_group_arn(want.text("target_group")).build()
}

fn certificates(want: &Desired) -> Option<Vec<Certificate>> {
    want.props
        .get("certificate")
        .and_then(Value::as_str)
        .map(|arn| vec![Certificate::builder().certificate_arn(arn).build()])
}

pub async fn create(ctx: &Ctx, want: &Desired) -> Result<Actual, AwsError> {
    let out = ctx
        .aws
        .elb
        .create_listener()
        .load_balancer_arn(want.text("load_balancer"))
        .port(want.props.get("port").and_then(Value::as_int).unwrap_or(0) as i32)
        .protocol(ProtocolEnum::from(want.text("protocol")))
        .set_certificates(certificates(want))
        .default_actions(forward(want))
        .set_tags(Some(elb_tags(want)))
        .send()
        .await
        .call("CreateListener", want.address.as_str())?;
    let arn = out.listeners().first().and_then(|l| l.listener_arn()).unwrap_or_default();
    Ok(Actual { props: want.props.clone(), ..Actual::new(want.address.clone(), Kind::Listener, arn) })
}

pub async fn update(ctx: &Ctx, have: &Actual, want: &Desired) -> Result<(), AwsError> {
    if !["protocol", "certificate", "target_group"].iter().any(|k| want.differs_from(have, k)) {
        return Ok(());
    }
    ctx.aws
        .elb
        .modify_listener()
        .listener_arn(&have.id)
        .protocol(ProtocolEnum::from(want.text("protocol")))
        .set_certificates(certificates(want))
        .default_actions(forward(want))
        .send()
        .await
        .call("ModifyListener", have.address.as_str())?;
    Ok(())
}

pub async fn delete(ctx: &Ctx, have: &Actual) -> Result<(), AwsError> {
    ctx.aws
        .elb
        .delete_listener()
        .listener_arn(&have.id)
        .send()
        .await
        .call("DeleteListener", have.address.as_str())
        .gone_ok()
}
