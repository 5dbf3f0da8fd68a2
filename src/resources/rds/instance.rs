//! The database instance: MySQL, encrypted, in the private subnets, deletion-protected while the
//! deployment lives, with its password managed by RDS in Secrets Manager, or, for a database with read
//! replicas (which RDS refuses for a managed password), the password of the deployment's kept secret
//! (`resources::secretsmanager::password`), read back from it for the create call.

use std::collections::BTreeMap;
use std::sync::Arc;

use aws_sdk_rds::types::{DbInstance as Instance, Filter};

pub use super::instance_props::*;
use super::{changes, cost, guard, rds_tags, read_tags, refusals, restore, sync_tags};
use crate::aws::batch::{Answers, Batch, BatchCall};
use crate::aws::clock::utc_stamp;
use crate::aws::{AwsError, ErrorClass, Outcome, PollPolicy, PollStatus, Required, ResultExt, Schedule, Service};
use crate::model::names::database::{final_snapshot_prefix, identifier, INSTANCE};
use crate::model::{tags, Actual, Address, Desired, Kind, Op, Prop, Props, Value, TAGS};
use crate::resources::secretsmanager::password;
use crate::resources::support::check_owner;
use crate::resources::support::{batch_of, wait_batched};
use crate::resources::{Batching, Ctx, Error, Latency, Progress, ResourceKind, Spec};

pub struct DbInstance;

// Multi-AZ creation takes 15-20 minutes.
const SPEC: Spec = Spec::new(Kind::DbInstance, "database", Service::Rds, PollPolicy::LONG, latency)
    .batched(Batching::ByIds(DESCRIBE))
    .props(&[
        &IDENTIFIER,
        &ENGINE,
        &ENGINE_VERSION,
        &INSTANCE_CLASS,
        &STORAGE_GB,
        &STORAGE_TYPE,
        &ENCRYPTED,
        &MULTI_AZ,
        &BACKUP_RETENTION_DAYS,
        &SUBNET_GROUP,
        &PARAMETER_GROUP,
        &SECURITY_GROUPS,
        &DELETION_PROTECTION,
        &MANAGED_PASSWORD,
        &PASSWORD_SECRET,
        &MASTER_USERNAME,
        &APPLY_CHANGES,
        &RESTORE_FROM,
        &TAGS,
    ])
    // App nodes use the database until they are gone. Spark uses it through its work (steps, the Hive
    // metastore), which ends when its termination is accepted: the final snapshot need not wait the
    // minutes until the cluster's instances are gone (the metastore attachment, which names the
    // database, goes first too).
    // Its read replicas name it as their source: they go first.
    .deleted_after(&[Kind::AutoScalingGroup, Kind::DbReplica])
    .deleted_after_stop(&[Kind::EmrCluster])
    .notes(changes::effects)
    .charge(cost::database)
    .refusal(refusals::refusal)
    .data_guard(guard::data_guard);

fn latency(op: Op, want: Option<&Desired>) -> Latency {
    match op {
        // Multi-AZ 15-20 min, single-AZ 4-6 (U, gh:hashicorp/terraform/issues/498, gh:tpa/issues/43322).
        Op::Create if matches!(want.map(|w| w.bool(&MULTI_AZ)), Some(Ok(true))) => {
            Latency::waits(18 * 60, 15.0 * 60.0, 20.0 * 60.0)
        }
        Op::Create => Latency::waits(5 * 60, 4.0 * 60.0, 6.0 * 60.0),
        // A class or storage change applied at once (E).
        Op::Update => Latency { typical: std::time::Duration::from_secs(10 * 60), ready_after: None },
        // 4-6 min, plus 2-5 min for the final snapshot clusterup takes by default
        // (U, gh:hashicorp/terraform/issues/32358 and /5161; E for the snapshot).
        Op::Delete => Latency::waits(8 * 60, 6.0 * 60.0, 11.0 * 60.0),
    }
}

impl ResourceKind for DbInstance {
    const SPEC: &'static Spec = &SPEC;

