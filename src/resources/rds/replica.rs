//! A read replica of the database (`database.read_replicas`): CreateDBInstanceReadReplica of the
//! deployment's instance, named `<deployment>-db-replica-<n>`, single-AZ, not public, not
//! deletion-protected (it holds no data of its own), on the database's parameter group (TLS required)
//! and security group, tagged like every resource.
//!
//! Its zone is chosen when it is made: the first of the deployment's zones that neither the database
//! (its AvailabilityZone) nor an earlier replica uses, so a zone's outage leaves a reader elsewhere; an
//! earlier replica being made at the same time is counted as taking the next free zone. With every zone
//! taken none is pinned and RDS chooses.
//!
//! RDS makes replicas only of a source without a managed master password when it runs MySQL (see
//! `resources::secretsmanager::password`); the composition gives a database with replicas a kept
//! password. Destroy deletes replicas before the database (they name it as their source), without a
//! final snapshot and with their automated backups.

use std::collections::BTreeMap;

use aws_sdk_rds::types::{DbInstance as Instance, Filter};

use super::instance::{describe, DESCRIBE};
use super::instance_props::{IDENTIFIER, INSTANCE_CLASS, PARAMETER_GROUP, SECURITY_GROUPS, STORAGE_GB};
use super::{rds_tags, read_tags, sync_tags};
use crate::aws::{AwsError, ErrorClass, Outcome, PollPolicy, PollStatus, Required, ResultExt, Service};
use crate::model::names::database::{replica_identifier, replica_number, REPLICAS};
use crate::model::{tags, Actual, Address, Desired, Kind, Op, Prop, Value, TAGS};
use crate::resources::support::{check_owner, wait_batched};
use crate::resources::{Batching, Ctx, Error, Latency, Progress, ResourceKind, Spec};

pub struct DbReplica;

/// The identifier of the database it replicates; another source is another replica.
pub const SOURCE: Prop = Prop::new("source").replaces();
/// Create-only: the deployment's zones, in order, to place it in one the database and earlier replicas
/// leave free.
pub const ZONES: Prop = Prop::new("zones");

/// Most replicas discovery looks for (the topology allows no more).
const MOST: usize = crate::topology::MAX_READ_REPLICAS;

const SPEC: Spec = Spec::new(Kind::DbReplica, "database read replica", Service::Rds, PollPolicy::LONG, latency)
    .batched(Batching::ByIds(DESCRIBE))
    .props(&[&IDENTIFIER, &SOURCE, &INSTANCE_CLASS, &STORAGE_GB, &PARAMETER_GROUP, &SECURITY_GROUPS, &ZONES, &TAGS])
    // The nodes read from it until they are gone.
    .deleted_after(&[Kind::AutoScalingGroup])
    .charge(super::cost::replica);

fn latency(op: Op, _want: Option<&Desired>) -> Latency {
    match op {
        // A replica is a single-AZ instance made from a snapshot of the source: as long as a single-AZ
        // database, 4-6 min (U, gh:hashicorp/terraform/issues/498).
        Op::Create => Latency::waits(5 * 60, 4.0 * 60.0, 6.0 * 60.0),
        // A class change restarts it (E).
        Op::Update => Latency { typical: std::time::Duration::from_secs(10 * 60), ready_after: None },
        // No final snapshot: the single-AZ deletion alone, 4-6 min (U, gh:hashicorp/terraform/issues/32358).
        Op::Delete => Latency::waits(5 * 60, 4.0 * 60.0, 6.0 * 60.0),
    }
}

impl ResourceKind for DbReplica {
    const SPEC: &'static Spec = &SPEC;

    async fn discover(ctx: &Ctx, _parent: Option<&Actual>) -> Result<Vec<Actual>, Error> {
        let mut found = Vec::new();
        for db in list(ctx, &ctx.deployment).await? {
            if db.db_instance_status() == Some("deleting") {
                continue;
            }
            let id = db.db_instance_identifier().required(DESCRIBE, "DBInstanceIdentifier", REPLICAS)?;
            let tags = read_tags(db.tag_list());
            check_owner(ctx, SPEC.label, id, &tags)?;
            found.push(from_aws(&db, &tags)?);
        }
        Ok(found)
    }

