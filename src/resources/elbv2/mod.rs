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

/// The attribute of a load balancer or target group that holds the value CloudWatch names it by in a
/// metric's dimension (the alarms' `LoadBalancer` and `TargetGroup` dimensions).
pub const METRIC_DIMENSION: &str = "metric_dimension";

/// What CloudWatch names a load balancer or target group by: its ARN's resource part without the
/// resource type, `app/<name>/<id>` or `targetgroup/<name>/<id>`
/// (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html>).
pub fn metric_dimension(arn: &str) -> &str {
    if let Some((_, rest)) = arn.split_once(":loadbalancer/") {
        rest
    } else if let Some((_, rest)) = arn.split_once(":targetgroup/") {
        // The target group's dimension keeps its type: `targetgroup/<name>/<id>`.
        &arn[arn.len() - rest.len() - "targetgroup/".len()..]
    } else {
        arn
    }
}

#[cfg(test)]
mod metric_dimension_tests {
    use super::metric_dimension;

    #[test]
    fn cloudwatch_names_load_balancers_and_target_groups_by_the_end_of_their_arns() {
        let lb = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/shop-alb/50dc6c495c0c9188";
        assert_eq!(metric_dimension(lb), "app/shop-alb/50dc6c495c0c9188");
        let tg = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-app/73e2d6bc24d8a067";
        assert_eq!(metric_dimension(tg), "targetgroup/shop-app/73e2d6bc24d8a067");
        assert_eq!(metric_dimension("not-an-arn"), "not-an-arn");
    }
}
