//! Small helpers shared by the families that speak EC2-style APIs.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use aws_sdk_ec2::types::{Filter, ResourceType, Tag, TagSpecification};

use super::{Ctx, Progress};
use crate::aws::{poll, AwsError, ErrorClass, Outcome, PollPolicy, PollStatus, ResultExt};
use crate::model::{tags, Actual, Desired};

/// `tag:clusterup:deployment = <deployment>`: the filter every EC2 discovery uses.
pub fn deployment_filter(deployment: &str) -> Filter {
    Filter::builder().name(format!("tag:{}", tags::DEPLOYMENT)).values(deployment).build()
}

pub fn ec2_tags(map: &BTreeMap<String, String>) -> Vec<Tag> {
    map.iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}

/// Tag the resource at creation, so it is never untagged, not even for an instant.
pub fn tag_spec(kind: ResourceType, want: &Desired) -> TagSpecification {
    TagSpecification::builder()
        .resource_type(kind)
        .set_tags(Some(ec2_tags(&tags::from_value(want.props.get("tags")))))
        .build()
}

pub fn read_tags(list: &[Tag]) -> BTreeMap<String, String> {
    tags::from_pairs(list.iter().map(|t| (t.key(), t.value())))
}

/// Bring an EC2 resource's tags in line: add or change what differs, remove what is gone.
pub async fn sync_tags(ec2: &aws_sdk_ec2::Client, have: &Actual, want: &Desired) -> Result<(), AwsError> {
    let Some(change) = tags::change(have.props.get("tags"), want.props.get("tags")) else { return Ok(()) };
    let resource = have.address.as_str();
    if !change.set.is_empty() {
        ec2.create_tags()
            .resources(&have.id)
            .set_tags(Some(ec2_tags(&change.set)))
            .send()
            .await
            .call("CreateTags", resource)?;
    }
    if !change.remove.is_empty() {
        let removed = change.remove.iter().map(|k| Tag::builder().key(k).build()).collect();
        ec2.delete_tags().resources(&have.id).set_tags(Some(removed)).send().await.call("DeleteTags", resource)?;
    }
    Ok(())
}

/// EC2 is eventually consistent: an id returned by a create call may answer NotFound for a few seconds.
/// Retry `call` while it says NotFound, for up to 30 s.
pub async fn settle<T, F, Fut>(resource: &str, call: &'static str, mut f: F) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, AwsError>>,
{
    let policy = PollPolicy { timeout: Duration::from_secs(30), ..PollPolicy::FAST };
    poll(
        policy,
        resource,
        call,
        |_, _| {},
        || {
            let attempt = f();
            async {
                match attempt.await {
                    Ok(value) => Ok(PollStatus::Ready(value)),
                    Err(err) if err.is(ErrorClass::NotFound) => Ok(PollStatus::Pending(err.message.clone())),
                    Err(err) => Err(err),
                }
            }
        },
    )
    .await
}

/// Delete the detached (`available`) network interfaces that still sit in a subnet or hold a security
/// group (`filter` is `subnet-id` or `group-id`). AWS services (load balancers, EMR, EFS, NAT, Lambda)
/// create ENIs on the deployment's behalf, untagged; when one is left detached after its owner went, it
/// blocks the subnet or group for good. Attached ones belong to a live resource and are waited for.
pub async fn delete_detached_enis(ctx: &Ctx, filter: &str, id: &str, resource: &str) -> Result<(), AwsError> {
    let out = ctx
        .aws
        .ec2
        .describe_network_interfaces()
        .filters(Filter::builder().name(filter).values(id).build())
        .filters(Filter::builder().name("status").values("available").build())
        .send()
        .await
        .call("DescribeNetworkInterfaces", resource)?;
    for eni in out.network_interfaces().iter().filter_map(|e| e.network_interface_id()) {
        ctx.aws
            .ec2
            .delete_network_interface()
            .network_interface_id(eni)
            .send()
            .await
            .call("DeleteNetworkInterface", resource)
            .gone_ok()?;
    }
    Ok(())
}

/// Delete with `f`, retrying while AWS says the resource is still in use (ENIs of a deleted load
/// balancer or terminated instances linger for minutes). Already gone counts as done.
pub async fn delete_when_free<F, Fut>(
    resource: &str,
    call: &'static str,
    progress: &dyn Progress,
    mut f: F,
) -> Result<(), AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), AwsError>>,
{
    poll(
        PollPolicy::MINUTES,
        resource,
        call,
        |seen, waited| progress.waiting(seen, waited),
        || {
            let attempt = f();
            async {
                match attempt.await {
                    Ok(()) => Ok(PollStatus::Ready(())),
                    Err(err) if err.is(ErrorClass::NotFound) => Ok(PollStatus::Ready(())),
                    Err(err) if err.is(ErrorClass::DependencyViolation) => {
                        Ok(PollStatus::Pending(format!("still in use: {}", err.message)))
                    }
                    Err(err) => Err(err),
                }
            }
        },
    )
    .await
}

/// An idempotency token for a create call, the same for every retry of the same resource: a crashed
/// apply that re-runs gets the resource the first run created instead of a second one. It includes the
/// inputs that would make a different resource, so a replacement is not answered with the old one.
pub fn client_token(deployment: &str, address: &str, inputs: &[&str]) -> String {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    for part in [deployment, address].iter().chain(inputs) {
        hash.update(part.as_bytes());
        hash.update([0u8]);
    }
    let digest = hash.finalize();
    // EC2 tokens are at most 64 ASCII characters.
    digest.iter().take(24).map(|b| format!("{b:02x}")).collect()
}
