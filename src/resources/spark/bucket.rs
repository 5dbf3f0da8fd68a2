//! The deployment's S3 bucket (EMR logs and the bootstrap script) and the bootstrap script object in it.
//!
//! S3 has no tag filter: discovery lists the buckets that carry the deployment's name pattern and keeps
//! those tagged with the deployment. A bucket with exactly that name but no tags yet is ours too: the name
//! holds the account id, and a run interrupted between CreateBucket and PutBucketTagging leaves one.

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLocationConstraint, CreateBucketConfiguration, Delete, ObjectIdentifier, PublicAccessBlockConfiguration, Tag,
    Tagging,
};

use super::{BOOTSTRAP_OBJECT, BUCKET};
use crate::aws::{built, AwsError, ErrorClass, Outcome, ResultExt};
use crate::model::{tags, Actual, Address, Desired, Kind, Value};
use crate::resources::{owned_address, Ctx};

/// Whether `name` is this deployment's bucket name in this region, for any account.
fn is_deployment_bucket(name: &str, deployment: &str, region: &str) -> bool {
    let Some(rest) = name.strip_prefix(&format!("clusterup-{deployment}-")) else { return false };
    let Some(account) = rest.strip_suffix(&format!("-{region}")) else { return false };
    account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())
}

pub async fn discover(ctx: &Ctx) -> Result<Vec<Actual>, AwsError> {
    let listed = ctx
        .aws
        .s3
        .list_buckets()
        .prefix(format!("clusterup-{}-", ctx.deployment))
        .send()
        .await
        .call("ListBuckets", &ctx.deployment)?;
    let mut found = Vec::new();
    for name in listed.buckets().iter().filter_map(|b| b.name()) {
        if !is_deployment_bucket(name, &ctx.deployment, &ctx.aws.region) {
            continue;
        }
        let tagging = ctx.aws.s3.get_bucket_tagging().bucket(name).send().await;
        let tags = match tagging.call("GetBucketTagging", name).found()? {
            Some(out) => tags::from_pairs(out.tag_set().iter().map(|t| (Some(t.key()), Some(t.value())))),
            // Deleted meanwhile, or not tagged yet.
            None => Default::default(),
        };
        let address = match owned_address(ctx, &tags) {
            Some(address) => address,
            None if tags.is_empty() => Address::new(BUCKET),
            None => continue,
        };
        found.push(
            Actual::new(address, Kind::Bucket, name).prop("name", Value::str(name)).prop("tags", tags::to_value(&tags)),
        );
        if let Some(object) = discover_object(ctx, name).await? {
            found.push(object);
        }
    }
    Ok(found)
}

/// The bootstrap script, read back whole (a few kilobytes) so a changed script is seen.
async fn discover_object(ctx: &Ctx, bucket: &str) -> Result<Option<Actual>, AwsError> {
    let key = super::BOOTSTRAP_KEY;
    let got = ctx.aws.s3.get_object().bucket(bucket).key(key).send().await;
    let Some(out) = got.call("GetObject", BOOTSTRAP_OBJECT).found()? else { return Ok(None) };
    let body =
        out.body.collect().await.map_err(|err| {
            AwsError::local(BOOTSTRAP_OBJECT, "GetObject", format!("reading the object failed: {err}"))
        })?;
    let content = String::from_utf8_lossy(&body.into_bytes()).into_owned();
    Ok(Some(
        Actual::new(Address::new(BOOTSTRAP_OBJECT), Kind::BucketObject, object_url(bucket, key))
            .prop("bucket", Value::str(bucket))
            .prop("key", Value::str(key))
            .prop("content", Value::str(content)),
    ))
}

fn object_url(bucket: &str, key: &str) -> String {
    format!("s3://{bucket}/{key}")
}

fn tagging(want: &Desired) -> Result<Tagging, AwsError> {
    let resource = want.address.as_str();
    let set = tags::from_value(want.props.get("tags"))
        .iter()
        .map(|(k, v)| built(Tag::builder().key(k).value(v).build(), resource, "PutBucketTagging"))
        .collect::<Result<Vec<_>, _>>()?;
    built(Tagging::builder().set_tag_set(Some(set)).build(), resource, "PutBucketTagging")
}

