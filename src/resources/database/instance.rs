use super::{identifier, rds_tags, read_tags, sync_tags, INSTANCE};
use crate::aws::clock::utc_stamp;
use crate::aws::{poll, AwsError, ErrorClass, Outcome, PollStatus, ResultExt};
use crate::model::{tags, Actual, Address, Desired, Kind, Value};
use crate::resources::wait_policy;
use crate::resources::{check_owner, Ctx, Progress};

fn from_aws(db: &aws_sdk_rds::types::DbInstance, tags: &std::collections::BTreeMap<String, String>) -> Actual {
    let id = db.db_instance_identifier().unwrap_or_default();
    let endpoint = db.endpoint();
    let mut actual = Actual::new(Address::new(INSTANCE), Kind::DbInstance, id)
        .prop("identifier", Value::str(id))
        .prop("engine", Value::str(db.engine().unwrap_or_default()))
        .prop("engine_version", Value::str(db.engine_version().unwrap_or_default()))
        .prop("instance_class", Value::str(db.db_instance_class().unwrap_or_default()))
        .prop("storage_gb", Value::Int(i64::from(db.allocated_storage().unwrap_or(0))))
        .prop("storage_type", Value::str(db.storage_type().unwrap_or_default()))
        .prop("encrypted", Value::Bool(db.storage_encrypted().unwrap_or(false)))
        .prop("multi_az", Value::Bool(db.multi_az().unwrap_or(false)))
        .prop("backup_retention_days", Value::Int(i64::from(db.backup_retention_period().unwrap_or(0))))
        .prop(
            "subnet_group",
            Value::str(db.db_subnet_group().and_then(|g| g.db_subnet_group_name()).unwrap_or_default()),
        )
        .prop(
            "security_groups",
            Value::List(
                db.vpc_security_groups().iter().filter_map(|g| g.vpc_security_group_id()).map(Value::str).collect(),
            ),
        )
        .prop("deletion_protection", Value::Bool(db.deletion_protection().unwrap_or(false)))
        .prop("managed_password", Value::Bool(db.master_user_secret().is_some()))
        .prop("tags", tags::to_value(tags))
        .attr("status", db.db_instance_status().unwrap_or("unknown"))
        .attr("arn", db.db_instance_arn().unwrap_or_default());
    if let Some(endpoint) = endpoint {
        actual = actual
            .attr("endpoint", endpoint.address().unwrap_or_default())
            .attr("port", endpoint.port().unwrap_or(3306).to_string());
    }
    if let Some(secret) = db.master_user_secret().and_then(|s| s.secret_arn()) {
        actual = actual.attr("secret_arn", secret);
    }
    actual
}

pub async fn discover(ctx: &Ctx) -> Result<Vec<Actual>, AwsError> {
    let name = identifier(&ctx.deployment);
    let found = ctx.aws.rds.describe_db_instances().db_instance_identifier(&name).send().await;
    let db = found.call("DescribeDBInstances", &name).found()?.and_then(|out| out.db_instances().first().cloned());
    let Some(db) = db else { return Ok(vec![]) };
    // An instance on its way out is gone as far as the deployment is concerned.
    if db.db_instance_status() == Some("deleting") {
        return Ok(vec![]);
    }
    let tags = read_tags(db.tag_list());
    check_owner(ctx, "database", &name, &tags)?;
    Ok(vec![from_aws(&db, &tags)])
}

pub async fn create(ctx: &Ctx, want: &Desired, progress: &dyn Progress) -> Result<Actual, AwsError> {
    let resource = want.address.as_str();
    let id = want.text("identifier");
    let created = ctx
        .aws
        .rds
        .create_db_instance()
        .db_instance_identifier(id)
        .engine(want.text("engine"))
        .engine_version(want.text("engine_version"))
        .db_instance_class(want.text("instance_class"))
        .allocated_storage(want.int("storage_gb") as i32)
        .storage_type(want.text("storage_type"))
        .storage_encrypted(true)
        .multi_az(want.value("multi_az").and_then(Value::as_bool).unwrap_or(true))
        .backup_retention_period(want.int("backup_retention_days") as i32)
        .db_subnet_group_name(want.text("subnet_group"))
        .db_parameter_group_name(want.text("parameter_group"))
        .set_vpc_security_group_ids(Some(want.props.get("security_groups").map(Value::strings).unwrap_or_default()))
        .publicly_accessible(false)
        .deletion_protection(true)
        .copy_tags_to_snapshot(true)
        .master_username(want.text("master_username"))
        // RDS makes the password and keeps it in Secrets Manager; clusterup never holds one.
        .manage_master_user_password(true)
        .set_tags(Some(rds_tags(want)))
        .send()
        .await
        .call("CreateDBInstance", resource);
    match created {
        Err(err) if err.is(ErrorClass::AlreadyExists) => {}
        other => {
            other?;
        }
    }
    wait_available(ctx, id, resource, progress).await
}

