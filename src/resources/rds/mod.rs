//! RDS's kinds: the shared MySQL metadata database, its read replicas, its subnet group and its
//! parameter group.
//!
//! clusterup never sees a password: RDS generates the master password and keeps it in Secrets Manager
//! (`ManageMasterUserPassword`); app nodes read it by the secret's ARN with their instance role. The
//! exception is a database with read replicas, which RDS refuses for a managed password: its password
//! is the deployment's kept secret (`secretsmanager::password`), which clusterup reads only to hand it
//! to RDS.

mod changes;
mod cost;
mod guard;
pub mod instance;
mod instance_props;
pub mod parameter_group;
mod refusals;
pub mod replica;
mod restore;
#[cfg(test)]
mod restore_tests;
pub mod snapshots;
pub mod status;
pub mod subnet_group;

use std::collections::BTreeMap;

use aws_sdk_rds::types::Tag;

use super::support::{self, check_owner};
use super::{tag_pairs, Ctx, Error, Spec};
use crate::aws::ResultExt;
use crate::model::{tags, Actual, Address, Desired, Value, NAME, TAGS};

fn rds_tags(want: &Desired) -> Vec<Tag> {
    tag_pairs(want).iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}

fn read_tags(list: &[Tag]) -> BTreeMap<String, String> {
    tags::from_pairs(list.iter().map(|t| (t.key(), t.value())))
}

/// The resource `name`, found by that name (the deployment's), as the deployment's: its address, its
/// name as id and as property, its tags (read by `arn`, after checking they are this deployment's) and
/// its ARN. RDS lists a group's tags only through a call of their own.
async fn owned_group(ctx: &Ctx, spec: &Spec, address: &str, name: &str, arn: &str) -> Result<Actual, Error> {
    let tags = ctx.aws.rds.list_tags_for_resource().resource_name(arn).send().await;
    let tags = read_tags(tags.call("ListTagsForResource", name)?.tag_list());
    check_owner(ctx, spec.label, name, &tags)?;
    Ok(Actual::new(Address::new(address), spec.kind, name)
        .prop(&NAME, Value::str(name))
        .prop(&TAGS, tags::to_value(&tags))
        .attr("arn", arn))
}

/// RDS tags are set by ARN, which discovery reads for every RDS resource (an update always follows a
/// discovery).
async fn sync_tags(ctx: &Ctx, have: &Actual, want: &Desired) -> Result<(), Error> {
    let (rds, resource) = (&ctx.aws.rds, have.address.as_str());
    let arn = have
        .attrs
        .get("arn")
        .filter(|a| !a.is_empty())
        .ok_or_else(|| Error::Bug(format!("{resource}: discovered without its ARN")))?;
    let set = move |tags: BTreeMap<String, String>| async move {
        let tags = tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect();
        rds.add_tags_to_resource()
            .resource_name(arn)
            .set_tags(Some(tags))
            .send()
            .await
            .call("AddTagsToResource", resource)?;
        Ok(())
    };
    let remove = move |keys: Vec<String>| async move {
        rds.remove_tags_from_resource()
            .resource_name(arn)
            .set_tag_keys(Some(keys))
            .send()
            .await
            .call("RemoveTagsFromResource", resource)?;
        Ok(())
    };
    support::sync_tags(have, want, set, remove).await
}
