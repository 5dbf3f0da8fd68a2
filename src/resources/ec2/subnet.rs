//! Subnets: a public and a private one in every zone.

use aws_sdk_ec2::types::ResourceType;

use super::{delete_detached_enis, describe_tagged, owned, tag_spec, update_tags};
use crate::aws::{PollPolicy, ResultExt, Service};
use crate::model::{Actual, Desired, Kind, Prop, TAGS};
use crate::resources::support::{delete_when_free, returned_id, settle, text_field};
use crate::resources::{at_once, Ctx, Error, Progress, ResourceKind, Spec};

pub const VPC: Prop = Prop::new("vpc").replaces();
pub const CIDR: Prop = Prop::new("cidr").replaces();
pub const ZONE: Prop = Prop::new("zone").replaces();

pub struct Subnet;

const SPEC: Spec = Spec::new(Kind::Subnet, "subnet", Service::Ec2, PollPolicy::FAST, at_once)
    .props(&[&VPC, &CIDR, &ZONE, &TAGS])
    // Whatever puts network interfaces into it (nodes, load balancers, databases, mount targets, EMR).
    .deleted_after(&[
        Kind::NatGateway,
        Kind::LoadBalancer,
        Kind::AutoScalingGroup,
        Kind::RouteTable,
        Kind::DbSubnetGroup,
        Kind::DbInstance,
        Kind::MountTarget,
        Kind::EmrCluster,
    ]);

impl ResourceKind for Subnet {
    const SPEC: &'static Spec = &SPEC;

    async fn discover(ctx: &Ctx, _parent: Option<&Actual>) -> Result<Vec<Actual>, Error> {
        const CALL: &str = "DescribeSubnets";
        let mut found = Vec::new();
        for subnet in describe_tagged!(ctx, describe_subnets, "DescribeSubnets")? {
            let Some(actual) = owned(ctx, Kind::Subnet, CALL, subnet.subnet_id(), subnet.tags())? else { continue };
            let vpc = text_field(subnet.vpc_id(), CALL, "VpcId", &actual)?;
            let cidr = text_field(subnet.cidr_block(), CALL, "CidrBlock", &actual)?;
            let zone = text_field(subnet.availability_zone(), CALL, "AvailabilityZone", &actual)?;
            found.push(actual.prop(&VPC, vpc).prop(&CIDR, cidr).prop(&ZONE, zone));
        }
        Ok(found)
    }

    async fn create(ctx: &Ctx, want: &Desired, _progress: &dyn Progress) -> Result<Actual, Error> {
        let resource = want.address.as_str();
        let (vpc, cidr, zone) = (want.text(&VPC)?, want.text(&CIDR)?, want.text(&ZONE)?);
        let out = settle(resource, "CreateSubnet", || async {
            ctx.aws
                .ec2
                .create_subnet()
                .vpc_id(vpc)
                .cidr_block(cidr)
                .availability_zone(zone)
                .tag_specifications(tag_spec(ResourceType::Subnet, want))
                .send()
                .await
                .call("CreateSubnet", resource)
        })
        .await?;
        Ok(Actual::made(want, returned_id(out.subnet().and_then(|s| s.subnet_id()), resource, "CreateSubnet")?))
    }

    async fn update(ctx: &Ctx, have: &Actual, want: &Desired, _progress: &dyn Progress) -> Result<Actual, Error> {
        update_tags(ctx, have, want).await
    }

    async fn delete(ctx: &Ctx, have: &Actual, progress: &dyn Progress) -> Result<(), Error> {
        let ec2 = &ctx.aws.ec2;
        let resource = have.address.as_str();
        delete_when_free(resource, "DeleteSubnet", progress, || async {
            delete_detached_enis(ctx, "subnet-id", &have.id, resource).await?;
            ec2.delete_subnet().subnet_id(&have.id).send().await.call("DeleteSubnet", resource).map(|_| ())
        })
        .await?;
        Ok(())
    }
}
