//! The VPC: one per deployment with a managed network.

use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType, VpcAttributeName};

use super::{describe_tagged, owned, sync_tags, tag_spec};
use crate::aws::{PollPolicy, ResultExt, Service};
use crate::model::{Actual, Desired, Kind, Prop, Value, TAGS};
use crate::resources::support::{delete_when_free, returned_id, settle, text_field};
use crate::resources::{at_once, Ctx, Error, Progress, ResourceKind, Spec};

pub const CIDR: Prop = Prop::new("cidr").replaces();
/// DNS hostnames (and the DNS support they need): EFS mount names and the RDS endpoint resolve only with them.
pub const DNS_HOSTNAMES: Prop = Prop::new("dns_hostnames");

pub struct Vpc;

const SPEC: Spec = Spec::new(Kind::Vpc, "VPC", Service::Ec2, PollPolicy::FAST, at_once)
    .props(&[&CIDR, &DNS_HOSTNAMES, &TAGS])
    .deleted_after(&[
        Kind::Subnet,
        Kind::InternetGateway,
        Kind::RouteTable,
        Kind::SecurityGroup,
        Kind::TargetGroup,
        Kind::LoadBalancer,
        Kind::NatGateway,
    ]);

impl ResourceKind for Vpc {
    const SPEC: &'static Spec = &SPEC;

    async fn discover(ctx: &Ctx, _parent: Option<&Actual>) -> Result<Vec<Actual>, Error> {
        let mut out = Vec::new();
        for vpc in describe_tagged!(ctx, describe_vpcs, "DescribeVpcs")? {
            let Some(actual) = owned(ctx, Kind::Vpc, "DescribeVpcs", vpc.vpc_id(), vpc.tags())? else { continue };
            // One VPC per deployment: one extra call is cheap and keeps DNS (which EFS and RDS need) visible.
            let attribute = VpcAttributeName::EnableDnsHostnames;
            let dns = ctx.aws.ec2.describe_vpc_attribute().vpc_id(&actual.id).attribute(attribute).send().await;
            // Only describes the VPC: optional where the command needs only its id (`aws::Reads`).
            let dns = ctx.aws.reads.optional(dns.call("DescribeVpcAttribute", &actual.id))?;
            let cidr = text_field(vpc.cidr_block(), "DescribeVpcs", "CidrBlock", &actual)?;
            // DescribeVpcAttribute leaves the value out when the attribute is off.
            let dns = dns.map(|dns| Value::Bool(dns.enable_dns_hostnames().and_then(|v| v.value()).unwrap_or(false)));
            out.push(actual.prop(&CIDR, cidr).prop_if_set(&DNS_HOSTNAMES, dns));
        }
        Ok(out)
    }

    async fn create(ctx: &Ctx, want: &Desired, _progress: &dyn Progress) -> Result<Actual, Error> {
        let ec2 = &ctx.aws.ec2;
        let resource = want.address.as_str();
        let out = ec2
            .create_vpc()
            .cidr_block(want.text(&CIDR)?)
            .tag_specifications(tag_spec(ResourceType::Vpc, want))
            .send()
            .await
            .call("CreateVpc", resource)?;
        let id = returned_id(out.vpc().and_then(|v| v.vpc_id()), resource, "CreateVpc")?;
        enable_dns(ctx, &id, resource).await?;
        Ok(Actual::made(want, id))
    }

    async fn update(ctx: &Ctx, have: &Actual, want: &Desired, _progress: &dyn Progress) -> Result<Actual, Error> {
        if want.differs_from(have, &DNS_HOSTNAMES) {
            enable_dns(ctx, &have.id, have.address.as_str()).await?;
        }
        sync_tags(ctx, have, want).await?;
        Ok(have.updated_to(want))
    }

    async fn delete(ctx: &Ctx, have: &Actual, progress: &dyn Progress) -> Result<(), Error> {
        let ec2 = &ctx.aws.ec2;
        let resource = have.address.as_str();
        delete_when_free(resource, "DeleteVpc", progress, || async {
            ec2.delete_vpc().vpc_id(&have.id).send().await.call("DeleteVpc", resource).map(|_| ())
        })
        .await?;
        Ok(())
    }
}

async fn enable_dns(ctx: &Ctx, id: &str, resource: &str) -> Result<(), Error> {
    // DNS hostnames need DNS support; both are one attribute per call.
    settle(resource, "ModifyVpcAttribute", || async {
        ctx.aws
            .ec2
            .modify_vpc_attribute()
            .vpc_id(id)
            .enable_dns_support(AttributeBooleanValue::builder().value(true).build())
            .send()
            .await
            .call("ModifyVpcAttribute", resource)
    })
    .await?;
    ctx.aws
        .ec2
        .modify_vpc_attribute()
        .vpc_id(id)
        .enable_dns_hostnames(AttributeBooleanValue::builder().value(true).build())
        .send()
        .await
        .call("ModifyVpcAttribute", resource)?;
    Ok(())
}
