//! NAT gateways: how private subnets reach the internet.

use aws_sdk_ec2::types::{Filter, NatGatewayState, ResourceType};

use super::{deployment_filter, owned, tag_spec, update_tags};
use crate::aws::{AwsError, ErrorClass, Outcome, PollPolicy, PollStatus, Required, ResultExt, Service};
use crate::model::{Actual, Desired, Kind, Op, Prop, TAGS};
use crate::resources::support::{client_token, returned_id, settle, text_field, wait_for};
use crate::resources::{Ctx, Error, Latency, Progress, ResourceKind, Spec};

/// The public subnet it lives in.
pub const SUBNET: Prop = Prop::new("subnet").replaces();
/// The allocation id of its Elastic IP.
pub const EIP: Prop = Prop::new("eip").replaces();

pub struct NatGateway;

const SPEC: Spec = Spec::new(Kind::NatGateway, "NAT gateway", Service::Ec2, PollPolicy::MINUTES, latency)
    .props(&[&SUBNET, &EIP, &TAGS])
    .deleted_after(&[Kind::RouteTable])
    .charge(super::cost::nat_gateway);

fn latency(op: Op, _: Option<&Desired>) -> Latency {
    match op {
        // pending -> available 1.5-2 min (U, gh:kubernetes/kops/pull/944)
        Op::Create => Latency::waits(105, 90.0, 120.0),
        // deleting -> deleted and the Elastic IP released: about a minute (E)
        Op::Delete => Latency::waits(60, 45.0, 75.0),
        Op::Update => Latency::at_once(op),
    }
}

impl ResourceKind for NatGateway {
    const SPEC: &'static Spec = &SPEC;

    async fn discover(ctx: &Ctx, _parent: Option<&Actual>) -> Result<Vec<Actual>, Error> {
        let ec2 = &ctx.aws.ec2;
        // Deleted gateways stay visible for about an hour; only live ones belong to the deployment.
        let live = Filter::builder().name("state").values("pending").values("available").build();
        let gateways: Vec<_> = ec2
            .describe_nat_gateways()
            .filter(deployment_filter(&ctx.deployment))
            .filter(live)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .call("DescribeNatGateways", &ctx.deployment)?;
        const CALL: &str = "DescribeNatGateways";
        let mut found = Vec::new();
        for nat in &gateways {
            let Some(actual) = owned(ctx, Kind::NatGateway, CALL, nat.nat_gateway_id(), nat.tags())? else { continue };
            let eip = nat.nat_gateway_addresses().iter().find_map(|a| a.allocation_id());
            let eip = text_field(eip, CALL, "NatGatewayAddresses.AllocationId", &actual)?;
            let subnet = text_field(nat.subnet_id(), CALL, "SubnetId", &actual)?;
            let state = nat.state().required(CALL, "State", actual.address.as_str())?.as_str().to_owned();
            found.push(actual.prop(&SUBNET, subnet).prop(&EIP, eip).attr("state", state));
        }
        Ok(found)
    }

    async fn create(ctx: &Ctx, want: &Desired, progress: &dyn Progress) -> Result<Actual, Error> {
        let ec2 = &ctx.aws.ec2;
        let resource = want.address.as_str();
        let (subnet, eip) = (want.text(&SUBNET)?, want.text(&EIP)?);
        let token = client_token(&ctx.deployment, resource, &[subnet, eip]);
        let out = settle(resource, "CreateNatGateway", || async {
            ctx.aws
                .ec2
                .create_nat_gateway()
                .subnet_id(subnet)
                .allocation_id(eip)
                .client_token(&token)
                .tag_specifications(tag_spec(ResourceType::Natgateway, want))
                .send()
                .await
                .call("CreateNatGateway", resource)
        })
        .await;
        let id = match out {
            Ok(out) => returned_id(out.nat_gateway().and_then(|n| n.nat_gateway_id()), resource, "CreateNatGateway")?,
            // Our own earlier attempt made the gateway but its answer was lost, and the retry was refused
            // because the address is now in use (AWS would honour the client token; some emulators do not):
            // the gateway is ours, find it by its tags.
            Err(err) if err.code_is("Resource.AlreadyAssociated") => {
                let existing = NatGateway::discover(ctx, None).await?;
                match existing.into_iter().find(|nat| nat.address == want.address) {
                    Some(nat) => nat.id,
                    None => return Err(err.into()),
                }
            }
            Err(err) => return Err(err.into()),
        };
        // Private routes may point at a pending gateway, but traffic only flows once it is available, and
        // app nodes need it at boot: wait here (typically 1-2 minutes on AWS).
        wait_for(SPEC.wait, resource, "DescribeNatGateways", progress, || async {
            let out =
                ec2.describe_nat_gateways().nat_gateway_ids(&id).send().await.call("DescribeNatGateways", resource);
            let nat = out.found()?.and_then(|out| out.nat_gateways().first().cloned());
            let Some(nat) = nat else { return Ok(PollStatus::Pending("not visible yet".into())) };
            match nat.state() {
                Some(NatGatewayState::Available) => Ok(PollStatus::Ready(())),
                Some(state @ (NatGatewayState::Failed | NatGatewayState::Deleted | NatGatewayState::Deleting)) => {
                    Err(AwsError::local(
                        resource,
                        "CreateNatGateway",
                        format!(
                            "NAT gateway {id} is {}: {}",
                            state.as_str(),
                            nat.failure_message().unwrap_or("no reason given")
                        ),
                    ))
                }
                other => Ok(PollStatus::Pending(format!("state {}", other.map(|s| s.as_str()).unwrap_or("unknown")))),
            }
        })
        .await?;
        Ok(Actual::made(want, id))
    }

    async fn update(ctx: &Ctx, have: &Actual, want: &Desired, _progress: &dyn Progress) -> Result<Actual, Error> {
        update_tags(ctx, have, want).await
    }

    async fn delete(ctx: &Ctx, have: &Actual, progress: &dyn Progress) -> Result<(), Error> {
        let ec2 = &ctx.aws.ec2;
        let resource = have.address.as_str();
        match ec2.delete_nat_gateway().nat_gateway_id(&have.id).send().await.call("DeleteNatGateway", resource) {
            Err(err) if err.is(ErrorClass::NotFound) => return Ok(()),
            other => other?,
        };
        // Its Elastic IP and the internet gateway stay busy until the gateway is fully deleted.
        wait_for(SPEC.wait, resource, "DescribeNatGateways", progress, || async {
            let out = ec2
                .describe_nat_gateways()
                .nat_gateway_ids(&have.id)
                .send()
                .await
                .call("DescribeNatGateways", resource);
            let state = out.found()?.and_then(|out| out.nat_gateways().first().and_then(|n| n.state().cloned()));
            Ok(match state {
                None | Some(NatGatewayState::Deleted) => PollStatus::Ready(()),
                Some(other) => PollStatus::Pending(format!("state {}", other.as_str())),
            })
        })
        .await?;
        Ok(())
    }
}