    async fn discover(ctx: &Ctx, _parent: Option<&Actual>) -> Result<Vec<Actual>, Error> {
        let name = identifier(&ctx.deployment);
        let Some(db) = describe(ctx, &name, &name).await? else { return Ok(vec![]) };
        // An instance on its way out is gone as far as the deployment is concerned.
        if db.db_instance_status() == Some(DELETING) {
            return Ok(vec![]);
        }
        let tags = read_tags(db.tag_list());
        check_owner(ctx, "database", &name, &tags)?;
        Ok(vec![from_aws(&db, &tags)?])
    }

    async fn create(ctx: &Ctx, want: &Desired, progress: &dyn Progress) -> Result<Actual, Error> {
        let rds = &ctx.aws.rds;
        let resource = want.address.as_str();
        let id = want.text(&IDENTIFIER)?;
        // Read again on every attempt, so a create retried after a crash sets the password the secret
        // holds, never a second one.
        let kept = match kept_secret(want)? {
            Some(arn) => Some(password::read_password(ctx, arn, resource).await?),
            None => None,
        };
        if let Some((snapshot, engine_version)) = restore::source(want)? {
            restore::start(ctx, want, snapshot, engine_version).await?;
            let schedule = SPEC.schedule(Op::Create, Some(want));
            let restored = wait_available(ctx, schedule, (id, resource), &want.props, progress).await?;
            // The restored database answers to the snapshot's password: the kept one replaces it (with a
            // managed password, `update` below turns management on instead).
            if let Some(kept) = &kept {
                rds.modify_db_instance()
                    .db_instance_identifier(id)
                    .master_user_password(kept)
                    .apply_immediately(true)
                    .send()
                    .await
                    .call("ModifyDBInstance", resource)?;
            }
            // What the restore call does not take (see `restore`), set right away.
            let mut now = Self::update(ctx, &restored, &restore::at_once(want), progress).await?;
            now.props = want.props.clone();
            return Ok(now);
        }
        let created = rds
            .create_db_instance()
            .db_instance_identifier(id)
            .engine(want.text(&ENGINE)?)
            .engine_version(want.text(&ENGINE_VERSION)?)
            .db_instance_class(want.text(&INSTANCE_CLASS)?)
            .allocated_storage(want.int32(&STORAGE_GB)?)
            .storage_type(want.text(&STORAGE_TYPE)?)
            .storage_encrypted(want.bool(&ENCRYPTED)?)
            .multi_az(want.bool(&MULTI_AZ)?)
            .backup_retention_period(want.int32(&BACKUP_RETENTION_DAYS)?)
            .db_subnet_group_name(want.text(&SUBNET_GROUP)?)
            .db_parameter_group_name(want.text(&PARAMETER_GROUP)?)
            .set_vpc_security_group_ids(Some(want.strings(&SECURITY_GROUPS)?))
            .publicly_accessible(false)
            .deletion_protection(want.bool(&DELETION_PROTECTION)?)
            .copy_tags_to_snapshot(true)
            .master_username(want.text(&MASTER_USERNAME)?)
            // RDS makes the password and keeps it in Secrets Manager, and clusterup never holds one;
            // unless the database has read replicas, where the kept secret's password goes to RDS.
            .set_manage_master_user_password(kept.is_none().then_some(true))
            .set_master_user_password(kept)
            .set_tags(Some(rds_tags(want)))
            .send()
            .await
            .call("CreateDBInstance", resource);
        let schedule = match created {
            // An interrupted run made it: wait for it like for our own, from the start (its age is unknown).
            Err(err) if err.is(ErrorClass::AlreadyExists) => SPEC.wait.into(),
            other => {
                other?;
                SPEC.schedule(Op::Create, Some(want))
            }
        };
        Ok(wait_available(ctx, schedule, (id, resource), &want.props, progress).await?)
    }

