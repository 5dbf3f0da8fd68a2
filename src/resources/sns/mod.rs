//! SNS's kinds: the topic the deployment's alarms notify, and its email subscriptions.

pub mod subscription;
pub mod topic;

use std::collections::BTreeMap;

use aws_sdk_sns::types::Tag;

use super::support::{self, built};
use super::{tag_pairs, Ctx, Error};
use crate::aws::{AwsError, ResultExt};
use crate::model::{tags, Actual, Desired};

fn sns_tags(pairs: &BTreeMap<String, String>, resource: &str, call: &'static str) -> Result<Vec<Tag>, Error> {
    pairs.iter().map(|(k, v)| built(Tag::builder().key(k).value(v).build(), resource, call)).collect()
}

fn desired_tags(want: &Desired, call: &'static str) -> Result<Vec<Tag>, Error> {
    sns_tags(&tag_pairs(want), want.address.as_str(), call)
}

/// The tags of the topic `arn`.
async fn read_tags(ctx: &Ctx, arn: &str) -> Result<BTreeMap<String, String>, AwsError> {
    let out = ctx.aws.sns.list_tags_for_resource().resource_arn(arn).send().await.call("ListTagsForResource", arn)?;
    Ok(tags::from_pairs(out.tags().iter().map(|t| (Some(t.key()), Some(t.value())))))
}

async fn sync_tags(ctx: &Ctx, have: &Actual, want: &Desired) -> Result<(), Error> {
    let (sns, arn, resource) = (&ctx.aws.sns, &have.id, have.address.as_str());
    let set = move |pairs: BTreeMap<String, String>| async move {
        let tags = sns_tags(&pairs, resource, "TagResource")?;
        sns.tag_resource().resource_arn(arn).set_tags(Some(tags)).send().await.call("TagResource", resource)?;
        Ok(())
    };
    let remove = move |keys: Vec<String>| async move {
        sns.untag_resource().resource_arn(arn).set_tag_keys(Some(keys)).send().await.call("UntagResource", resource)?;
        Ok(())
    };
    support::sync_tags(have, want, set, remove).await
}