pub async fn create(ctx: &Ctx, want: &Desired) -> Result<Actual, AwsError> {
    let name = want.text("name");
    let resource = want.address.as_str();
    let mut request = ctx.aws.s3.create_bucket().bucket(name);
    // us-east-1 is the one region that must not be named as a location constraint.
    if ctx.aws.region != "us-east-1" {
        request = request.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(ctx.aws.region.as_str()))
                .build(),
        );
    }
    match request.send().await.call("CreateBucket", resource) {
        // Ours from an interrupted run (the name holds our account id): tag it and go on.
        Err(err) if err.is(ErrorClass::AlreadyExists) => {}
        other => {
            other?;
        }
    }
    ctx.aws
        .s3
        .put_bucket_tagging()
        .bucket(name)
        .tagging(tagging(want)?)
        .send()
        .await
        .call("PutBucketTagging", resource)?;
    // Logs and scripts are private: nothing in this bucket may ever become public.
    ctx.aws
        .s3
        .put_public_access_block()
        .bucket(name)
        .public_access_block_configuration(
            PublicAccessBlockConfiguration::builder()
                .block_public_acls(true)
                .ignore_public_acls(true)
                .block_public_policy(true)
                .restrict_public_buckets(true)
                .build(),
        )
        .send()
        .await
        .call("PutPublicAccessBlock", resource)?;
    Ok(Actual { props: want.props.clone(), ..Actual::new(want.address.clone(), Kind::Bucket, name) })
}

pub async fn update(ctx: &Ctx, have: &Actual, want: &Desired) -> Result<Actual, AwsError> {
    if want.differs_from(have, "tags") {
        ctx.aws
            .s3
            .put_bucket_tagging()
            .bucket(&have.id)
            .tagging(tagging(want)?)
            .send()
            .await
            .call("PutBucketTagging", have.address.as_str())?;
    }
    Ok(Actual { props: want.props.clone(), ..have.clone() })
}

/// Empty the bucket (every version and delete marker, in batches of 1000), then delete it. The bucket
/// holds EMR's logs and clusterup's script: nothing of the operator's data.
pub async fn delete(ctx: &Ctx, have: &Actual) -> Result<(), AwsError> {
    let resource = have.address.as_str();
    let s3 = &ctx.aws.s3;
    loop {
        let listed = s3.list_object_versions().bucket(&have.id).send().await.call("ListObjectVersions", resource);
        let Some(listed) = listed.found()? else { return Ok(()) };
        let versions = listed.versions().iter().map(|v| (v.key(), v.version_id()));
        let markers = listed.delete_markers().iter().map(|m| (m.key(), m.version_id()));
        let objects = versions
            .chain(markers)
            .filter_map(|(key, version)| {
                ObjectIdentifier::builder().key(key?).set_version_id(version.map(str::to_owned)).build().ok()
            })
            .collect::<Vec<_>>();
        if objects.is_empty() {
            break;
        }
        for batch in objects.chunks(1000) {
            let delete = built(
                Delete::builder().set_objects(Some(batch.to_vec())).quiet(true).build(),
                resource,
                "DeleteObjects",
            )?;
            let out =
                s3.delete_objects().bucket(&have.id).delete(delete).send().await.call("DeleteObjects", resource)?;
            if let Some(failed) = out.errors().first() {
                return Err(AwsError::local(
                    resource,
                    "DeleteObjects",
                    format!(
                        "could not delete s3://{}/{}: {} {}",
                        have.id,
                        failed.key().unwrap_or_default(),
                        failed.code().unwrap_or_default(),
                        failed.message().unwrap_or_default()
                    ),
                ));
            }
        }
    }
    s3.delete_bucket().bucket(&have.id).send().await.call("DeleteBucket", resource).gone_ok()
}

pub async fn put_object(ctx: &Ctx, want: &Desired) -> Result<Actual, AwsError> {
    let (bucket, key) = (want.text("bucket"), want.text("key"));
    ctx.aws
        .s3
        .put_object()
        .bucket(bucket)
        .key(key)
        .content_type("text/x-shellscript")
        .body(ByteStream::from(want.text("content").as_bytes().to_vec()))
        .send()
        .await
        .call("PutObject", want.address.as_str())?;
    Ok(Actual {
        props: want.props.clone(),
        ..Actual::new(want.address.clone(), Kind::BucketObject, object_url(bucket, key))
    })
}

pub async fn delete_object(ctx: &Ctx, have: &Actual) -> Result<(), AwsError> {
    let bucket = have.props.get("bucket").and_then(Value::as_str).unwrap_or_default();
    let key = have.props.get("key").and_then(Value::as_str).unwrap_or_default();
    ctx.aws
        .s3
        .delete_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .call("DeleteObject", have.address.as_str())
        .gone_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names_of_other_deployments_are_not_ours() {
        assert!(is_deployment_bucket("clusterup-a-123456789012-us-east-1", "a", "us-east-1"));
        // Deployment `a-b`'s bucket starts like deployment `a`'s.
        assert!(!is_deployment_bucket("clusterup-a-b-123456789012-us-east-1", "a", "us-east-1"));
        assert!(!is_deployment_bucket("clusterup-a-123456789012-eu-west-1", "a", "us-east-1"));
        assert!(!is_deployment_bucket("clusterup-a-12345-us-east-1", "a", "us-east-1"));
    }
}
