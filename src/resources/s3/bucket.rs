//! The deployment's S3 buckets: EMR's logs and the bootstrap script (with Spark), and the load balancer's
//! access logs (with `load_balancer.access_logs`), each with the bucket policy the composition asks for.
//!
//! S3 has no tag filter: discovery lists the buckets that carry the deployment's name pattern and keeps
//! those tagged with the deployment. A bucket with exactly that name but no tags yet is ours too: the name
//! holds the account id, and a run interrupted between CreateBucket and PutBucketTagging leaves one.

use aws_sdk_s3::types::{
    BucketLocationConstraint, CreateBucketConfiguration, Delete, ObjectIdentifier, PublicAccessBlockConfiguration, Tag,
    Tagging,
};

use crate::aws::{AwsError, ErrorClass, Outcome, PollPolicy, Required, ResultExt, Service};
use crate::model::json::canonical;
use crate::model::names::bucket_address;
use crate::model::{tags, Actual, Address, Desired, Kind, Prop, Value, NAME, TAGS};
use crate::resources::support::{built, owned_address};
use crate::resources::{at_once, tag_pairs, Ctx, Error, Progress, ResourceKind, Spec};

/// The bucket policy, as canonical JSON (`model::json::canonical`); a bucket without one has none.
pub const POLICY: Prop = Prop::new("policy").not_a_dependency();

pub struct Bucket;

const SPEC: Spec = Spec::new(Kind::Bucket, "S3 bucket", Service::S3, PollPolicy::FAST, at_once)
    .props(&[&NAME, &POLICY, &TAGS])
    // EMR writes logs until the cluster has terminated.
    .deleted_after(&[Kind::BucketObject, Kind::EmrCluster]);

impl ResourceKind for Bucket {
    const SPEC: &'static Spec = &SPEC;

    async fn discover(ctx: &Ctx, _parent: Option<&Actual>) -> Result<Vec<Actual>, Error> {
        let s3 = &ctx.aws.s3;
        let listed = s3
            .list_buckets()
            .prefix(format!("clusterup-{}-", ctx.deployment))
            .send()
            .await
            .call("ListBuckets", &ctx.deployment)?;
        let mut found = Vec::new();
        for name in listed.buckets().iter().filter_map(|b| b.name()) {
            let Some(named) = bucket_address(name, &ctx.deployment, &ctx.aws.region) else { continue };
            let tagging = s3.get_bucket_tagging().bucket(name).send().await;
            let tags = match tagging.call("GetBucketTagging", name).found()? {
                Some(out) => tags::from_pairs(out.tag_set().iter().map(|t| (Some(t.key()), Some(t.value())))),
                // Deleted meanwhile, or not tagged yet.
                None => Default::default(),
            };
            let address = match owned_address(ctx, &tags) {
                Some(address) => address,
                None if tags.is_empty() => Address::new(named),
                None => continue,
            };
            found.push(
                Actual::new(address, Kind::Bucket, name)
                    .prop(&NAME, Value::str(name))
                    .prop_if_set(&POLICY, read_policy(ctx, name).await?.map(Value::Str))
                    .prop(&TAGS, tags::to_value(&tags)),
            );
        }
        Ok(found)
    }

    async fn create(ctx: &Ctx, want: &Desired, _progress: &dyn Progress) -> Result<Actual, Error> {
        let s3 = &ctx.aws.s3;
        let name = want.text(&NAME)?;
        let resource = want.address.as_str();
        let mut request = s3.create_bucket().bucket(name);
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
        if want.value(&POLICY).is_some() {
            put_policy(ctx, name, want).await?;
        }
        Ok(Actual::made(want, name))
    }

    async fn update(ctx: &Ctx, have: &Actual, want: &Desired, _progress: &dyn Progress) -> Result<Actual, Error> {
        if want.differs_from(have, &POLICY) {
            put_policy(ctx, &have.id, want).await?;
        }
        if want.differs_from(have, &TAGS) {
            ctx.aws
                .s3
                .put_bucket_tagging()
                .bucket(&have.id)
                .tagging(tagging(want)?)
                .send()
                .await
                .call("PutBucketTagging", have.address.as_str())?;
        }
        Ok(have.updated_to(want))
    }

    /// Empty the bucket (every version and delete marker, in batches of 1000), then delete it. The bucket
    /// holds EMR's logs and clusterup's script: nothing of the operator's data.
    async fn delete(ctx: &Ctx, have: &Actual, _progress: &dyn Progress) -> Result<(), Error> {
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
                    return Err(Error::Aws(AwsError::local(
                        resource,
                        "DeleteObjects",
                        format!(
                            "could not delete s3://{}/{}: {} {}",
                            have.id,
                            failed.key().unwrap_or("(no key given)"),
                            failed.code().unwrap_or("(no code given)"),
                            failed.message().unwrap_or("(no message given)")
                        ),
                    )));
                }
            }
        }
        s3.delete_bucket().bucket(&have.id).send().await.call("DeleteBucket", resource).gone_ok()?;
        Ok(())
    }
}

/// The bucket's policy as canonical JSON, or `None` when it has none (or is gone).
async fn read_policy(ctx: &Ctx, name: &str) -> Result<Option<String>, AwsError> {
    match ctx.aws.s3.get_bucket_policy().bucket(name).send().await.call("GetBucketPolicy", name) {
        Ok(out) => {
            let text = out.policy().required("GetBucketPolicy", "Policy", name)?;
            // AWS may store the document with other spacing or key order than it was sent with.
            Ok(Some(serde_json::from_str(text).map(|doc| canonical(&doc)).unwrap_or_else(|_| text.to_owned())))
        }
        Err(err) if err.code_is("NoSuchBucketPolicy") || err.is(ErrorClass::NotFound) => Ok(None),
        Err(err) => Err(err),
    }
}

async fn put_policy(ctx: &Ctx, name: &str, want: &Desired) -> Result<(), Error> {
    ctx.aws
        .s3
        .put_bucket_policy()
        .bucket(name)
        .policy(want.text(&POLICY)?)
        .send()
        .await
        .call("PutBucketPolicy", want.address.as_str())?;
    Ok(())
}

fn tagging(want: &Desired) -> Result<Tagging, Error> {
    let resource = want.address.as_str();
    let set = tag_pairs(want)
        .iter()
        .map(|(k, v)| built(Tag::builder().key(k).value(v).build(), resource, "PutBucketTagging"))
        .collect::<Result<Vec<_>, _>>()?;
    built(Tagging::builder().set_tag_set(Some(set)).build(), resource, "PutBucketTagging")
}
