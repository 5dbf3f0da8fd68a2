//! Mount targets: the file system's network endpoint in each private subnet. Children of the file
//! system, found through it; their address comes from their zone.

use std::sync::Arc;

use aws_sdk_efs::types::{LifeCycleState, MountTargetDescription};

use super::until_available;
use crate::aws::batch::{Answers, Batch, BatchCall};
use crate::aws::{ErrorClass, PollPolicy, PollStatus, Required, ResultExt, Service};
use crate::model::names::{storage::mount_target, zone_letter};
use crate::model::{Actual, Address, Desired, Kind, Op, Prop, Props, Value};
use crate::resources::support::{batch_of, wait_batched, wait_for};
use crate::resources::{Batching, Ctx, Error, Latency, Progress, ResourceKind, Spec};

pub const FILE_SYSTEM: Prop = Prop::new("file_system").replaces();
pub const SUBNET: Prop = Prop::new("subnet").replaces();
pub const SECURITY_GROUPS: Prop = Prop::new("security_groups");

pub struct MountTarget;

const SPEC: Spec = Spec::new(Kind::MountTarget, "mount target", Service::Efs, PollPolicy::MINUTES, latency)
    .batched(Batching::ByParent(DESCRIBE, &FILE_SYSTEM))
    .props(&[&FILE_SYSTEM, &SUBNET, &SECURITY_GROUPS])
    .child_of(Kind::FileSystem)
    // App and Spark nodes mount through it until they are gone.
    .deleted_after(&[Kind::AutoScalingGroup, Kind::EmrCluster]);

fn latency(op: Op, _: Option<&Desired>) -> Latency {
    match op {
        // 1-2 min (U, gh:tpa/issues/15278)
        Op::Create => Latency::waits(90, 60.0, 120.0),
        // 30-90 s (E, gh:hashicorp/terraform/issues/12677)
        Op::Delete => Latency::waits(60, 30.0, 90.0),
        Op::Update => Latency::at_once(op),
    }
}

impl ResourceKind for MountTarget {
    const SPEC: &'static Spec = &SPEC;

    /// Mount targets of one file system; their address comes from their zone.
    async fn discover(ctx: &Ctx, parent: Option<&Actual>) -> Result<Vec<Actual>, Error> {
        let Some(fs) = parent else { return Ok(Vec::new()) };
        let efs = &ctx.aws.efs;
        let out =
            efs.describe_mount_targets().file_system_id(&fs.id).send().await.call("DescribeMountTargets", &fs.id)?;
        let mut found = Vec::new();
        for target in out.mount_targets() {
            if matches!(target.life_cycle_state(), LifeCycleState::Deleting | LifeCycleState::Deleted) {
                continue;
            }
            let id = target.mount_target_id();
            let groups = efs
                .describe_mount_target_security_groups()
                .mount_target_id(id)
                .send()
                .await
                .call("DescribeMountTargetSecurityGroups", id)?;
            let zone = target.availability_zone_name().required("DescribeMountTargets", "AvailabilityZoneName", id)?;
            found.push(
                Actual::new(Address::new(mount_target(&zone_letter(&ctx.aws.region, zone))), Kind::MountTarget, id)
                    .prop(&FILE_SYSTEM, Value::str(&fs.id))
                    .prop(&SUBNET, Value::str(target.subnet_id()))
                    .prop(&SECURITY_GROUPS, Value::List(groups.security_groups().iter().map(Value::str).collect())),
            );
        }
        Ok(found)
    }