/// Wait until the instance is `available`, and return it as it is then (endpoint, secret).
async fn wait_available(ctx: &Ctx, id: &str, resource: &str, progress: &dyn Progress) -> Result<Actual, AwsError> {
    poll(
        wait_policy(Kind::DbInstance),
        resource,
        "DescribeDBInstances",
        |seen, waited| progress.waiting(seen, waited),
        || async {
            let out = ctx.aws.rds.describe_db_instances().db_instance_identifier(id).send().await;
            let db =
                out.call("DescribeDBInstances", resource).found()?.and_then(|out| out.db_instances().first().cloned());
            let Some(db) = db else { return Ok(PollStatus::Pending("not visible yet".into())) };
            match db.db_instance_status() {
                Some("available") => Ok(PollStatus::Ready(from_aws(&db, &read_tags(db.tag_list())))),
                Some(status @ ("failed" | "incompatible-parameters" | "incompatible-network" | "storage-full")) => {
                    Err(AwsError::local(
                        resource,
                        "CreateDBInstance",
                        format!("database is {status}: look at its events in the RDS console"),
                    ))
                }
                other => Ok(PollStatus::Pending(format!("status {}", other.unwrap_or("unknown")))),
            }
        },
    )
    .await
}

pub async fn update(ctx: &Ctx, have: &Actual, want: &Desired, progress: &dyn Progress) -> Result<Actual, AwsError> {
    let resource = have.address.as_str();
    let changed = |key: &str| want.differs_from(have, key);
    let mut modify = ctx.aws.rds.modify_db_instance().db_instance_identifier(&have.id).apply_immediately(true);
    let mut any = false;
    if changed("engine_version") && !want.text("engine_version").is_empty() {
        let running = have.props.get("engine_version").and_then(Value::as_str).unwrap_or_default();
        let major = |v: &str| v.split('.').take(2).collect::<Vec<_>>().join(".");
        modify = modify
            .engine_version(want.text("engine_version"))
            .allow_major_version_upgrade(major(running) != major(want.text("engine_version")));
        any = true;
    }
    if changed("instance_class") {
        modify = modify.db_instance_class(want.text("instance_class"));
        any = true;
    }
    if changed("storage_gb") || changed("storage_type") {
        modify = modify.allocated_storage(want.int("storage_gb") as i32).storage_type(want.text("storage_type"));
        any = true;
    }
    if changed("multi_az") {
        modify = modify.multi_az(want.value("multi_az").and_then(Value::as_bool).unwrap_or(true));
        any = true;
    }
    if changed("backup_retention_days") {
        modify = modify.backup_retention_period(want.int("backup_retention_days") as i32);
        any = true;
    }
    if changed("subnet_group") {
        modify = modify.db_subnet_group_name(want.text("subnet_group"));
        any = true;
    }
    if changed("security_groups") {
        modify = modify.set_vpc_security_group_ids(Some(
            want.props.get("security_groups").map(Value::strings).unwrap_or_default(),
        ));
        any = true;
    }
    if changed("deletion_protection") {
        modify = modify.deletion_protection(true);
        any = true;
    }
    if changed("managed_password") {
        modify = modify.manage_master_user_password(true);
        any = true;
    }
    if any {
        modify.send().await.call("ModifyDBInstance", resource)?;
    }
    sync_tags(ctx, have, want).await?;
    let mut now = wait_available(ctx, &have.id, resource, progress).await?;
    now.props = want.props.clone();
    Ok(now)
}

/// Delete the database: protection off, then delete with a final snapshot named with the deployment and
/// the time, unless the topology said `deletion: delete` (and destroy was given --delete-data).
pub async fn delete(ctx: &Ctx, have: &Actual, progress: &dyn Progress) -> Result<(), AwsError> {
    let resource = have.address.as_str();
    let rds = &ctx.aws.rds;
    if have.props.get("deletion_protection").and_then(Value::as_bool) != Some(false) {
        match rds
            .modify_db_instance()
            .db_instance_identifier(&have.id)
            .deletion_protection(false)
            .apply_immediately(true)
            .send()
            .await
            .call("ModifyDBInstance", resource)
        {
            Err(err) if err.is(ErrorClass::NotFound) => return Ok(()),
            other => {
                other?;
            }
        }
    }
    let mut call = rds.delete_db_instance().db_instance_identifier(&have.id);
    call = if ctx.data.db_final_snapshot {
        call.final_db_snapshot_identifier(final_snapshot_name(&ctx.deployment))
    } else {
        call.skip_final_snapshot(true)
    };
    match call.send().await.call("DeleteDBInstance", resource) {
        Err(err) if err.is(ErrorClass::NotFound) => return Ok(()),
        // Already being deleted by an interrupted run.
        Err(err) if err.code_is("InvalidDBInstanceState") && err.message.contains("deleting") => {}
        other => {
            other?;
        }
    }
    poll(
        wait_policy(Kind::DbInstance),
        resource,
        "DescribeDBInstances",
        |seen, waited| progress.waiting(seen, waited),
        || async {
            match rds
                .describe_db_instances()
                .db_instance_identifier(&have.id)
                .send()
                .await
                .call("DescribeDBInstances", resource)
            {
                Err(err) if err.is(ErrorClass::NotFound) => Ok(PollStatus::Ready(())),
                Ok(out) => Ok(match out.db_instances().first() {
                    None => PollStatus::Ready(()),
                    Some(db) => PollStatus::Pending(format!("status {}", db.db_instance_status().unwrap_or("unknown"))),
                }),
                Err(err) => Err(err),
            }
        },
    )
    .await
}

/// `<deployment>-final-<YYYYMMDDhhmmss>`: unique, sorted by time, and says where it came from.
pub fn final_snapshot_name(deployment: &str) -> String {
    format!("{deployment}-final-{}", utc_stamp(std::time::SystemTime::now()))
}