    async fn create(ctx: &Ctx, want: &Desired, progress: &dyn Progress) -> Result<Actual, Error> {
        let resource = want.address.as_str();
        let id = want.text(&IDENTIFIER)?;
        let source = want.text(&SOURCE)?;
        let zone = match describe(ctx, id, resource).await? {
            // An interrupted run made it already: wait for it.
            Some(_) => None,
            None => zone_for(ctx, want, source).await?,
        };
        let created = ctx
            .aws
            .rds
            .create_db_instance_read_replica()
            .db_instance_identifier(id)
            .source_db_instance_identifier(source)
            .db_instance_class(want.text(&INSTANCE_CLASS)?)
            .db_parameter_group_name(want.text(&PARAMETER_GROUP)?)
            // Without it a replica gets the VPC's default security group (CreateDBInstanceReadReplica).
            .set_vpc_security_group_ids(Some(want.strings(&SECURITY_GROUPS)?))
            .set_availability_zone(zone)
            .publicly_accessible(false)
            // Set, not left to the defaults: an emulator copies the source's (Multi-AZ, protected).
            .multi_az(false)
            .deletion_protection(false)
            .copy_tags_to_snapshot(true)
            .set_tags(Some(rds_tags(want)))
            .send()
            .await
            .call("CreateDBInstanceReadReplica", resource);
        let schedule = match created {
            Err(err) if err.is(ErrorClass::AlreadyExists) => SPEC.wait.into(),
            other => {
                other?;
                SPEC.schedule(Op::Create, Some(want))
            }
        };
        let mut made = wait_available(ctx, schedule, id, resource, progress).await?;
        // Create-only inputs are not read back.
        made.props = want.props.clone();
        Ok(made)
    }

    async fn update(ctx: &Ctx, have: &Actual, want: &Desired, progress: &dyn Progress) -> Result<Actual, Error> {
        let resource = have.address.as_str();
        let changed = |prop: &Prop| want.differs_from(have, prop);
        let mut modify = ctx.aws.rds.modify_db_instance().db_instance_identifier(&have.id).apply_immediately(true);
        let mut any = false;
        if changed(&INSTANCE_CLASS) {
            modify = modify.db_instance_class(want.text(&INSTANCE_CLASS)?);
            any = true;
        }
        // A replica's storage grows with the database's: RDS does not grow it on its own.
        if changed(&STORAGE_GB) {
            modify = modify.allocated_storage(want.int32(&STORAGE_GB)?);
            any = true;
        }
        if changed(&PARAMETER_GROUP) {
            modify = modify.db_parameter_group_name(want.text(&PARAMETER_GROUP)?);
            any = true;
        }
        if changed(&SECURITY_GROUPS) {
            modify = modify.set_vpc_security_group_ids(Some(want.strings(&SECURITY_GROUPS)?));
            any = true;
        }
        if any {
            modify.send().await.call("ModifyDBInstance", resource)?;
        }
        sync_tags(ctx, have, want).await?;
        let schedule = SPEC.schedule(Op::Update, Some(want));
        let mut now = wait_available(ctx, schedule, &have.id, resource, progress).await?;
        now.props = want.props.clone();
        Ok(now)
    }

    /// No final snapshot (a replica's data is the database's) and no automated backups left behind.
    async fn delete(ctx: &Ctx, have: &Actual, progress: &dyn Progress) -> Result<(), Error> {
        let resource = have.address.as_str();
        let rds = &ctx.aws.rds;
        let Some(db) = describe(ctx, &have.id, resource).await? else { return Ok(()) };
        if db.db_instance_status() != Some("deleting") {
            if db.deletion_protection() == Some(true) {
                rds.modify_db_instance()
                    .db_instance_identifier(&have.id)
                    .deletion_protection(false)
                    .apply_immediately(true)
                    .send()
                    .await
                    .call("ModifyDBInstance", resource)
                    .gone_ok()?;
            }
            rds.delete_db_instance()
                .db_instance_identifier(&have.id)
                .skip_final_snapshot(true)
                .delete_automated_backups(true)
                .send()
                .await
                .call("DeleteDBInstance", resource)
                .gone_ok()?;
        }
        let batch = super::instance::batch(ctx, &have.props);
        wait_batched(&batch, SPEC.schedule(Op::Delete, None), (&have.id, resource), DESCRIBE, progress, |db| {
            Ok(match db {
                None => PollStatus::Ready(()),
                Some(db) => PollStatus::Pending(format!("status {}", db.db_instance_status().unwrap_or("unknown"))),
            })
        })
        .await?;
        Ok(())
    }
}

