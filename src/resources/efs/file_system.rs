//! The EFS file system: the shared data folder. Found by its creation token, which is derived from the
//! deployment: one call, and a retried create can never make a second file system.

use aws_sdk_efs::types::{BackupPolicy, LifeCycleState, LifecyclePolicy, PerformanceMode, Status, TransitionToIaRules};

use super::{cost, efs_tags, guard, read_tags, sync_tags, until_available};
use crate::aws::{AwsError, ErrorClass, PollPolicy, PollStatus, Required, ResultExt, Service};
use crate::model::names::storage::{creation_token, FILE_SYSTEM};
use crate::model::{tags, Actual, Address, Desired, Kind, Op, Prop, Value, TAGS};
use crate::resources::support::{built, delete_when_free, owned_address, wait_for};
use crate::resources::{Ctx, Error, Latency, Progress, ResourceKind, Spec};

pub const CREATION_TOKEN: Prop = Prop::new("creation_token").replaces();
pub const ENCRYPTED: Prop = Prop::new("encrypted").replaces();
pub const PERFORMANCE_MODE: Prop = Prop::new("performance_mode").replaces();
/// `AFTER_30_DAYS`, or empty for no lifecycle rule.
pub const TRANSITION_TO_IA: Prop = Prop::new("transition_to_ia");
/// Automatic backups (AWS Backup's default plan).
pub const BACKUPS: Prop = Prop::new("backups");

pub struct FileSystem;

const SPEC: Spec = Spec::new(Kind::FileSystem, "file system", Service::Efs, PollPolicy::FAST, latency)
    .props(&[&CREATION_TOKEN, &ENCRYPTED, &PERFORMANCE_MODE, &TRANSITION_TO_IA, &BACKUPS, &TAGS])
    .deleted_after(&[Kind::MountTarget, Kind::AccessPoint])
    .charge(cost::file_system)
    .data_guard(guard::data_guard);

fn latency(op: Op, _: Option<&Desired>) -> Latency {
    match op {
        // 5-15 s (U, gh:turbot/steampipe-plugin-aws/pull/426)
        Op::Create => Latency::waits(10, 5.0, 15.0),
        // deleting -> deleted within seconds once the mount targets are gone (E)
        Op::Delete => Latency::waits(2, 2.0, 10.0),
        Op::Update => Latency::at_once(op),
    }
}

impl ResourceKind for FileSystem {
    const SPEC: &'static Spec = &SPEC;

    /// The file system is found by its creation token, which is derived from the deployment: one call, and
    /// a retried create can never make a second file system.
    async fn discover(ctx: &Ctx, _parent: Option<&Actual>) -> Result<Vec<Actual>, Error> {
        let efs = &ctx.aws.efs;
        let token = creation_token(&ctx.deployment);
        let out =
            efs.describe_file_systems().creation_token(&token).send().await.call("DescribeFileSystems", &token)?;
        let mut found = Vec::new();
        for fs in out.file_systems() {
            let tags = read_tags(fs.tags());
            if owned_address(ctx, &tags).is_none()
                || matches!(fs.life_cycle_state(), LifeCycleState::Deleting | LifeCycleState::Deleted)
            {
                continue;
            }
            let id = fs.file_system_id();
            // Both only describe the file system: optional where the command needs only its id.
            let reads = &ctx.aws.reads;
            let (lifecycle, backups) =
                tokio::try_join!(async { reads.optional(read_lifecycle(ctx, id).await) }, async {
                    reads.optional(read_backups(ctx, id).await)
                },)?;
            const CALL: &str = "DescribeFileSystems";
            let encrypted = fs.encrypted().required(CALL, "Encrypted", FILE_SYSTEM)?;
            let arn = fs.file_system_arn().required(CALL, "FileSystemArn", FILE_SYSTEM)?;
            found.push(
                Actual::new(Address::new(FILE_SYSTEM), Kind::FileSystem, id)
                    .prop(&CREATION_TOKEN, Value::str(fs.creation_token()))
                    .prop(&ENCRYPTED, Value::Bool(encrypted))
                    .prop(&PERFORMANCE_MODE, Value::str(fs.performance_mode().as_str()))
                    .prop_if_set(&TRANSITION_TO_IA, lifecycle.map(Value::Str))
                    .prop_if_set(&BACKUPS, backups.map(Value::Bool))
                    .prop(&TAGS, tags::to_value(&tags))
                    .attr("arn", arn)
                    .attr(
                        cost::SIZE_BYTES,
                        fs.size_in_bytes().required(CALL, "SizeInBytes", FILE_SYSTEM)?.value().to_string(),
                    ),
            );
        }
        Ok(found)
    }

