//! The database's subnet group: the private subnets RDS may place the instance (and its standby) in.

use super::{owned_group, rds_tags, sync_tags};
use crate::aws::{ErrorClass, Outcome, PollPolicy, Required, ResultExt, Service};
use crate::model::names::database::{identifier, SUBNET_GROUP};
use crate::model::{Actual, Desired, Kind, Prop, Value, NAME, TAGS};
use crate::resources::support::delete_when_free;
use crate::resources::{at_once, Ctx, Error, Progress, ResourceKind, Spec};

pub const SUBNETS: Prop = Prop::new("subnets");

pub struct DbSubnetGroup;

const SPEC: Spec = Spec::new(Kind::DbSubnetGroup, "DB subnet group", Service::Rds, PollPolicy::FAST, at_once)
    .props(&[&NAME, &SUBNETS, &TAGS])
    .deleted_after(&[Kind::DbInstance]);

impl ResourceKind for DbSubnetGroup {
    const SPEC: &'static Spec = &SPEC;

    async fn discover(ctx: &Ctx, _parent: Option<&Actual>) -> Result<Vec<Actual>, Error> {
        let rds = &ctx.aws.rds;
        let name = identifier(&ctx.deployment);
        let found = rds.describe_db_subnet_groups().db_subnet_group_name(&name).send().await;
        let group = found
            .call("DescribeDBSubnetGroups", &name)
            .found()?
            .and_then(|out| out.db_subnet_groups().first().cloned());
        let Some(group) = group else { return Ok(vec![]) };
        let arn = group.db_subnet_group_arn().required("DescribeDBSubnetGroups", "DBSubnetGroupArn", &name)?;
        let subnets = group.subnets().iter().filter_map(|s| s.subnet_identifier()).map(Value::str).collect();
        let actual = owned_group(ctx, &SPEC, SUBNET_GROUP, &name, arn).await?;
        Ok(vec![actual.prop(&SUBNETS, Value::List(subnets))])
    }

    async fn create(ctx: &Ctx, want: &Desired, _progress: &dyn Progress) -> Result<Actual, Error> {
        let rds = &ctx.aws.rds;
        let name = want.text(&NAME)?;
        let created = rds
            .create_db_subnet_group()
            .db_subnet_group_name(name)
            .db_subnet_group_description(format!("clusterup {}: private subnets", ctx.deployment))
            .set_subnet_ids(Some(want.strings(&SUBNETS)?))
            .set_tags(Some(rds_tags(want)))
            .send()
            .await
            .call("CreateDBSubnetGroup", want.address.as_str());
        let arn = match created {
            Ok(out) => out
                .db_subnet_group()
                .and_then(|g| g.db_subnet_group_arn())
                .required("CreateDBSubnetGroup", "DBSubnetGroup.DBSubnetGroupArn", name)?
                .to_owned(),
            // An interrupted run made it; discovery checks ownership (and reads its ARN) on the next plan.
            Err(err) if err.is(ErrorClass::AlreadyExists) => String::new(),
            Err(err) => return Err(err.into()),
        };
        Ok(Actual::made(want, name).attr("arn", arn))
    }

    async fn update(ctx: &Ctx, have: &Actual, want: &Desired, _progress: &dyn Progress) -> Result<Actual, Error> {
        let resource = have.address.as_str();
        if want.differs_from(have, &SUBNETS) {
            ctx.aws
                .rds
                .modify_db_subnet_group()
                .db_subnet_group_name(&have.id)
                .set_subnet_ids(Some(want.strings(&SUBNETS)?))
                .send()
                .await
                .call("ModifyDBSubnetGroup", resource)?;
        }
        sync_tags(ctx, have, want).await?;
        Ok(have.updated_to(want))
    }

    async fn delete(ctx: &Ctx, have: &Actual, progress: &dyn Progress) -> Result<(), Error> {
        // InvalidDBSubnetGroupStateFault while the instance in it is still being deleted.
        delete_when_free(have.address.as_str(), "DeleteDBSubnetGroup", progress, || async {
            ctx.aws
                .rds
                .delete_db_subnet_group()
                .db_subnet_group_name(&have.id)
                .send()
                .await
                .call("DeleteDBSubnetGroup", have.address.as_str())
                .map(|_| ())
        })
        .await?;
        Ok(())
    }
}