/// The deployment's replicas as RDS lists them: one DescribeDBInstances for every identifier a replica
/// can have (`db-instance-id` lists what matches).
async fn list(ctx: &Ctx, deployment: &str) -> Result<Vec<Instance>, AwsError> {
    let ids: Vec<String> = (1..=MOST).map(|n| replica_identifier(deployment, n)).collect();
    let by_id = Filter::builder().name("db-instance-id").set_values(Some(ids)).build();
    ctx.aws
        .rds
        .describe_db_instances()
        .filters(by_id)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .call(DESCRIBE, REPLICAS)
}

/// The zone for the replica `want` of `source`: the first of its zones that neither the source nor an
/// earlier replica uses; an earlier replica not placed yet (made at the same time) takes the next free
/// one. None when every zone is taken (RDS then chooses).
async fn zone_for(ctx: &Ctx, want: &Desired, source: &str) -> Result<Option<String>, Error> {
    let resource = want.address.as_str();
    let zones = match want.value(&ZONES) {
        Some(value) => value.strings(),
        None => return Ok(None),
    };
    let number = replica_number(resource)
        .ok_or_else(|| Error::Bug(format!("{resource}: not a replica's address (database/replicas/<n>)")))?;
    let source_zone = describe(ctx, source, resource).await?.and_then(|db| db.availability_zone().map(str::to_owned));
    let mut placed: BTreeMap<usize, Option<String>> = BTreeMap::new();
    for db in list(ctx, &ctx.deployment).await? {
        let n = db
            .db_instance_identifier()
            .and_then(|id| (1..=MOST).find(|n| replica_identifier(&ctx.deployment, *n) == id));
        if let Some(n) = n.filter(|n| *n < number) {
            placed.insert(n, db.availability_zone().map(str::to_owned));
        }
    }
    Ok(choose_zone(&zones, source_zone.as_deref(), number, &placed))
}

/// See [`zone_for`]: `placed` is the zone of each earlier replica that exists (None: not placed yet).
fn choose_zone(
    zones: &[String],
    source: Option<&str>,
    number: usize,
    placed: &BTreeMap<usize, Option<String>>,
) -> Option<String> {
    let taken: Vec<&str> = source.into_iter().chain(placed.values().filter_map(|z| z.as_deref())).collect();
    let unplaced = (1..number).filter(|n| !matches!(placed.get(n), Some(Some(_)))).count();
    zones.iter().filter(|z| !taken.contains(&z.as_str())).nth(unplaced).cloned()
}

/// Wait until the replica `id` is available, and return it as it is then (endpoint, zone).
async fn wait_available(
    ctx: &Ctx,
    schedule: crate::aws::Schedule,
    id: &str,
    resource: &str,
    progress: &dyn Progress,
) -> Result<Actual, AwsError> {
    let batch = super::instance::batch(ctx, &crate::model::Props::new());
    wait_batched(&batch, schedule, (id, resource), DESCRIBE, progress, |db| {
        let Some(db) = db else { return Ok(PollStatus::Pending("not visible yet".into())) };
        match db.db_instance_status() {
            Some("available") => Ok(PollStatus::Ready(from_aws(&db, &read_tags(db.tag_list()))?)),
            Some(status @ ("failed" | "incompatible-parameters" | "incompatible-network" | "storage-full")) => {
                Err(AwsError::local(
                    resource,
                    "CreateDBInstanceReadReplica",
                    format!("read replica is {status}: look at its events in the RDS console"),
                ))
            }
            other => Ok(PollStatus::Pending(format!("status {}", other.unwrap_or("unknown")))),
        }
    })
    .await
}