    async fn update(ctx: &Ctx, have: &Actual, want: &Desired, progress: &dyn Progress) -> Result<Actual, Error> {
        let rds = &ctx.aws.rds;
        let resource = have.address.as_str();
        let changed = |prop: &Prop| want.differs_from(have, prop);
        let now = want.text(&APPLY_CHANGES)? != "maintenance_window";
        let mut modify = rds.modify_db_instance().db_instance_identifier(&have.id).apply_immediately(now);
        let mut any = false;
        if changed(&ENGINE_VERSION) {
            let wanted = want.text(&ENGINE_VERSION)?;
            // Discovery always reports the running version; without it, allow a major upgrade.
            let major =
                have.text(&ENGINE_VERSION).is_none_or(|running| changes::major(running) != changes::major(wanted));
            modify = modify.engine_version(wanted).allow_major_version_upgrade(major);
            any = true;
        }
        // A new family's group goes with a major upgrade, in the same call (RDS requires it).
        if changed(&PARAMETER_GROUP) {
            modify = modify.db_parameter_group_name(want.text(&PARAMETER_GROUP)?);
            any = true;
        }
        if changed(&INSTANCE_CLASS) {
            modify = modify.db_instance_class(want.text(&INSTANCE_CLASS)?);
            any = true;
        }
        if changed(&STORAGE_GB) || changed(&STORAGE_TYPE) {
            modify = modify.allocated_storage(want.int32(&STORAGE_GB)?).storage_type(want.text(&STORAGE_TYPE)?);
            any = true;
        }
        if changed(&MULTI_AZ) {
            modify = modify.multi_az(want.bool(&MULTI_AZ)?);
            any = true;
        }
        if changed(&BACKUP_RETENTION_DAYS) {
            modify = modify.backup_retention_period(want.int32(&BACKUP_RETENTION_DAYS)?);
            any = true;
        }
        if changed(&SUBNET_GROUP) {
            modify = modify.db_subnet_group_name(want.text(&SUBNET_GROUP)?);
            any = true;
        }
        if changed(&SECURITY_GROUPS) {
            modify = modify.set_vpc_security_group_ids(Some(want.strings(&SECURITY_GROUPS)?));
            any = true;
        }
        if changed(&DELETION_PROTECTION) {
            modify = modify.deletion_protection(want.bool(&DELETION_PROTECTION)?);
            any = true;
        }
        // Only ever turned on: a kept password (read replicas) never replaces RDS's on a running database
        // (the plan refuses it, `refusals`), since that deletes the secret running apps read.
        if changed(&MANAGED_PASSWORD) && want.bool(&MANAGED_PASSWORD)? {
            modify = modify.manage_master_user_password(true);
            any = true;
        }
        if any {
            modify.send().await.call("ModifyDBInstance", resource)?;
        }
        sync_tags(ctx, have, want).await?;
        let schedule = SPEC.schedule(Op::Update, Some(want));
        let mut now = wait_available(ctx, schedule, (&have.id, resource), &have.props, progress).await?;
        now.props = want.props.clone();
        Ok(now)
    }

    /// Delete the database: protection off, then delete with a final snapshot named with the deployment and
    /// the time, unless the topology said `deletion: delete` (and destroy was given --delete-data).
    async fn delete(ctx: &Ctx, have: &Actual, progress: &dyn Progress) -> Result<(), Error> {
        let resource = have.address.as_str();
        let rds = &ctx.aws.rds;
        if !guard::may_delete(ctx.data) {
            return Err(Error::Refused {
                resource: resource.to_owned(),
                reason: format!("deleting {} without a final snapshot loses its data", have.id),
                hint: "pass --delete-data if that is what you want, or set `deletion: snapshot` in the topology",
            });
        }
        // Look first: an interrupted run may have started the deletion already, and RDS refuses a second one
        // with an error whose message alone says why.
        let Some(db) = describe(ctx, &have.id, resource).await? else { return Ok(()) };
        if db.db_instance_status() != Some(DELETING) {
            if db.deletion_protection() != Some(false) {
                rds.modify_db_instance()
                    .db_instance_identifier(&have.id)
                    .deletion_protection(false)
                    .apply_immediately(true)
                    .send()
                    .await
                    .call("ModifyDBInstance", resource)
                    .gone_ok()?;
            }
            let mut call = rds.delete_db_instance().db_instance_identifier(&have.id);
            call = if ctx.data.db_final_snapshot {
                call.final_db_snapshot_identifier(final_snapshot_name(&ctx.deployment))
            } else {
                call.skip_final_snapshot(true)
            };
            call.send().await.call("DeleteDBInstance", resource).gone_ok()?;
        }
        let looks = (&have.id[..], resource);
        wait_batched(&batch(ctx, &have.props), SPEC.schedule(Op::Delete, None), looks, DESCRIBE, progress, |db| {
            Ok(match db {
                None => PollStatus::Ready(()),
                Some(db) => PollStatus::Pending(format!("status {}", db.db_instance_status().unwrap_or("unknown"))),
            })
        })
        .await?;
        Ok(())
    }
}

