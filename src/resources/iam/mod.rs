//! IAM's kinds: roles (each with one inline policy clusterup manages) and instance profiles. IAM has no
//! tag filter and is global: names are derived from the deployment and the region
//! (`crate::model::names::iam`), discovery asks for each by name and checks the ownership tag.

pub mod instance_profile;
pub mod role;

use std::collections::BTreeMap;

use aws_sdk_iam::types::Tag;

use super::support::built;
use super::Error;
use crate::model::tags;

fn iam_tags(tags: &BTreeMap<String, String>, resource: &str) -> Result<Vec<Tag>, Error> {
    tags.iter().map(|(k, v)| built(Tag::builder().key(k).value(v).build(), resource, "TagRole")).collect()
}

fn read_tags(list: &[Tag]) -> BTreeMap<String, String> {
    tags::from_pairs(list.iter().map(|t| (Some(t.key()), Some(t.value()))))
}