    async fn create(ctx: &Ctx, want: &Desired, progress: &dyn Progress) -> Result<Actual, Error> {
        let efs = &ctx.aws.efs;
        let resource = want.address.as_str();
        let fs = want.text(&FILE_SYSTEM)?;
        let subnet = want.text(&SUBNET)?;
        let groups = want.strings(&SECURITY_GROUPS)?;
        // A new file system may still be `creating`: AWS answers IncorrectFileSystemLifeCycleState, so retry.
        let id = wait_for(PollPolicy::FAST, resource, "CreateMountTarget", progress, || async {
            let created = efs
                .create_mount_target()
                .file_system_id(fs)
                .subnet_id(subnet)
                .set_security_groups(Some(groups.clone()))
                .send()
                .await
                .call("CreateMountTarget", resource);
            match created {
                Ok(out) => Ok(PollStatus::Ready(out.mount_target_id().to_owned())),
                Err(err) if err.code_is("IncorrectFileSystemLifeCycleState") => {
                    Ok(PollStatus::Pending("file system not available yet".into()))
                }
                // One per zone: an interrupted run made it already. Take that one.
                Err(err) if err.code_is("MountTargetConflict") => {
                    let out = efs
                        .describe_mount_targets()
                        .file_system_id(fs)
                        .send()
                        .await
                        .call("DescribeMountTargets", resource)?;
                    let existing = out.mount_targets().iter().find(|t| t.subnet_id() == subnet);
                    existing.map(|t| PollStatus::Ready(t.mount_target_id().to_owned())).ok_or(err)
                }
                Err(err) => Err(err),
            }
        })
        .await?;
        // Usable once `available` (1-2 minutes on AWS; clients should wait before mounting).
        let batch = batch(ctx, Some(fs), &want.props);
        wait_batched(&batch, SPEC.schedule(Op::Create, Some(want)), (&id, resource), DESCRIBE, progress, |target| {
            until_available(Ok(target.map(|t| (t.life_cycle_state().clone(), ()))))
        })
        .await?;
        Ok(Actual::made(want, id))
    }

    async fn update(ctx: &Ctx, have: &Actual, want: &Desired, _progress: &dyn Progress) -> Result<Actual, Error> {
        ctx.aws
            .efs
            .modify_mount_target_security_groups()
            .mount_target_id(&have.id)
            .set_security_groups(Some(want.strings(&SECURITY_GROUPS)?))
            .send()
            .await
            .call("ModifyMountTargetSecurityGroups", have.address.as_str())?;
        Ok(have.updated_to(want))
    }

    /// Delete and wait until it is gone: the file system cannot be deleted before (FileSystemInUse).
    async fn delete(ctx: &Ctx, have: &Actual, progress: &dyn Progress) -> Result<(), Error> {
        let efs = &ctx.aws.efs;
        let resource = have.address.as_str();
        match efs.delete_mount_target().mount_target_id(&have.id).send().await.call("DeleteMountTarget", resource) {
            Err(err) if err.is(ErrorClass::NotFound) => return Ok(()),
            other => {
                other?;
            }
        }
        let batch = batch(ctx, have.text(&FILE_SYSTEM), &have.props);
        wait_batched(&batch, SPEC.schedule(Op::Delete, None), (&have.id, resource), DESCRIBE, progress, |target| {
            Ok(match target {
                None => PollStatus::Ready(()),
                Some(t) if t.life_cycle_state() == &LifeCycleState::Deleted => PollStatus::Ready(()),
                Some(t) => PollStatus::Pending(format!("state {}", t.life_cycle_state().as_str())),
            })
        })
        .await?;
        Ok(())
    }
}

/// The call the waits share: one DescribeMountTargets per file system lists all of its mount targets.
const DESCRIBE: &str = "DescribeMountTargets";

/// The shared look of the waits on mount targets of the file system `fs` (see `aws::batch`). Discovery
/// and create always know the file system; a mount target known only by its id would be looked at alone.
fn batch(ctx: &Ctx, fs: Option<&str>, props: &Props) -> Arc<Batch<MountTargetDescription>> {
    batch_of(ctx, &SPEC, props, DESCRIBE, || describe(ctx.aws.efs.clone(), fs.map(str::to_owned)))
}

/// The mount targets asked for, by id: every mount target of the file system `fs` in one call, as
/// DescribeMountTargets takes one file system (or one mount target) per call
/// (https://docs.aws.amazon.com/efs/latest/ug/API_DescribeMountTargets.html); without `fs`, each id in
/// its own call. A file system or mount target that is gone answers as not found, which the batch reads
/// as absent.
fn describe(efs: aws_sdk_efs::Client, fs: Option<String>) -> BatchCall<MountTargetDescription> {
    Arc::new(move |ids: Vec<String>| {
        let (efs, fs) = (efs.clone(), fs.clone());
        Box::pin(async move {
            let mut found = Answers::new();
            let asks = match &fs {
                Some(fs) => vec![efs.describe_mount_targets().file_system_id(fs)],
                None => ids.iter().map(|id| efs.describe_mount_targets().mount_target_id(id)).collect(),
            };
            for ask in asks {
                let pages = ask.into_paginator().items().send().collect::<Result<Vec<_>, _>>().await;
                for target in pages.call(DESCRIBE, fs.as_deref().unwrap_or("mount targets"))? {
                    found.insert(target.mount_target_id().to_owned(), target);
                }
            }
            Ok(found)
        })
    })
}