/// The replica as DescribeDBInstances reports it.
fn from_aws(db: &Instance, tags: &BTreeMap<String, String>) -> Result<Actual, AwsError> {
    const CALL: &str = DESCRIBE;
    let id = db.db_instance_identifier().required(CALL, "DBInstanceIdentifier", REPLICAS)?;
    let address = tags
        .get(tags::RESOURCE)
        .map_or_else(|| Address::new(format!("{REPLICAS}{}", id.rsplit('-').next().unwrap_or(id))), Address::new);
    let at = address.as_str().to_owned();
    let field = |value: Option<&str>, name: &'static str| value.map(Value::str).required(CALL, name, &at);
    let parameter_group = db.db_parameter_groups().first().and_then(|g| g.db_parameter_group_name());
    let mut actual = Actual::new(address.clone(), Kind::DbReplica, id)
        .prop(&IDENTIFIER, Value::str(id))
        .prop(&SOURCE, field(db.read_replica_source_db_instance_identifier(), "ReadReplicaSourceDBInstanceIdentifier")?)
        .prop(&INSTANCE_CLASS, field(db.db_instance_class(), "DBInstanceClass")?)
        .prop(
            &STORAGE_GB,
            db.allocated_storage().map(|v| Value::Int(i64::from(v))).required(CALL, "AllocatedStorage", &at)?,
        )
        .prop(&PARAMETER_GROUP, field(parameter_group, "DBParameterGroups.DBParameterGroupName")?)
        .prop(
            &SECURITY_GROUPS,
            Value::List(
                db.vpc_security_groups().iter().filter_map(|g| g.vpc_security_group_id()).map(Value::str).collect(),
            ),
        )
        .prop(&TAGS, tags::to_value(tags))
        .attr("status", db.db_instance_status().required(CALL, "DBInstanceStatus", &at)?)
        .attr("arn", db.db_instance_arn().required(CALL, "DBInstanceArn", &at)?);
    if let Some(zone) = db.availability_zone() {
        actual = actual.attr("zone", zone);
    }
    // No endpoint while it is being created.
    if let Some(endpoint) = db.endpoint() {
        actual = actual
            .attr("endpoint", endpoint.address().required(CALL, "Endpoint.Address", &at)?)
            .attr("port", endpoint.port().required(CALL, "Endpoint.Port", &at)?.to_string());
    }
    Ok(actual)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zones() -> Vec<String> {
        ["us-east-1a", "us-east-1b", "us-east-1c"].map(String::from).to_vec()
    }

    #[test]
    fn a_replica_goes_where_neither_the_database_nor_an_earlier_replica_is() {
        let none = BTreeMap::new();
        assert_eq!(choose_zone(&zones(), Some("us-east-1a"), 1, &none).as_deref(), Some("us-east-1b"));
        // The first replica is in 1c already: the second takes 1b.
        let placed = BTreeMap::from([(1, Some("us-east-1c".to_owned()))]);
        assert_eq!(choose_zone(&zones(), Some("us-east-1a"), 2, &placed).as_deref(), Some("us-east-1b"));
        // Made at the same time as the first, which is not placed yet: the zone after the one it takes.
        assert_eq!(choose_zone(&zones(), Some("us-east-1a"), 2, &none).as_deref(), Some("us-east-1c"));
        let unplaced = BTreeMap::from([(1, None)]);
        assert_eq!(choose_zone(&zones(), Some("us-east-1a"), 2, &unplaced).as_deref(), Some("us-east-1c"));
        // Every zone taken: none pinned.
        assert_eq!(choose_zone(&zones(), Some("us-east-1a"), 3, &none), None);
        // The database's zone unknown: the first zone.
        assert_eq!(choose_zone(&zones(), None, 1, &none).as_deref(), Some("us-east-1a"));
    }
}
