//! Elastic IPs: the fixed public address of each NAT gateway.

use aws_sdk_ec2::types::{DomainType, ResourceType};

use super::{deployment_filter, owned, tag_spec, update_tags};
use crate::aws::{PollPolicy, Required, ResultExt, Service};
use crate::model::{Actual, Desired, Kind, TAGS};
use crate::resources::support::{delete_when_free, returned_id};
use crate::resources::{at_once, Ctx, Error, Progress, ResourceKind, Spec};

pub struct ElasticIp;

const SPEC: Spec = Spec::new(Kind::ElasticIp, "Elastic IP", Service::Ec2, PollPolicy::FAST, at_once)
    .props(&[&TAGS])
    // Released only once its NAT gateway is gone.
    .deleted_after(&[Kind::NatGateway])
    .charge(super::cost::elastic_ip);

impl ResourceKind for ElasticIp {
    const SPEC: &'static Spec = &SPEC;

    async fn discover(ctx: &Ctx, _parent: Option<&Actual>) -> Result<Vec<Actual>, Error> {
        let ec2 = &ctx.aws.ec2;
        let out = ec2
            .describe_addresses()
            .filters(deployment_filter(&ctx.deployment))
            .send()
            .await
            .call("DescribeAddresses", &ctx.deployment)?;
        const CALL: &str = "DescribeAddresses";
        let mut found = Vec::new();
        for eip in out.addresses() {
            let Some(actual) = owned(ctx, Kind::ElasticIp, CALL, eip.allocation_id(), eip.tags())? else { continue };
            let public_ip = eip.public_ip().required(CALL, "PublicIp", actual.address.as_str())?;
            found.push(actual.attr("public_ip", public_ip));
        }
        Ok(found)
    }

    async fn create(ctx: &Ctx, want: &Desired, _progress: &dyn Progress) -> Result<Actual, Error> {
        let ec2 = &ctx.aws.ec2;
        let resource = want.address.as_str();
        let out = ec2
            .allocate_address()
            .domain(DomainType::Vpc)
            .tag_specifications(tag_spec(ResourceType::ElasticIp, want))
            .send()
            .await
            .call("AllocateAddress", resource)?;
        let id = returned_id(out.allocation_id(), resource, "AllocateAddress")?;
        let public_ip = out.public_ip().required("AllocateAddress", "PublicIp", resource)?;
        Ok(Actual::made(want, id).attr("public_ip", public_ip))
    }

    async fn update(ctx: &Ctx, have: &Actual, want: &Desired, _progress: &dyn Progress) -> Result<Actual, Error> {
        update_tags(ctx, have, want).await
    }

    async fn delete(ctx: &Ctx, have: &Actual, progress: &dyn Progress) -> Result<(), Error> {
        let resource = have.address.as_str();
        // Released only once its NAT gateway is gone; until then AWS answers InvalidIPAddress.InUse.
        delete_when_free(resource, "ReleaseAddress", progress, || async {
            ctx.aws
                .ec2
                .release_address()
                .allocation_id(&have.id)
                .send()
                .await
                .call("ReleaseAddress", resource)
                .map(|_| ())
        })
        .await?;
        Ok(())
    }
}