/// The instance as discovery reports it: every field read here is one RDS always returns for an
/// instance (DescribeDBInstances), so a missing one is an error naming it, never an empty value.
fn from_aws(db: &Instance, tags: &BTreeMap<String, String>) -> Result<Actual, AwsError> {
    const CALL: &str = "DescribeDBInstances";
    let id = db.db_instance_identifier().required(CALL, "DBInstanceIdentifier", INSTANCE)?;
    let field = |value: Option<&str>, name: &'static str| value.map(Value::str).required(CALL, name, INSTANCE);
    let int =
        |value: Option<i32>, name: &'static str| value.map(|v| Value::Int(i64::from(v))).required(CALL, name, INSTANCE);
    let flag = |value: Option<bool>, name: &'static str| value.map(Value::Bool).required(CALL, name, INSTANCE);
    let parameter_group = db.db_parameter_groups().first();
    let mut actual = Actual::new(Address::new(INSTANCE), Kind::DbInstance, id)
        .prop(&IDENTIFIER, Value::str(id))
        .prop(&ENGINE, field(db.engine(), "Engine")?)
        .prop(&ENGINE_VERSION, field(db.engine_version(), "EngineVersion")?)
        .prop(&INSTANCE_CLASS, field(db.db_instance_class(), "DBInstanceClass")?)
        .prop(&STORAGE_GB, int(db.allocated_storage(), "AllocatedStorage")?)
        .prop(&STORAGE_TYPE, field(db.storage_type(), "StorageType")?)
        .prop(&ENCRYPTED, flag(db.storage_encrypted(), "StorageEncrypted")?)
        .prop(&MULTI_AZ, flag(db.multi_az(), "MultiAZ")?)
        .prop(&BACKUP_RETENTION_DAYS, int(db.backup_retention_period(), "BackupRetentionPeriod")?)
        .prop(&SUBNET_GROUP, field(db.db_subnet_group().and_then(|g| g.db_subnet_group_name()), "DBSubnetGroup")?)
        .prop(
            &SECURITY_GROUPS,
            Value::List(
                db.vpc_security_groups().iter().filter_map(|g| g.vpc_security_group_id()).map(Value::str).collect(),
            ),
        )
        .prop(&DELETION_PROTECTION, flag(db.deletion_protection(), "DeletionProtection")?)
        .prop(&MANAGED_PASSWORD, Value::Bool(db.master_user_secret().is_some()))
        .prop(
            &PARAMETER_GROUP,
            field(parameter_group.and_then(|g| g.db_parameter_group_name()), "DBParameterGroups.DBParameterGroupName")?,
        )
        .prop(&TAGS, tags::to_value(tags))
        .attr(
            changes::MAINTENANCE_WINDOW,
            db.preferred_maintenance_window().required(CALL, "PreferredMaintenanceWindow", INSTANCE)?,
        )
        .attr(
            changes::PARAMETER_APPLY_STATUS,
            parameter_group.and_then(|g| g.parameter_apply_status()).required(
                CALL,
                "DBParameterGroups.ParameterApplyStatus",
                INSTANCE,
            )?,
        )
        .attr("status", db.db_instance_status().required(CALL, "DBInstanceStatus", INSTANCE)?)
        .attr("arn", db.db_instance_arn().required(CALL, "DBInstanceArn", INSTANCE)?);
    // No endpoint while the instance is being created.
    if let Some(endpoint) = db.endpoint() {
        actual = actual
            .attr("endpoint", endpoint.address().required(CALL, "Endpoint.Address", INSTANCE)?)
            .attr("port", endpoint.port().required(CALL, "Endpoint.Port", INSTANCE)?.to_string());
    }
    if let Some(secret) = db.master_user_secret().and_then(|s| s.secret_arn()) {
        actual = actual.attr("secret_arn", secret);
    }
    // What RDS will have after the maintenance window is what the plan compares with: an accepted change
    // is not planned again, and the plan says it is pending.
    let (pending, words) = changes::pending_values(db);
    for (prop, value) in pending {
        actual = actual.prop(prop, value);
    }
    Ok(actual.attr(changes::PENDING, words))
}

