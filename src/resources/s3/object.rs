//! An object in the deployment's bucket: the bootstrap script every EMR node runs. The bucket's child,
//! found through it; no tags of its own.

use aws_sdk_s3::primitives::ByteStream;

use crate::aws::{AwsError, Outcome, PollPolicy, ResultExt, Service};
use crate::model::names::spark::{BOOTSTRAP_KEY, BOOTSTRAP_OBJECT};
use crate::model::{Actual, Address, Desired, Kind, Prop, Value};
use crate::resources::{at_once, Ctx, Error, Progress, ResourceKind, Spec};

/// The bucket's name.
pub const BUCKET: Prop = Prop::new("bucket").replaces();
pub const KEY: Prop = Prop::new("key").replaces();
/// The object's text.
pub const CONTENT: Prop = Prop::new("content");

pub struct BucketObject;

const SPEC: Spec = Spec::new(Kind::BucketObject, "S3 object", Service::S3, PollPolicy::FAST, at_once)
    .props(&[&BUCKET, &KEY, &CONTENT])
    .child_of(Kind::Bucket);

impl ResourceKind for BucketObject {
    const SPEC: &'static Spec = &SPEC;

    /// The bootstrap script, read back whole (a few kilobytes) so a changed script is seen.
    async fn discover(ctx: &Ctx, parent: Option<&Actual>) -> Result<Vec<Actual>, Error> {
        let Some(bucket) = parent else { return Ok(Vec::new()) };
        let s3 = &ctx.aws.s3;
        let (bucket, key) = (bucket.id.as_str(), BOOTSTRAP_KEY);
        let got = s3.get_object().bucket(bucket).key(key).send().await;
        let Some(out) = got.call("GetObject", BOOTSTRAP_OBJECT).found()? else { return Ok(Vec::new()) };
        let body = out.body.collect().await.map_err(|err| {
            AwsError::local(BOOTSTRAP_OBJECT, "GetObject", format!("reading the object failed: {err}"))
        })?;
        let content = String::from_utf8_lossy(&body.into_bytes()).into_owned();
        Ok(vec![Actual::new(Address::new(BOOTSTRAP_OBJECT), Kind::BucketObject, object_url(bucket, key))
            .prop(&BUCKET, Value::str(bucket))
            .prop(&KEY, Value::str(key))
            .prop(&CONTENT, Value::str(content))])
    }

    async fn create(ctx: &Ctx, want: &Desired, _progress: &dyn Progress) -> Result<Actual, Error> {
        put(ctx, want).await
    }

    async fn update(ctx: &Ctx, _have: &Actual, want: &Desired, _progress: &dyn Progress) -> Result<Actual, Error> {
        put(ctx, want).await
    }

    async fn delete(ctx: &Ctx, have: &Actual, _progress: &dyn Progress) -> Result<(), Error> {
        let (Some(bucket), Some(key)) = (have.text(&BUCKET), have.text(&KEY)) else {
            return Err(Error::Bug(format!("{}: discovered without its bucket or key", have.address)));
        };
        ctx.aws
            .s3
            .delete_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .call("DeleteObject", have.address.as_str())
            .gone_ok()?;
        Ok(())
    }
}

fn object_url(bucket: &str, key: &str) -> String {
    format!("s3://{bucket}/{key}")
}

async fn put(ctx: &Ctx, want: &Desired) -> Result<Actual, Error> {
    let (bucket, key) = (want.text(&BUCKET)?, want.text(&KEY)?);
    ctx.aws
        .s3
        .put_object()
        .bucket(bucket)
        .key(key)
        .content_type("text/x-shellscript")
        .body(ByteStream::from(want.text(&CONTENT)?.as_bytes().to_vec()))
        .send()
        .await
        .call("PutObject", want.address.as_str())?;
    Ok(Actual::made(want, object_url(bucket, key)))
}
