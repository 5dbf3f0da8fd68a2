//! Elastic Load Balancing (v2)'s kinds: the Application Load Balancer, its target groups, listeners and
//! listener rules.
//!
//! Load balancers and target groups have account-unique names, derived from the deployment name, so
//! discovery asks for them by name (one call each) and then checks the ownership tag; listeners are
//! children of the load balancer and are found through it, and listener rules through their listener.

mod cost;
pub mod listener;
pub mod listener_action;
pub mod listener_rule;
pub mod load_balancer;
pub mod status;
pub mod target_group;

use std::collections::BTreeMap;

use aws_sdk_elasticloadbalancingv2::types::Tag;

use super::{support, tag_pairs, Ctx, Error};
use crate::aws::{AwsError, Required, ResultExt};
use crate::model::{tags, Actual, Desired};

fn elb_tags(want: &Desired) -> Vec<Tag> {
    tag_pairs(want).iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}

/// Tags of several ELBv2 resources, by ARN (DescribeTags takes up to 20 ARNs per call).
async fn read_tags(ctx: &Ctx, arns: &[String]) -> Result<BTreeMap<String, BTreeMap<String, String>>, AwsError> {
    let elb = &ctx.aws.elb;
    let mut out = BTreeMap::new();
    for chunk in arns.chunks(20) {
        let described = elb
            .describe_tags()
            .set_resource_arns(Some(chunk.to_vec()))
            .send()
            .await
            .call("DescribeTags", &ctx.deployment)?;
        for desc in described.tag_descriptions() {
            let tags = tags::from_pairs(desc.tags().iter().map(|t| (t.key(), t.value())));
            // Each description answers for one of the ARNs asked about: without it, the tags are no one's.
            out.insert(desc.resource_arn().required("DescribeTags", "ResourceArn", &ctx.deployment)?.to_owned(), tags);
        }
    }
    Ok(out)
}

async fn sync_tags(ctx: &Ctx, have: &Actual, want: &Desired) -> Result<(), Error> {
    let (elb, arn, resource) = (&ctx.aws.elb, &have.id, have.address.as_str());
    let set = move |tags: BTreeMap<String, String>| async move {
        let tags = tags.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect();
        elb.add_tags().resource_arns(arn).set_tags(Some(tags)).send().await.call("AddTags", resource)?;
        Ok(())
    };
    let remove = move |keys: Vec<String>| async move {
        elb.remove_tags().resource_arns(arn).set_tag_keys(Some(keys)).send().await.call("RemoveTags", resource)?;
        Ok(())
    };
    support::sync_tags(have, want, set, remove).await
}