/// The ARN of the kept password's secret the instance is made with, if its password is clusterup's.
fn kept_secret(want: &Desired) -> Result<Option<&str>, Error> {
    if want.value(&PASSWORD_SECRET).is_none() {
        return Ok(None);
    }
    Ok(Some(want.text(&PASSWORD_SECRET)?))
}

/// The instance as RDS describes it now, if it exists.
pub(super) async fn describe(ctx: &Ctx, id: &str, resource: &str) -> Result<Option<Instance>, AwsError> {
    let rds = &ctx.aws.rds;
    let found = rds.describe_db_instances().db_instance_identifier(id).send().await;
    Ok(found.call("DescribeDBInstances", resource).found()?.and_then(|out| out.db_instances().first().cloned()))
}

/// RDS's status of an instance on its way out.
const DELETING: &str = "deleting";

/// Wait until the instance `id` (at `resource`, with `props`) is `available`, looking as `schedule` says,
/// and return it as it is then (endpoint, secret).
async fn wait_available(
    ctx: &Ctx,
    schedule: Schedule,
    (id, resource): (&str, &str),
    props: &Props,
    progress: &dyn Progress,
) -> Result<Actual, AwsError> {
    wait_batched(&batch(ctx, props), schedule, (id, resource), DESCRIBE, progress, |db| {
        let Some(db) = db else {
            return Ok(PollStatus::Pending("not visible yet".into()));
        };
        match db.db_instance_status() {
            Some("available") => Ok(PollStatus::Ready(from_aws(&db, &read_tags(db.tag_list()))?)),
            Some(status @ ("failed" | "incompatible-parameters" | "incompatible-network" | "storage-full")) => {
                Err(AwsError::local(
                    resource,
                    "CreateDBInstance",
                    format!("database is {status}: look at its events in the RDS console"),
                ))
            }
            other => Ok(PollStatus::Pending(format!("status {}", other.unwrap_or("unknown")))),
        }
    })
    .await
}

/// `<deployment>-final-<YYYYMMDDhhmmss>`: unique, sorted by time, and says where it came from.
pub fn final_snapshot_name(deployment: &str) -> String {
    format!("{}{}", final_snapshot_prefix(deployment), utc_stamp(std::time::SystemTime::now()))
}

/// The call the waits share: one DescribeDBInstances for every instance waited on at the time.
pub(super) const DESCRIBE: &str = "DescribeDBInstances";

/// The waits' shared look (see `aws::batch`).
pub(super) fn batch(ctx: &Ctx, props: &Props) -> Arc<Batch<Instance>> {
    batch_of(ctx, &SPEC, props, DESCRIBE, || describe_many(ctx.aws.rds.clone()))
}

/// One DescribeDBInstances for several instances, by identifier: through the `db-instance-id` filter
/// (identifiers or ARNs), which lists what matches, where `DBInstanceIdentifier` takes one instance and
/// answers DBInstanceNotFound for a missing one
/// (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBInstances.html).
fn describe_many(rds: aws_sdk_rds::Client) -> BatchCall<Instance> {
    Arc::new(move |ids: Vec<String>| {
        let rds = rds.clone();
        Box::pin(async move {
            let resource = ids.join(",");
            let by_id = Filter::builder().name("db-instance-id").set_values(Some(ids.clone())).build();
            let instances: Vec<Instance> = rds
                .describe_db_instances()
                .filters(by_id)
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
                .call(DESCRIBE, &resource)?;
            // RDS keeps identifiers in lower case; answer under the identifier as asked.
            let mut found = Answers::new();
            for db in instances {
                let listed = db.db_instance_identifier().required(DESCRIBE, "DBInstanceIdentifier", &resource)?;
                if let Some(asked) = ids.iter().find(|id| id.eq_ignore_ascii_case(listed)) {
                    found.insert(asked.clone(), db);
                }
            }
            Ok(found)
        })
    })
}

#[cfg(test)]
mod tests;
