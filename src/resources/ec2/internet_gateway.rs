//! The internet gateway: the public subnets' way out, attached to the VPC.

use aws_sdk_ec2::types::ResourceType;

use super::{describe_tagged, owned, sync_tags, tag_spec};
use crate::aws::{AwsError, ErrorClass, PollPolicy, ResultExt, Service};
use crate::model::{Actual, Desired, Kind, Prop, Value, TAGS};
use crate::resources::support::{delete_when_free, returned_id, settle};
use crate::resources::{at_once, Ctx, Error, Progress, ResourceKind, Spec};

/// The VPC it is attached to (empty while detached). A gateway moves between VPCs in place.
pub const VPC: Prop = Prop::new("vpc");

pub struct InternetGateway;

const SPEC: Spec = Spec::new(Kind::InternetGateway, "internet gateway", Service::Ec2, PollPolicy::FAST, at_once)
    .props(&[&VPC, &TAGS])
    // It cannot be detached while NAT gateways or load balancers map public addresses through it.
    .deleted_after(&[Kind::NatGateway, Kind::LoadBalancer, Kind::ElasticIp]);

impl ResourceKind for InternetGateway {
    const SPEC: &'static Spec = &SPEC;

    async fn discover(ctx: &Ctx, _parent: Option<&Actual>) -> Result<Vec<Actual>, Error> {
        const CALL: &str = "DescribeInternetGateways";
        let mut found = Vec::new();
        for igw in describe_tagged!(ctx, describe_internet_gateways, "DescribeInternetGateways")? {
            let Some(actual) = owned(ctx, Kind::InternetGateway, CALL, igw.internet_gateway_id(), igw.tags())? else {
                continue;
            };
            // No attachment means not attached (an apply stopped between create and attach): no VPC.
            let vpc = igw.attachments().iter().find_map(|a| a.vpc_id()).map(Value::str);
            found.push(actual.prop_if_set(&VPC, vpc));
        }
        Ok(found)
    }

    async fn create(ctx: &Ctx, want: &Desired, _progress: &dyn Progress) -> Result<Actual, Error> {
        let ec2 = &ctx.aws.ec2;
        let resource = want.address.as_str();
        let out = ec2
            .create_internet_gateway()
            .tag_specifications(tag_spec(ResourceType::InternetGateway, want))
            .send()
            .await
            .call("CreateInternetGateway", resource)?;
        let id = returned_id(
            out.internet_gateway().and_then(|g| g.internet_gateway_id()),
            resource,
            "CreateInternetGateway",
        )?;
        attach(ctx, &id, want).await?;
        Ok(Actual::made(want, id))
    }

    /// An interrupted apply can leave the gateway created but not attached: attach it (or move it).
    async fn update(ctx: &Ctx, have: &Actual, want: &Desired, _progress: &dyn Progress) -> Result<Actual, Error> {
        // Absent: attached to no VPC.
        let attached = have.text(&VPC).filter(|vpc| !vpc.is_empty());
        if attached != Some(want.text(&VPC)?) {
            if let Some(attached) = attached {
                detach(ctx, have, attached).await?;
            }
            attach(ctx, &have.id, want).await?;
        }
        sync_tags(ctx, have, want).await?;
        Ok(have.updated_to(want))
    }

    async fn delete(ctx: &Ctx, have: &Actual, progress: &dyn Progress) -> Result<(), Error> {
        let resource = have.address.as_str();
        // Absent: attached to no VPC, nothing to detach.
        if let Some(vpc) = have.text(&VPC).filter(|vpc| !vpc.is_empty()).map(str::to_owned) {
            delete_when_free(resource, "DetachInternetGateway", progress, || detach(ctx, have, &vpc)).await?;
        }
        delete_when_free(resource, "DeleteInternetGateway", progress, || async {
            ctx.aws
                .ec2
                .delete_internet_gateway()
                .internet_gateway_id(&have.id)
                .send()
                .await
                .call("DeleteInternetGateway", resource)
                .map(|_| ())
        })
        .await?;
        Ok(())
    }
}

async fn attach(ctx: &Ctx, id: &str, want: &Desired) -> Result<(), Error> {
    let resource = want.address.as_str();
    let vpc = want.text(&VPC)?;
    settle(resource, "AttachInternetGateway", || async {
        ctx.aws
            .ec2
            .attach_internet_gateway()
            .internet_gateway_id(id)
            .vpc_id(vpc)
            .send()
            .await
            .call("AttachInternetGateway", resource)
    })
    .await?;
    Ok(())
}

async fn detach(ctx: &Ctx, have: &Actual, vpc: &str) -> Result<(), AwsError> {
    let ec2 = &ctx.aws.ec2;
    let result = ec2
        .detach_internet_gateway()
        .internet_gateway_id(&have.id)
        .vpc_id(vpc)
        .send()
        .await
        .call("DetachInternetGateway", have.address.as_str());
    match result {
        Err(err) if err.is(ErrorClass::NotFound) || err.code_is("Gateway.NotAttached") => Ok(()),
        // "has some mapped public address(es)": a NAT gateway or load balancer is still letting go.
        other => other.map(|_| ()),
    }
}
