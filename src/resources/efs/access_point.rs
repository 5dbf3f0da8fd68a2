//! The access point the nodes mount the data folder through: a fixed directory owned by one POSIX user,
//! so every node sees the same files with the same owner.

use aws_sdk_efs::types::{AccessPointDescription, CreationInfo, LifeCycleState, PosixUser, RootDirectory};

use super::{efs_tags, read_tags, sync_tags, until_available};
use crate::aws::{Outcome, PollPolicy, Required, ResultExt, Service};
use crate::model::{tags, Actual, Desired, Kind, Op, Prop, Value, TAGS};
use crate::resources::support::{built, client_token, owned_address, returned_id, wait_for};
use crate::resources::{Ctx, Error, Latency, Progress, ResourceKind, Spec};

pub const FILE_SYSTEM: Prop = Prop::new("file_system").replaces();
/// The directory inside the file system it exposes as its root.
pub const PATH: Prop = Prop::new("path").replaces();
pub const UID: Prop = Prop::new("uid").replaces();
pub const GID: Prop = Prop::new("gid").replaces();
/// The root directory's mode when EFS creates it (`0755`).
pub const PERMISSIONS: Prop = Prop::new("permissions").replaces();

pub struct AccessPoint;

const SPEC: Spec = Spec::new(Kind::AccessPoint, "access point", Service::Efs, PollPolicy::FAST, latency)
    .props(&[&FILE_SYSTEM, &PATH, &UID, &GID, &PERMISSIONS, &TAGS])
    .child_of(Kind::FileSystem)
    .deleted_after(&[Kind::AutoScalingGroup, Kind::EmrCluster]);

fn latency(op: Op, _: Option<&Desired>) -> Latency {
    match op {
        // Not published; creating -> available within seconds (E).
        Op::Create => Latency::waits(2, 1.0, 5.0),
        _ => Latency::at_once(op),
    }
}

impl ResourceKind for AccessPoint {
    const SPEC: &'static Spec = &SPEC;

    async fn discover(ctx: &Ctx, parent: Option<&Actual>) -> Result<Vec<Actual>, Error> {
        let Some(fs) = parent else { return Ok(Vec::new()) };
        let efs = &ctx.aws.efs;
        let out =
            efs.describe_access_points().file_system_id(&fs.id).send().await.call("DescribeAccessPoints", &fs.id)?;
        const CALL: &str = "DescribeAccessPoints";
        let mut found = Vec::new();
        let live = |ap: &&AccessPointDescription| {
            !matches!(ap.life_cycle_state(), Some(LifeCycleState::Deleting | LifeCycleState::Deleted))
        };
        for ap in out.access_points().iter().filter(live) {
            let tags = read_tags(ap.tags());
            let Some(address) = owned_address(ctx, &tags) else { continue };
            let at = address.as_str();
            let id = ap.access_point_id().required(CALL, "AccessPointId", at)?;
            let file_system = ap.file_system_id().required(CALL, "FileSystemId", at)?;
            let arn = ap.access_point_arn().required(CALL, "AccessPointArn", at)?.to_owned();
            let root = ap.root_directory();
            // The POSIX user and the root's creation info are reported only when the access point has
            // them; a root directory not given is EFS's default, `/`.
            let user = ap.posix_user();
            let permissions = root.and_then(|r| r.creation_info()).map(|c| Value::str(c.permissions()));
            found.push(
                Actual::new(address, Kind::AccessPoint, id)
                    .prop(&FILE_SYSTEM, Value::str(file_system))
                    .prop(&PATH, Value::str(root.and_then(|r| r.path()).unwrap_or("/")))
                    .prop_if_set(&UID, user.map(|u| Value::Int(u.uid())))
                    .prop_if_set(&GID, user.map(|u| Value::Int(u.gid())))
                    .prop_if_set(&PERMISSIONS, permissions)
                    .prop(&TAGS, tags::to_value(&tags))
                    .attr("arn", arn),
            );
        }
        Ok(found)
    }

    async fn create(ctx: &Ctx, want: &Desired, progress: &dyn Progress) -> Result<Actual, Error> {
        let efs = &ctx.aws.efs;
        let resource = want.address.as_str();
        let uid = want.int(&UID)?;
        let gid = want.int(&GID)?;
        let fs = want.text(&FILE_SYSTEM)?;
        let root = RootDirectory::builder()
            .path(want.text(&PATH)?)
            .creation_info(built(
                CreationInfo::builder().owner_uid(uid).owner_gid(gid).permissions(want.text(&PERMISSIONS)?).build(),
                resource,
                "CreateAccessPoint",
            )?)
            .build();
        let out = efs
            .create_access_point()
            .client_token(client_token(&ctx.deployment, resource, &[fs]))
            .file_system_id(fs)
            .root_directory(root)
            .posix_user(built(PosixUser::builder().uid(uid).gid(gid).build(), resource, "CreateAccessPoint")?)
            .set_tags(Some(efs_tags(want)?))
            .send()
            .await
            .call("CreateAccessPoint", resource)?;
        let id = returned_id(out.access_point_id(), resource, "CreateAccessPoint")?;
        let arn = out.access_point_arn().required("CreateAccessPoint", "AccessPointArn", resource)?.to_owned();
        wait_for(SPEC.schedule(Op::Create, Some(want)), resource, "DescribeAccessPoints", progress, || async {
            let out = efs.describe_access_points().access_point_id(&id).send().await;
            until_available(out.call("DescribeAccessPoints", resource).map(|out| {
                out.access_points().first().and_then(|a| a.life_cycle_state()).map(|state| (state.clone(), ()))
            }))
        })
        .await?;
        Ok(Actual::made(want, id).attr("arn", arn))
    }

    async fn update(ctx: &Ctx, have: &Actual, want: &Desired, _progress: &dyn Progress) -> Result<Actual, Error> {
        update_tags(ctx, have, want).await
    }

    async fn delete(ctx: &Ctx, have: &Actual, _progress: &dyn Progress) -> Result<(), Error> {
        ctx.aws
            .efs
            .delete_access_point()
            .access_point_id(&have.id)
            .send()
            .await
            .call("DeleteAccessPoint", have.address.as_str())
            .gone_ok()?;
        Ok(())
    }
}

/// Everything but tags is fixed at creation (a change replaces the access point).
async fn update_tags(ctx: &Ctx, have: &Actual, want: &Desired) -> Result<Actual, Error> {
    sync_tags(ctx, have, want).await?;
    Ok(have.updated_to(want))
}