    async fn create(ctx: &Ctx, want: &Desired, progress: &dyn Progress) -> Result<Actual, Error> {
        let efs = &ctx.aws.efs;
        let resource = want.address.as_str();
        let token = want.text(&CREATION_TOKEN)?;
        let created = efs
            .create_file_system()
            .creation_token(token)
            .encrypted(want.bool(&ENCRYPTED)?)
            .performance_mode(PerformanceMode::from(want.text(&PERFORMANCE_MODE)?))
            // Automatic backups from the start; later changes go through PutBackupPolicy.
            .backup(want.bool(&BACKUPS)?)
            .set_tags(Some(efs_tags(want)?))
            .send()
            .await
            .call("CreateFileSystem", resource);
        let id = match created {
            Ok(out) => out.file_system_id().to_owned(),
            // The token already made one: that is the one (an interrupted run's).
            Err(err) if err.is(ErrorClass::AlreadyExists) => {
                let out = efs
                    .describe_file_systems()
                    .creation_token(token)
                    .send()
                    .await
                    .call("DescribeFileSystems", resource)?;
                out.file_systems().first().map(|f| f.file_system_id().to_owned()).ok_or(err)?
            }
            Err(err) => return Err(err.into()),
        };
        let arn =
            wait_for(SPEC.schedule(Op::Create, Some(want)), resource, "DescribeFileSystems", progress, || async {
                let out = efs.describe_file_systems().file_system_id(&id).send().await;
                until_available(out.call("DescribeFileSystems", resource).map(|out| {
                    out.file_systems()
                        .first()
                        .map(|fs| (fs.life_cycle_state().clone(), fs.file_system_arn().map(str::to_owned)))
                }))
            })
            .await?
            .required("DescribeFileSystems", "FileSystemArn", resource)?;
        if !want.text(&TRANSITION_TO_IA)?.is_empty() {
            put_lifecycle(ctx, &id, want).await?;
        }
        Ok(Actual::made(want, id).attr("arn", arn))
    }

    async fn update(ctx: &Ctx, have: &Actual, want: &Desired, _progress: &dyn Progress) -> Result<Actual, Error> {
        if want.differs_from(have, &TRANSITION_TO_IA) {
            put_lifecycle(ctx, &have.id, want).await?;
        }
        if want.differs_from(have, &BACKUPS) {
            put_backups(ctx, &have.id, want).await?;
        }
        sync_tags(ctx, have, want).await?;
        Ok(have.updated_to(want))
    }

    /// Deletes the file system and the data in it. The commands refuse to get here without --delete-data;
    /// this checks again, so no other path can lose data by accident.
    async fn delete(ctx: &Ctx, have: &Actual, progress: &dyn Progress) -> Result<(), Error> {
        let efs = &ctx.aws.efs;
        let resource = have.address.as_str();
        if !guard::may_delete(ctx.data) {
            return Err(Error::Refused {
                resource: resource.to_owned(),
                reason: format!("{} holds the shared data; deleting it loses every file in it", have.id),
                hint: "pass --delete-data if that is what you want",
            });
        }
        // FileSystemInUse until every mount target is gone.
        delete_when_free(resource, "DeleteFileSystem", progress, || async {
            ctx.aws
                .efs
                .delete_file_system()
                .file_system_id(&have.id)
                .send()
                .await
                .call("DeleteFileSystem", resource)
                .map(|_| ())
        })
        .await?;
        wait_for(SPEC.schedule(Op::Delete, None), resource, "DescribeFileSystems", progress, || async {
            match efs
                .describe_file_systems()
                .file_system_id(&have.id)
                .send()
                .await
                .call("DescribeFileSystems", resource)
            {
                Err(err) if err.is(ErrorClass::NotFound) => Ok(PollStatus::Ready(())),
                Ok(out) => Ok(match out.file_systems().first() {
                    None => PollStatus::Ready(()),
                    Some(fs) if fs.life_cycle_state() == &LifeCycleState::Deleted => PollStatus::Ready(()),
                    Some(fs) => PollStatus::Pending(format!("state {}", fs.life_cycle_state().as_str())),
                }),
                Err(err) => Err(err),
            }
        })
        .await?;
        Ok(())
    }
}

async fn read_lifecycle(ctx: &Ctx, id: &str) -> Result<String, AwsError> {
    let efs = &ctx.aws.efs;
    let out = efs
        .describe_lifecycle_configuration()
        .file_system_id(id)
        .send()
        .await
        .call("DescribeLifecycleConfiguration", id)?;
    // No transition-to-IA policy: files stay in Standard, which the topology writes as "".
    Ok(out
        .lifecycle_policies()
        .iter()
        .find_map(|p| p.transition_to_ia())
        .map(|t| t.as_str().to_owned())
        .unwrap_or_default())
}

