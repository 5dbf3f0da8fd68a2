use super::{check_owner, identifier, rds_tags, read_tags, SUBNET_GROUP};
use crate::aws::{AwsError, ErrorClass, ResultExt};
use crate::model::{tags, Actual, Address, Desired, Kind, Value};
use crate::resources::ec2_util::delete_when_free;
use crate::resources::{Ctx, Progress};

pub async fn discover(ctx: &Ctx) -> Result<Vec<Actual>, AwsError> {
    let name = identifier(&ctx.deployment);
    let found = ctx.aws.rds.describe_db_subnet_groups().db_subnet_group_name(&name).send().await;
    let group = match found.call("DescribeDBSubnetGroups", &name) {
        Ok(out) => out.db_subnet_groups().first().cloned(),
        Err(err) if err.is(ErrorClass::NotFound) => None,
        Err(err) => return Err(err),
    };
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
        .prop("tags", tags::to_value(&tags))])
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
    match created {
        // An interrupted run made it; discovery checks ownership on the next plan.
        Err(err) if err.is(ErrorClass::AlreadyExists) => {}
        other => {
            other?;
        }
    }
    Ok(Actual { props: want.props.clone(), ..Actual::new(want.address.clone(), Kind::DbSubnetGroup, name) })
}

pub async fn update(ctx: &Ctx, have: &Actual, want: &Desired) -> Result<Actual, AwsError> {
    let resource = have.address.as_str();
    ctx.aws
        .rds
        .modify_db_subnet_group()
        .db_subnet_group_name(&have.id)
        .set_subnet_ids(Some(want.props.get("subnets").map(Value::strings).unwrap_or_default()))
        .send()
        .await
        .call("ModifyDBSubnetGroup", resource)?;
    sync_tags(ctx, have, want, resource).await?;
    Ok(Actual { props: want.props.clone(), ..have.clone() })
}

/// RDS tags are set by ARN; the ARN is read once here rather than kept, since names are what clusterup owns.
pub(super) async fn sync_tags(ctx: &Ctx, have: &Actual, want: &Desired, resource: &str) -> Result<(), AwsError> {
    let had = tags::from_value(have.props.get("tags"));
    let wanted = tags::from_value(want.props.get("tags"));
    if had == wanted {
        return Ok(());
    }
    let arn = match have.kind {
        Kind::DbInstance => have.attrs.get("arn").cloned().unwrap_or_default(),
        _ => ctx
            .aws
            .rds
            .describe_db_subnet_groups()
            .db_subnet_group_name(&have.id)
            .send()
            .await
            .call("DescribeDBSubnetGroups", resource)?
            .db_subnet_groups()
            .first()
            .and_then(|g| g.db_subnet_group_arn())
            .unwrap_or_default()
            .to_owned(),
    };
    ctx.aws
        .rds
        .add_tags_to_resource()
        .resource_name(&arn)
        .set_tags(Some(rds_tags(want)))
        .send()
        .await
        .call("AddTagsToResource", resource)?;
    let removed: Vec<String> = had.keys().filter(|k| !wanted.contains_key(*k)).cloned().collect();
    if !removed.is_empty() {
        ctx.aws
            .rds
            .remove_tags_from_resource()
            .resource_name(&arn)
            .set_tag_keys(Some(removed))
            .send()
            .await
            .call("RemoveTagsFromResource", resource)?;
    }
    Ok(())
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
