use aws_sdk_efs::types::{CreationInfo, LifeCycleState, PosixUser, RootDirectory};

use super::{efs_tags, read_tags, sync_tags};
use crate::aws::{built, poll, AwsError, ErrorClass, Outcome, PollStatus, ResultExt};
use crate::model::{tags, Actual, Desired, Kind, Value};
use crate::resources::ec2_util::client_token;
use crate::resources::wait_policy;
use crate::resources::{owned_address, Ctx, Progress};

pub async fn discover(ctx: &Ctx, fs: &Actual) -> Result<Vec<Actual>, AwsError> {
    let out = ctx
        .aws
        .efs
        .describe_access_points()
        .file_system_id(&fs.id)
        .send()
        .await
        .call("DescribeAccessPoints", &fs.id)?;
    Ok(out
        .access_points()
        .iter()
        .filter(|ap| !matches!(ap.life_cycle_state(), Some(LifeCycleState::Deleting | LifeCycleState::Deleted)))
        .filter_map(|ap| {
            let tags = read_tags(ap.tags());
            let root = ap.root_directory();
            let user = ap.posix_user();
            Some(
                Actual::new(owned_address(ctx, &tags)?, Kind::AccessPoint, ap.access_point_id()?)
                    .prop("file_system", Value::str(ap.file_system_id().unwrap_or_default()))
                    .prop("path", Value::str(root.and_then(|r| r.path()).unwrap_or("/")))
                    .prop("uid", Value::Int(user.map(|u| u.uid()).unwrap_or(0)))
                    .prop("gid", Value::Int(user.map(|u| u.gid()).unwrap_or(0)))
                    .prop(
                        "permissions",
                        Value::str(root.and_then(|r| r.creation_info()).map(|c| c.permissions()).unwrap_or_default()),
                    )
                    .prop("tags", tags::to_value(&tags))
                    .attr("arn", ap.access_point_arn().unwrap_or_default()),
            )
        })
        .collect())
}

pub async fn create(ctx: &Ctx, want: &Desired, progress: &dyn Progress) -> Result<Actual, AwsError> {
    let resource = want.address.as_str();
    let uid = want.int("uid");
    let gid = want.int("gid");
    let root = RootDirectory::builder()
        .path(want.text("path"))
        .creation_info(built(
            CreationInfo::builder().owner_uid(uid).owner_gid(gid).permissions(want.text("permissions")).build(),
            resource,
            "CreateAccessPoint",
        )?)
        .build();
    let out = ctx
        .aws
        .efs
        .create_access_point()
        .client_token(client_token(&ctx.deployment, resource, &[want.text("file_system")]))
        .file_system_id(want.text("file_system"))
        .root_directory(root)
        .posix_user(built(PosixUser::builder().uid(uid).gid(gid).build(), resource, "CreateAccessPoint")?)
        .set_tags(Some(efs_tags(want)?))
        .send()
        .await
        .call("CreateAccessPoint", resource)?;
    let id = out.access_point_id().unwrap_or_default().to_owned();
    let arn = out.access_point_arn().unwrap_or_default().to_owned();
    poll(
        wait_policy(Kind::AccessPoint),
        resource,
        "DescribeAccessPoints",
        |seen, waited| progress.waiting(seen, waited),
        || async {
            let out = ctx.aws.efs.describe_access_points().access_point_id(&id).send().await;
            match out.call("DescribeAccessPoints", resource) {
                Ok(out) => Ok(match out.access_points().first().and_then(|a| a.life_cycle_state()) {
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
    Ok(Actual { props: want.props.clone(), ..Actual::new(want.address.clone(), Kind::AccessPoint, id) }
        .attr("arn", arn))
}

/// Everything but tags is fixed at creation (a change replaces the access point).
pub async fn update_tags(ctx: &Ctx, have: &Actual, want: &Desired) -> Result<Actual, AwsError> {
    sync_tags(ctx, have, want).await?;
    Ok(Actual { props: want.props.clone(), ..have.clone() })
}

pub async fn delete(ctx: &Ctx, have: &Actual) -> Result<(), AwsError> {
    ctx.aws
        .efs
        .delete_access_point()
        .access_point_id(&have.id)
        .send()
        .await
        .call("DeleteAccessPoint", have.address.as_str())
        .gone_ok()
}