async fn read_backups(ctx: &Ctx, id: &str) -> Result<bool, AwsError> {
    let efs = &ctx.aws.efs;
    match efs.describe_backup_policy().file_system_id(id).send().await.call("DescribeBackupPolicy", id) {
        Ok(out) => Ok(out.backup_policy().is_some_and(|p| matches!(p.status(), Status::Enabled | Status::Enabling))),
        // No policy at all means backups were never turned on.
        Err(err) if err.is(ErrorClass::NotFound) => Ok(false),
        Err(err) => Err(err),
    }
}

async fn put_lifecycle(ctx: &Ctx, id: &str, want: &Desired) -> Result<(), Error> {
    let policies = match want.text(&TRANSITION_TO_IA)? {
        "" => vec![],
        rule => vec![LifecyclePolicy::builder().transition_to_ia(TransitionToIaRules::from(rule)).build()],
    };
    ctx.aws
        .efs
        .put_lifecycle_configuration()
        .file_system_id(id)
        .set_lifecycle_policies(Some(policies))
        .send()
        .await
        .call("PutLifecycleConfiguration", want.address.as_str())?;
    Ok(())
}

/// Turn automatic backups on or off.
async fn put_backups(ctx: &Ctx, id: &str, want: &Desired) -> Result<(), Error> {
    let resource = want.address.as_str();
    let status = if want.bool(&BACKUPS)? { Status::Enabled } else { Status::Disabled };
    ctx.aws
        .efs
        .put_backup_policy()
        .file_system_id(id)
        .backup_policy(built(BackupPolicy::builder().status(status).build(), resource, "PutBackupPolicy")?)
        .send()
        .await
        .call("PutBackupPolicy", resource)?;
    Ok(())
}

/// The emulator answers PutBackupPolicy with 500 (not implemented), so turning backups on and off on an
/// existing file system is covered here with SDK mocks, as the test names say.
#[cfg(test)]
mod tests {
    use aws_sdk_efs::operation::put_backup_policy::{PutBackupPolicyError, PutBackupPolicyOutput};
    use aws_sdk_efs::types::error::FileSystemNotFound;
    use aws_sdk_efs::Client;
    use aws_smithy_mocks::{mock, mock_client};
    use aws_smithy_types::error::ErrorMetadata;

    use super::*;
    use crate::aws::Aws;
    use crate::resources::{DataPolicy, Quiet};

    fn ctx(efs: Client) -> Ctx {
        Ctx { aws: Aws { efs, ..Aws::offline() }, deployment: "demo".into(), data: DataPolicy::default() }
    }

    fn file_system(backups: bool) -> (Actual, Desired) {
        let have = Actual::new(Address::new(FILE_SYSTEM), Kind::FileSystem, "fs-123")
            .prop(&TRANSITION_TO_IA, Value::str(""))
            .prop(&BACKUPS, Value::Bool(backups));
        let want = Desired::new(FILE_SYSTEM, Kind::FileSystem)
            .prop(&TRANSITION_TO_IA, Value::str(""))
            .prop(&BACKUPS, Value::Bool(!backups));
        (have, want)
    }

    #[tokio::test]
    async fn put_backup_policy_sdk_mock_emulator_gap_turns_backups_off_and_on() {
        for (from, status) in [(true, Status::Disabled), (false, Status::Enabled)] {
            let expected = status.clone();
            let rule = mock!(Client::put_backup_policy)
                .match_requests(move |req| {
                    req.file_system_id() == Some("fs-123") && req.backup_policy().map(|p| p.status()) == Some(&expected)
                })
                .then_output(|| PutBackupPolicyOutput::builder().build());
            let efs = mock_client!(aws_sdk_efs, [&rule]);
            let (have, want) = file_system(from);
            let updated = FileSystem::update(&ctx(efs), &have, &want, &Quiet).await.expect("backup policy updated");
            assert_eq!(rule.num_calls(), 1, "one PutBackupPolicy with status {status:?}");
            assert_eq!(updated.props.get(BACKUPS.name), Some(&Value::Bool(!from)));
        }
    }

    #[tokio::test]
    async fn put_backup_policy_sdk_mock_emulator_gap_error_names_resource_call_and_code() {
        let rule = mock!(Client::put_backup_policy).then_error(|| {
            PutBackupPolicyError::FileSystemNotFound(
                FileSystemNotFound::builder()
                    .error_code("FileSystemNotFound")
                    .message("File system 'fs-123' does not exist.")
                    .meta(
                        ErrorMetadata::builder()
                            .code("FileSystemNotFound")
                            .message("File system 'fs-123' does not exist.")
                            .build(),
                    )
                    .build()
                    .expect("error shape"),
            )
        });
        let efs = mock_client!(aws_sdk_efs, [&rule]);
        let (have, want) = file_system(true);
        let err = FileSystem::update(&ctx(efs), &have, &want, &Quiet).await.expect_err("must fail");
        let text = err.to_string();
        assert!(text.starts_with("storage/file-system: PutBackupPolicy failed: FileSystemNotFound"), "{text}");
        assert!(err.is(ErrorClass::NotFound));
    }
}
