//! A database made from a snapshot on AWS: RDS restores a MySQL database without the managed master
//! password (RestoreDBInstanceFromDBSnapshot's `ManageMasterUserPassword` applies to RDS for Oracle
//! only), which the emulator does not show (it copies the source instance's setting into the restored
//! one). Covered with SDK mocks, as the test name says: the restore, then ModifyDBInstance turning the
//! managed password on at once, even for a topology that leaves changes to the maintenance window.

use std::collections::BTreeMap;

use aws_sdk_rds::operation::describe_db_instances::DescribeDbInstancesOutput;
use aws_sdk_rds::operation::modify_db_instance::ModifyDbInstanceOutput;
use aws_sdk_rds::operation::restore_db_instance_from_db_snapshot::RestoreDbInstanceFromDbSnapshotOutput;
use aws_sdk_rds::types::{
    DbInstance as Instance, DbParameterGroupStatus, DbSubnetGroup, MasterUserSecret, Tag, VpcSecurityGroupMembership,
};
use aws_sdk_rds::Client;
use aws_smithy_mocks::{mock, mock_client, RuleMode};

use super::instance::*;
use crate::aws::Aws;
use crate::model::{tags, Desired, Kind, Value, TAGS};
use crate::resources::{Ctx, DataPolicy, Quiet, ResourceKind};

fn want() -> Desired {
    let deployment_tags = BTreeMap::from([("clusterup:deployment".to_owned(), "demo".to_owned())]);
    Desired::new("database/instance", Kind::DbInstance)
        .prop(&IDENTIFIER, Value::str("demo-db"))
        .prop(&ENGINE, Value::str("mysql"))
        .prop(&ENGINE_VERSION, Value::str("8.4"))
        .prop(&INSTANCE_CLASS, Value::str("db.t3.medium"))
        .prop(&STORAGE_GB, Value::Int(20))
        .prop(&STORAGE_TYPE, Value::str("gp3"))
        .prop(&ENCRYPTED, Value::Bool(true))
        .prop(&MULTI_AZ, Value::Bool(true))
        .prop(&BACKUP_RETENTION_DAYS, Value::Int(7))
        .prop(&SUBNET_GROUP, Value::str("demo-db"))
        .prop(&PARAMETER_GROUP, Value::str("demo-db-mysql8-4"))
        .prop(&SECURITY_GROUPS, Value::List(vec![Value::str("sg-1")]))
        .prop(&DELETION_PROTECTION, Value::Bool(true))
        .prop(&MANAGED_PASSWORD, Value::Bool(true))
        .prop(&APPLY_CHANGES, Value::str("maintenance_window"))
        .prop(&TAGS, tags::to_value(&deployment_tags))
        .create_only(&MASTER_USERNAME, Value::str("admin"))
        .create_only(
            &RESTORE_FROM,
            Value::Map(BTreeMap::from([
                ("snapshot".to_owned(), Value::str("demo-final-20261206120000")),
                ("taken".to_owned(), Value::str("2026-12-06T12:00:00Z")),
                ("engine_version".to_owned(), Value::str("8.4.3")),
            ])),
        )
}

/// The restored instance as RDS describes it, with its password managed or not.
fn described(managed: bool) -> Instance {
    let mut db = Instance::builder()
        .db_instance_identifier("demo-db")
        .db_instance_arn("arn:aws:rds:us-east-1:123456789012:db:demo-db")
        .db_instance_status("available")
        .engine("mysql")
        .engine_version("8.4.3")
        .db_instance_class("db.t3.medium")
        .allocated_storage(20)
        .storage_type("gp3")
        .storage_encrypted(true)
        .multi_az(true)
        .backup_retention_period(7)
        .db_subnet_group(DbSubnetGroup::builder().db_subnet_group_name("demo-db").build())
        .vpc_security_groups(VpcSecurityGroupMembership::builder().vpc_security_group_id("sg-1").build())
        .deletion_protection(true)
        .db_parameter_groups(
            DbParameterGroupStatus::builder()
                .db_parameter_group_name("demo-db-mysql8-4")
                .parameter_apply_status("in-sync")
                .build(),
        )
        .preferred_maintenance_window("sun:03:00-sun:03:30")
        .tag_list(Tag::builder().key("clusterup:deployment").value("demo").build());
    if managed {
        db = db.master_user_secret(
            MasterUserSecret::builder()
                .secret_arn("arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1")
                .build(),
        );
    }
    db.build()
}

