//! The file system's resource policy: what clients may do with it over NFS. Without one, EFS lets any
//! client that reaches a mount target mount, write and act as root, whatever its IAM role says; with
//! one, a client that does not authenticate with IAM (`-o iam`) is anonymous and gets only what the
//! policy grants anonymous clients
//! (https://docs.aws.amazon.com/efs/latest/ug/iam-access-control-nfs-efs.html).
//!
//! A resource apart from the file system because it names the access point, which is made after the
//! file system; found through the file system (DescribeFileSystemPolicy), one call each.

use crate::aws::{ErrorClass, Outcome, PollPolicy, Required, ResultExt, Service};
use crate::model::json::canonical;
use crate::model::names::storage::FILE_SYSTEM_POLICY;
use crate::model::{Actual, Address, Desired, Kind, Prop, Value};
use crate::resources::{at_once, Ctx, Error, Progress, ResourceKind, Spec};

/// The file system's id.
pub const FILE_SYSTEM: Prop = Prop::new("file_system").replaces();
/// The policy, as canonical JSON (`model::json::canonical`).
pub const POLICY: Prop = Prop::new("policy");

pub struct FileSystemPolicy;

const SPEC: Spec = Spec::new(Kind::FileSystemPolicy, "file system policy", Service::Efs, PollPolicy::FAST, at_once)
    .props(&[&FILE_SYSTEM, &POLICY])
    .child_of(Kind::FileSystem);

/// Its id: the file system's, marked, so that nothing referring to the file system is taken to refer
/// to this.
fn id_of(file_system: &str) -> String {
    format!("{file_system}/policy")
}

impl ResourceKind for FileSystemPolicy {
    const SPEC: &'static Spec = &SPEC;

    async fn discover(ctx: &Ctx, parent: Option<&Actual>) -> Result<Vec<Actual>, Error> {
        let Some(fs) = parent else { return Ok(Vec::new()) };
        const CALL: &str = "DescribeFileSystemPolicy";
        let described =
            ctx.aws.efs.describe_file_system_policy().file_system_id(&fs.id).send().await.call(CALL, &fs.id);
        // PolicyNotFound: the file system has none (it is open to every client that reaches it).
        let Some(out) = described.found()? else { return Ok(Vec::new()) };
        let text = out.policy().required(CALL, "Policy", &fs.id)?;
        // EFS may keep the document with other spacing or key order than it was sent with.
        let policy = serde_json::from_str(text).map(|doc| canonical(&doc)).unwrap_or_else(|_| text.to_owned());
        Ok(vec![Actual::new(Address::new(FILE_SYSTEM_POLICY), Kind::FileSystemPolicy, id_of(&fs.id))
            .prop(&FILE_SYSTEM, Value::str(&fs.id))
            .prop(&POLICY, Value::str(policy))])
    }

    async fn create(ctx: &Ctx, want: &Desired, _progress: &dyn Progress) -> Result<Actual, Error> {
        let file_system = want.text(&FILE_SYSTEM)?;
        put(ctx, file_system, want).await?;
        Ok(Actual::made(want, id_of(file_system)))
    }

    async fn update(ctx: &Ctx, have: &Actual, want: &Desired, _progress: &dyn Progress) -> Result<Actual, Error> {
        if want.differs_from(have, &POLICY) {
            put(ctx, want.text(&FILE_SYSTEM)?, want).await?;
        }
        Ok(have.updated_to(want))
    }

    async fn delete(ctx: &Ctx, have: &Actual, _progress: &dyn Progress) -> Result<(), Error> {
        let Some(file_system) = have.text(&FILE_SYSTEM) else { return Ok(()) };
        match ctx
            .aws
            .efs
            .delete_file_system_policy()
            .file_system_id(file_system)
            .send()
            .await
            .call("DeleteFileSystemPolicy", have.address.as_str())
        {
            // The file system went first (its deletion takes the policy with it), or the policy did.
            Err(err) if err.is(ErrorClass::NotFound) => Ok(()),
            other => other.map(|_| ()).map_err(Error::from),
        }
    }
}

/// PutFileSystemPolicy, with the lockout safety check on: the policy never takes PutFileSystemPolicy
/// itself from the caller.
async fn put(ctx: &Ctx, file_system: &str, want: &Desired) -> Result<(), Error> {
    ctx.aws
        .efs
        .put_file_system_policy()
        .file_system_id(file_system)
        .policy(want.text(&POLICY)?)
        .bypass_policy_lockout_safety_check(false)
        .send()
        .await
        .call("PutFileSystemPolicy", want.address.as_str())?;
    Ok(())
}
