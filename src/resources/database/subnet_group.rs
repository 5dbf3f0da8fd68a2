use super::{identifier, rds_tags, read_tags, SUBNET_GROUP};
use crate::aws::{AwsError, ErrorClass, Outcome, ResultExt};
use crate::model::{tags, Actual, Address, Desired, Kind, Value};
use crate::resources::ec2_util::delete_when_free;
use crate::resources::{check_owner, Ctx, Progress};

pub async fn discover(ctx: &Ctx) -> Result<Vec<Actual>, AwsError> {
    let name = identifier(&ctx.deployment);
    let found = ctx.aws.rds.describe_db_subnet_groups().db_subnet_group_name(&name).send().await;
    let group =
        found.call("DescribeDBSubnetGroups", &name).found()?.and_then(|out| out.db_subnet_groups().first().cloned());
    let Some(group) = group else { return Ok(vec![]) };
    let arn = group.db_subnet_group_arn().unwrap_or_default();
    let tags =
        ctx.aws.rds.list_tags_for_resource().resource_name(arn).send().await.call("ListTagsForResource", &name)?;
    let tags = read_tags(tags.tag_list());
    check_owner(ctx, "DB subnet group", &name, &tags)?;
    let subnets = group.subnets().iter().filter_map(|s| s.subnet_identifier()).map(Value::str).collect();
    Ok(vec![Actual::new(Address::new(SUBNET_GROUP), Kind::DbSubnetGroup, &name)
        .prop("name", Value::str(&name))
        .prop("subnets", Value::List(subnets))
        .prop("tags", tags::to_value(&tags))
        .attr("arn", arn)])
}

pub async fn create(ctx: &Ctx, want: &Desired) -> Result<Actual, AwsError> {
    let name = want.text("name");
    let created = ctx
        .aws
        .rds
        .create_db_subnet_group()
        .db_subnet_group_name(name)
        .db_subnet_group_description(format!("clusterup {}: private subnets", ctx.deployment))
        .set_subnet_ids(Some(want.props.get("subnets").map(Value::strings).unwrap_or_default()))
        .set_tags(Some(rds_tags(want)))
        .send()
        .await
        .call("CreateDBSubnetGroup", want.address.as_str());
    let arn = match created {
        Ok(out) => out.db_subnet_group().and_then(|g| g.db_subnet_group_arn()).unwrap_or_default().to_owned(),
        // An interrupted run made it; discovery checks ownership on the next plan.
        Err(err) if err.is(ErrorClass::AlreadyExists) => String::new(),
        Err(err) => return Err(err),
    };
    Ok(Actual { props: want.props.clone(), ..Actual::new(want.address.clone(), Kind::DbSubnetGroup, name) }
        .attr("arn", arn))
}

pub async fn update(ctx: &Ctx, have: &Actual, want: &Desired) -> Result<Actual, AwsError> {
    let resource = have.address.as_str();
    if want.differs_from(have, "subnets") {
        ctx.aws
            .rds
            .modify_db_subnet_group()
            .db_subnet_group_name(&have.id)
            .set_subnet_ids(Some(want.props.get("subnets").map(Value::strings).unwrap_or_default()))
            .send()
            .await
            .call("ModifyDBSubnetGroup", resource)?;
    }
    super::sync_tags(ctx, have, want).await?;
    Ok(Actual { props: want.props.clone(), ..have.clone() })
}

pub async fn delete(ctx: &Ctx, have: &Actual, progress: &dyn Progress) -> Result<(), AwsError> {
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
    .await
}
