//! CloudWatch's kind: the deployment's metric alarms (`alerts:`), and the reads `status` makes of them.

pub mod alarm;
mod cost;
pub mod status;

use std::collections::BTreeMap;

use aws_sdk_cloudwatch::types::Tag;

use crate::aws::{AwsError, ResultExt};
use crate::model::tags;

fn cloudwatch_tags(pairs: &BTreeMap<String, String>) -> Vec<Tag> {
    pairs.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}

/// The tags of the alarm `arn`.
async fn read_tags(client: &aws_sdk_cloudwatch::Client, arn: &str) -> Result<BTreeMap<String, String>, AwsError> {
    let out = client.list_tags_for_resource().resource_arn(arn).send().await.call("ListTagsForResource", arn)?;
    Ok(tags::from_pairs(out.tags().iter().map(|t| (t.key(), t.value()))))
}
