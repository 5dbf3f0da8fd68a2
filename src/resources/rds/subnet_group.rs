//! The database's subnet group: the private subnets RDS may place the instance (and its standby) in.

use super::{rds_tags, read_tags, sync_tags};
use crate::aws::{ErrorClass, Outcome, PollPolicy, ResultExt, Service};
use crate::model::names::database::{identifier, SUBNET_GROUP};
use crate::model::{tags, Actual, Address, Desired, Kind, Prop, Value, NAME, TAGS};
use crate::resources::support::{check_owner, delete_when_free};
use crate::resources::{Ctx, Error, Latency, Progress, ResourceKind, Spec};

pub const SUBNETS: Prop = Prop::new("subnets");

pub struct DbSubnetGroup;

const SPEC: Spec = Spec {
    kind: Kind::DbSubnetGroup,
    label: "DB subnet group",
    service: Service::Rds,
    props: &[&NAME, &SUBNETS, &TAGS],
    parent: None,
    deleted_after: &[Kind::DbInstance],
    wait: PollPolicy::FAST,
    latency: |op, _| Latency::at_once(op),
};

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
        let arn = group.db_subnet_group_arn().unwrap_or_default();
        let tags = rds.list_tags_for_resource().resource_name(arn).send().await.call("ListTagsForResource", &name)?;
        let tags = read_tags(tags.tag_list());
        check_owner(ctx, "DB subnet group", &name, &tags)?;
        let subnets = group.subnets().iter().filter_map(|s| s.subnet_identifier()).map(Value::str).collect();
        Ok(vec![Actual::new(Address::new(SUBNET_GROUP), Kind::DbSubnetGroup, &name)
            .prop(&NAME, Value::str(&name))
            .prop(&SUBNETS, Value::List(subnets))
            .prop(&TAGS, tags::to_value(&tags))
            .attr("arn", arn)])
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
            Ok(out) => out.db_subnet_group().and_then(|g| g.db_subnet_group_arn()).unwrap_or_default().to_owned(),
            // An interrupted run made it; discovery checks ownership on the next plan.
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
        Ok(Actual { props: want.props.clone(), ..have.clone() })
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
