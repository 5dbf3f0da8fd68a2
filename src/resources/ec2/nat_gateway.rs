//! NAT gateways: how private subnets reach the internet.

use std::sync::Arc;

use aws_sdk_ec2::types::{Filter, NatGateway as Gateway, NatGatewayState, ResourceType};

use super::{deployment_filter, owned, tag_spec, update_tags};
use crate::aws::batch::{Answers, BatchCall};
use crate::aws::{AwsError, ErrorClass, PollPolicy, PollStatus, Required, ResultExt, Service};
use crate::model::{Actual, Desired, Kind, Op, Prop, Props, TAGS};
use crate::resources::support::{batch_of, client_token, returned_id, settle, text_field, wait_batched};
use crate::resources::{Batching, Ctx, Error, Latency, Progress, ResourceKind, Spec};

/// The public subnet it lives in.
pub const SUBNET: Prop = Prop::new("subnet").replaces();
/// The allocation id of its Elastic IP.
pub const EIP: Prop = Prop::new("eip").replaces();

pub struct NatGateway;

const SPEC: Spec = Spec::new(Kind::NatGateway, "NAT gateway", Service::Ec2, PollPolicy::MINUTES, latency)
    .batched(Batching::ByIds(DESCRIBE))
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
        let looks = (&id[..], resource);
        wait_batched(
            &batch(ctx, &want.props),
            SPEC.schedule(Op::Create, Some(want)),
            looks,
            DESCRIBE,
            progress,
            |nat| {
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
                    other => {
                        Ok(PollStatus::Pending(format!("state {}", other.map(|s| s.as_str()).unwrap_or("unknown"))))
                    }
                }
            },
        )
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
        let looks = (&have.id[..], resource);
        wait_batched(&batch(ctx, &have.props), SPEC.schedule(Op::Delete, None), looks, DESCRIBE, progress, |nat| {
            Ok(match nat.and_then(|n| n.state().cloned()) {
                None | Some(NatGatewayState::Deleted) => PollStatus::Ready(()),
                Some(other) => PollStatus::Pending(format!("state {}", other.as_str())),
            })
        })
        .await?;
        Ok(())
    }
}

/// The call the waits share: one DescribeNatGateways for every gateway waited on at the time.
const DESCRIBE: &str = "DescribeNatGateways";

/// The waits' shared look (see `aws::batch`).
fn batch(ctx: &Ctx, props: &Props) -> Arc<crate::aws::batch::Batch<Gateway>> {
    batch_of(ctx, &SPEC, props, DESCRIBE, || describe_many(ctx.aws.ec2.clone()))
}

/// One DescribeNatGateways for several gateways, by id. Through the `nat-gateway-id` filter rather than
/// `NatGatewayIds`, which refuses the whole request for one unknown id: an id the filter does not match
/// is simply not listed (the `aws::batch` contract). Deleted gateways stay listed, `deleted`, for about
/// an hour (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeNatGateways.html).
fn describe_many(ec2: aws_sdk_ec2::Client) -> BatchCall<Gateway> {
    Arc::new(move |ids: Vec<String>| {
        let ec2 = ec2.clone();
        Box::pin(async move {
            let resource = ids.join(",");
            let by_id = Filter::builder().name("nat-gateway-id").set_values(Some(ids)).build();
            let gateways: Vec<Gateway> = ec2
                .describe_nat_gateways()
                .filter(by_id)
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
                .call(DESCRIBE, &resource)?;
            let mut found = Answers::new();
            for nat in gateways {
                let id = nat.nat_gateway_id().required(DESCRIBE, "NatGatewayId", &resource)?.to_owned();
                found.insert(id, nat);
            }
            Ok(found)
        })
    })
}

#[cfg(test)]
mod tests;