#[tokio::test]
async fn restore_sdk_mock_emulator_gap_turns_the_managed_password_on_right_after() {
    let restore = mock!(Client::restore_db_instance_from_db_snapshot)
        .match_requests(|req| {
            req.db_snapshot_identifier() == Some("demo-final-20261206120000")
                && req.db_instance_identifier() == Some("demo-db")
                // Same family as the snapshot: the deployment's own parameter group from the start.
                && req.db_parameter_group_name() == Some("demo-db-mysql8-4")
                && req.deletion_protection() == Some(true)
                && req.publicly_accessible() == Some(false)
                && req.tags().iter().any(|t| t.key() == Some("clusterup:deployment") && t.value() == Some("demo"))
        })
        .then_output(|| RestoreDbInstanceFromDbSnapshotOutput::builder().build());
    let restored = mock!(Client::describe_db_instances)
        .then_output(|| DescribeDbInstancesOutput::builder().db_instances(described(false)).build());
    let modify = mock!(Client::modify_db_instance)
        .match_requests(|req| {
            req.db_instance_identifier() == Some("demo-db")
                && req.manage_master_user_password() == Some(true)
                && req.apply_immediately() == Some(true)
        })
        .then_output(|| ModifyDbInstanceOutput::builder().build());
    let managed = mock!(Client::describe_db_instances)
        .sequence()
        .output(|| DescribeDbInstancesOutput::builder().db_instances(described(true)).build())
        .repeatedly()
        .build();
    let rds = mock_client!(aws_sdk_rds, RuleMode::Sequential, [&restore, &restored, &modify, &managed]);
    let ctx = Ctx { aws: Aws { rds, ..Aws::offline() }, deployment: "demo".into(), data: DataPolicy::default() };

    let made = DbInstance::create(&ctx, &want(), &Quiet).await.expect("restored");
    assert_eq!((restore.num_calls(), modify.num_calls()), (1, 1));
    assert!(made.attrs.contains_key("secret_arn"), "{made:?}");
}

/// The kept password (read replicas) after a restore: the restored database answers to the snapshot's
/// password, so ModifyDBInstance sets the one the secret holds, read with GetSecretValue, and management
/// stays off. The emulator copies the source's setting into the restored instance, so SDK mocks.
#[tokio::test]
async fn restore_sdk_mock_emulator_gap_sets_the_kept_password_right_after() {
    use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueOutput;
    const KEPT: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:clusterup/demo/database-AbCdEf";
    let mut want = want();
    want.props.insert(MANAGED_PASSWORD.name.to_owned(), Value::Bool(false));
    want.create_only.insert(PASSWORD_SECRET.name.to_owned(), Value::str(KEPT));
    let secret = mock!(aws_sdk_secretsmanager::Client::get_secret_value)
        .match_requests(|req| req.secret_id() == Some(KEPT))
        .then_output(|| {
            GetSecretValueOutput::builder().secret_string(r#"{"username":"admin","password":"Kept0Password"}"#).build()
        });
    let restore = mock!(Client::restore_db_instance_from_db_snapshot)
        .then_output(|| RestoreDbInstanceFromDbSnapshotOutput::builder().build());
    let restored = mock!(Client::describe_db_instances)
        .sequence()
        .output(|| DescribeDbInstancesOutput::builder().db_instances(described(false)).build())
        .repeatedly()
        .build();
    let kept = mock!(Client::modify_db_instance)
        .match_requests(|req| {
            req.master_user_password() == Some("Kept0Password")
                && req.manage_master_user_password().is_none()
                && req.apply_immediately() == Some(true)
        })
        .then_output(|| ModifyDbInstanceOutput::builder().build());
    let rds = mock_client!(aws_sdk_rds, RuleMode::MatchAny, [&restore, &kept, &restored]);
    let secrets = mock_client!(aws_sdk_secretsmanager, [&secret]);
    let ctx =
        Ctx { aws: Aws { rds, secrets, ..Aws::offline() }, deployment: "demo".into(), data: DataPolicy::default() };

    let made = DbInstance::create(&ctx, &want, &Quiet).await.expect("restored");
    assert_eq!((secret.num_calls(), restore.num_calls(), kept.num_calls()), (1, 1, 1));
    assert!(!made.attrs.contains_key("secret_arn"), "no secret of RDS's: {made:?}");
    assert!(!format!("{made:?}").contains("Kept0Password"), "the password is in no resource");
}
