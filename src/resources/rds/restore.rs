//! Making the database from a DB snapshot (`database.restore_from`): RestoreDBInstanceFromDBSnapshot
//! with every setting that call takes; the instance's `create` then waits for it and sets the rest
//! with ModifyDBInstance, as its `update` does for any difference.
//!
//! What the restore call does not take, from its API reference
//! (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreDBInstanceFromDBSnapshot.html):
//! - the engine version: the restored database runs the snapshot's; a newer major version in the
//!   topology is an upgrade right after (with the new family's parameter group in the same call, as
//!   RDS requires, so the restore itself takes the family's default group in that case);
//! - the managed master password: the call's `ManageMasterUserPassword` "applies to RDS for Oracle
//!   only", so a MySQL database restored from a snapshot keeps the master password stored in the
//!   snapshot, not managed by Secrets Manager (terraform-provider-aws#31509 reports the same). The
//!   ModifyDBInstance right after turns `ManageMasterUserPassword` on, which its reference says is how
//!   an instance that does not manage its password starts to
//!   (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBInstance.html): RDS then
//!   makes a new password and keeps it in Secrets Manager, so the snapshot's old password stops working
//!   and clusterup still never holds one. A database with read replicas keeps clusterup's password
//!   instead (`secretsmanager::password`): the create sets the kept secret's password with
//!   ModifyDBInstance right after the restore, so the snapshot's old password stops working there too;
//! - encryption: the restored database is encrypted as the snapshot is (plan refuses an unencrypted one,
//!   `snapshots::resolve`).

use super::changes;
use super::instance_props::*;
use super::rds_tags;
use crate::aws::{AwsError, ErrorClass, ResultExt};
use crate::model::{Desired, Value};
use crate::resources::{Ctx, Error};

/// The snapshot's identifier and the MySQL version it holds, from the create-only `restore_from`.
pub fn source(want: &Desired) -> Result<Option<(&str, Option<&str>)>, Error> {
    if want.value(&RESTORE_FROM).is_none() {
        return Ok(None);
    }
    let map = want.map(&RESTORE_FROM)?;
    let text = |key: &str| map.get(key).and_then(Value::as_str);
    let snapshot =
        text("snapshot").ok_or_else(|| Error::Bug(format!("{}: restore_from without its snapshot", want.address)))?;
    Ok(Some((snapshot, text("engine_version"))))
}

/// Start the restore of the instance `want` from `snapshot` (holding MySQL `engine_version`). An
/// instance that exists already (an interrupted run made it) is waited for like a new one.
pub async fn start(ctx: &Ctx, want: &Desired, snapshot: &str, engine_version: Option<&str>) -> Result<(), Error> {
    let resource = want.address.as_str();
    let wanted_version = want.text(&ENGINE_VERSION)?;
    // The topology's parameter group belongs to its version's family; a snapshot of another family
    // restores with that family's default group, and the upgrade right after moves both.
    let same_family = engine_version.is_some_and(|v| changes::major(v) == changes::major(wanted_version));
    let parameter_group = if same_family { Some(want.text(&PARAMETER_GROUP)?.to_owned()) } else { None };
    let restored = ctx
        .aws
        .rds
        .restore_db_instance_from_db_snapshot()
        .db_instance_identifier(want.text(&IDENTIFIER)?)
        .db_snapshot_identifier(snapshot)
        .engine(want.text(&ENGINE)?)
        .db_instance_class(want.text(&INSTANCE_CLASS)?)
        .allocated_storage(want.int32(&STORAGE_GB)?)
        .storage_type(want.text(&STORAGE_TYPE)?)
        .multi_az(want.bool(&MULTI_AZ)?)
        .backup_retention_period(want.int32(&BACKUP_RETENTION_DAYS)?)
        .db_subnet_group_name(want.text(&SUBNET_GROUP)?)
        .set_db_parameter_group_name(parameter_group)
        .set_vpc_security_group_ids(Some(want.strings(&SECURITY_GROUPS)?))
        .publicly_accessible(false)
        .deletion_protection(want.bool(&DELETION_PROTECTION)?)
        .copy_tags_to_snapshot(true)
        // The deployment's tags, not the snapshot's (RDS copies the source's only when none are given).
        .set_tags(Some(rds_tags(want)))
        .send()
        .await
        .call("RestoreDBInstanceFromDBSnapshot", resource);
    match restored {
        Err(err) if err.is(ErrorClass::AlreadyExists) => Ok(()),
        Err(err) => Err(hint(err, snapshot).into()),
        Ok(_) => Ok(()),
    }
}

/// A snapshot deleted between plan and apply: say so and what to do.
fn hint(mut err: AwsError, snapshot: &str) -> AwsError {
    if err.code_is("DBSnapshotNotFound") || err.is(ErrorClass::NotFound) {
        err.message = format!(
            "{} (the snapshot {snapshot} the plan restores from is gone; plan again, or change database.restore_from)",
            err.message
        );
    }
    err
}

/// `want` with its changes made at once: the database was made a moment ago, nobody uses it yet, and
/// it must match the topology (its managed password above all) before anything reads it.
pub fn at_once(want: &Desired) -> Desired {
    let mut now = want.clone();
    now.props.insert(APPLY_CHANGES.name.to_owned(), Value::str("immediately"));
    now
}
