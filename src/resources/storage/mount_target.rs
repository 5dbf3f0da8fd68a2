use aws_sdk_efs::types::LifeCycleState;

use crate::aws::{poll, AwsError, ErrorClass, PollPolicy, PollStatus, ResultExt};
use crate::model::{Actual, Address, Desired, Kind, Value};
use crate::resources::network::zone_letter;
use crate::resources::wait_policy;
use crate::resources::{Ctx, Progress};

/// Mount targets of one file system; their address comes from their zone.
pub async fn discover(ctx: &Ctx, fs: &Actual) -> Result<Vec<Actual>, AwsError> {
    let out = ctx
        .aws
        .efs
        .describe_mount_targets()
        .file_system_id(&fs.id)
        .send()
        .await
        .call("DescribeMountTargets", &fs.id)?;
    let mut found = Vec::new();
    for target in out.mount_targets() {
        if matches!(target.life_cycle_state(), LifeCycleState::Deleting | LifeCycleState::Deleted) {
            continue;
        }
        let id = target.mount_target_id();
        let groups = ctx
            .aws
            .efs
            .describe_mount_target_security_groups()
            .mount_target_id(id)
            .send()
            .await
            .call("DescribeMountTargetSecurityGroups", id)?;
        let zone = target.availability_zone_name().unwrap_or_default();
        found.push(
            Actual::new(
                Address::new(format!("storage/mount-target/{}", zone_letter(&ctx.aws.region, zone))),
                Kind::MountTarget,
                id,
            )
            .prop("file_system", Value::str(&fs.id))
            .prop("subnet", Value::str(target.subnet_id()))
            .prop("security_groups", Value::List(groups.security_groups().iter().map(Value::str).collect())),
        );
    }
    Ok(found)
}

pub async fn create(ctx: &Ctx, want: &Desired, progress: &dyn Progress) -> Result<Actual, AwsError> {
    let resource = want.address.as_str();
    let fs = want.text("file_system");
    // A new file system may still be `creating`: AWS answers IncorrectFileSystemLifeCycleState, so retry.
    let id = poll(
        PollPolicy::FAST,
        resource,
        "CreateMountTarget",
        |seen, waited| progress.waiting(seen, waited),
        || async {
            let created = ctx
                .aws
                .efs
                .create_mount_target()
                .file_system_id(fs)
                .subnet_id(want.text("subnet"))
                .set_security_groups(Some(want.props.get("security_groups").map(Value::strings).unwrap_or_default()))
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
                    let out = ctx
                        .aws
                        .efs
                        .describe_mount_targets()
                        .file_system_id(fs)
                        .send()
                        .await
                        .call("DescribeMountTargets", resource)?;
                    let existing = out.mount_targets().iter().find(|t| t.subnet_id() == want.text("subnet"));
                    existing.map(|t| PollStatus::Ready(t.mount_target_id().to_owned())).ok_or(err)
                }
                Err(err) => Err(err),
            }
        },
    )
    .await?;
    // Usable once `available` (1-2 minutes on AWS; clients should wait before mounting).
    poll(
        wait_policy(Kind::MountTarget),
        resource,
        "DescribeMountTargets",
        |seen, waited| progress.waiting(seen, waited),
        || async {
            let out = ctx.aws.efs.describe_mount_targets().mount_target_id(&id).send().await;
            match out.call("DescribeMountTargets", resource) {
                Ok(out) => Ok(match out.mount_targets().first().map(|t| t.life_cycle_state()) {
                    Some(LifeCycleState::Available) => PollStatus::Ready(()),
                    Some(state) => PollStatus::Pending(format!("state {}", state.as_str())),
                    None => PollStatus::Pending("not visible yet".into()),
                }),
                Err(err) if err.is(ErrorClass::NotFound) => Ok(PollStatus::Pending("not visible yet".into())),
                Err(err) => Err(err),
            }
        },
    )
    .await?;
    Ok(Actual { props: want.props.clone(), ..Actual::new(want.address.clone(), Kind::MountTarget, id) })
}

pub async fn update(ctx: &Ctx, have: &Actual, want: &Desired) -> Result<Actual, AwsError> {
    ctx.aws
        .efs
        .modify_mount_target_security_groups()
        .mount_target_id(&have.id)
        .set_security_groups(Some(want.props.get("security_groups").map(Value::strings).unwrap_or_default()))
        .send()
        .await
        .call("ModifyMountTargetSecurityGroups", have.address.as_str())?;
    Ok(Actual { props: want.props.clone(), ..have.clone() })
}

/// Delete and wait until it is gone: the file system cannot be deleted before (FileSystemInUse).
pub async fn delete(ctx: &Ctx, have: &Actual, progress: &dyn Progress) -> Result<(), AwsError> {
    let resource = have.address.as_str();
    match ctx.aws.efs.delete_mount_target().mount_target_id(&have.id).send().await.call("DeleteMountTarget", resource) {
        Err(err) if err.is(ErrorClass::NotFound) => return Ok(()),
        other => {
            other?;
        }
    }
    poll(
        wait_policy(Kind::MountTarget),
        resource,
        "DescribeMountTargets",
        |seen, waited| progress.waiting(seen, waited),
        || async {
            match ctx
                .aws
                .efs
                .describe_mount_targets()
                .mount_target_id(&have.id)
                .send()
                .await
                .call("DescribeMountTargets", resource)
            {
                Err(err) if err.is(ErrorClass::NotFound) => Ok(PollStatus::Ready(())),
                Ok(out) => Ok(match out.mount_targets().first() {
                    None => PollStatus::Ready(()),
                    Some(t) if t.life_cycle_state() == &LifeCycleState::Deleted => PollStatus::Ready(()),
                    Some(t) => PollStatus::Pending(format!("state {}", t.life_cycle_state().as_str())),
                }),
                Err(err) => Err(err),
            }
        },
    )
    .await
}
