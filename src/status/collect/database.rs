//! The database tier: the instance as RDS describes it, its pending maintenance and its free storage
//! (both advisory: a failed read is a note, not a failed status).

use super::super::{judge, Database, Judged, ReadReplica};
use super::{brief, gone};
use crate::model::names::database::identifier;
use crate::model::Actual;
use crate::resources::rds::status::{describe_now, free_storage, maintenance, replica_lag, status_of};
use crate::resources::{Ctx, Error};

/// The database of a deployment that should have one but has none.
pub(super) fn missing(ctx: &Ctx) -> Database {
    Database {
        judged: gone("the database does not exist; run apply to make it (or restore it from its final snapshot)"),
        identifier: identifier(&ctx.deployment),
        status: "missing".into(),
        engine_version: String::new(),
        instance_class: String::new(),
        multi_az: false,
        allocated_gb: 0,
        free_storage_gb: None,
        free_storage_note: None,
        pending_modifications: vec![],
        maintenance: vec![],
        read_replicas: vec![],
    }
}

/// Each read replica discovery found: its status now and its lag (advisory: a failed read is a note).
async fn replicas(ctx: &Ctx, found: &[&Actual]) -> Result<Vec<ReadReplica>, Error> {
    let mut out = Vec::new();
    for replica in found {
        let resource = replica.address.as_str();
        let status = status_of(ctx, &replica.id, resource).await?.unwrap_or_else(|| "missing".to_owned());
        let (lag_seconds, lag_note) = match replica_lag(ctx, &replica.id, resource).await {
            Ok(Some(seconds)) => (Some(seconds), None),
            Ok(None) => {
                (None, Some("no data: CloudWatch has no ReplicaLag datapoint in the last 15 minutes".to_owned()))
            }
            Err(err) => (None, Some(format!("not readable: {}", brief(&err)))),
        };
        out.push(ReadReplica { identifier: replica.id.clone(), status, lag_seconds, lag_note });
    }
    Ok(out)
}

pub(super) async fn tier(ctx: &Ctx, db: &Actual, found: &[&Actual]) -> Result<Database, Error> {
    let resource = db.address.as_str();
    let Some(described) = describe_now(ctx, db).await? else { return Ok(missing(ctx)) };
    let maintenance = match maintenance(ctx, &described.arn, resource).await {
        Ok(scheduled) => scheduled,
        Err(err) => vec![format!("not readable: {}", brief(&err))],
    };
    let (free_storage_gb, free_storage_note) = match free_storage(ctx, &db.id, resource).await {
        Ok(Some(bytes)) => (Some(bytes / 1e9), None),
        Ok(None) => (None, Some("CloudWatch has no FreeStorageSpace datapoint in the last 15 minutes".to_owned())),
        Err(err) => (None, Some(format!("not readable: {}", brief(&err)))),
    };
    let mut tier = Database {
        judged: Judged::healthy(),
        identifier: db.id.clone(),
        status: described.status,
        engine_version: described.engine_version,
        instance_class: described.instance_class,
        multi_az: described.multi_az,
        allocated_gb: described.allocated_gb,
        free_storage_gb,
        free_storage_note,
        pending_modifications: described.pending_modifications,
        maintenance,
        read_replicas: replicas(ctx, found).await?,
    };
    judge::database(&mut tier);
    Ok(tier)
}

/// The emulator has no RDS metrics (moto 5.2.5 publishes none, and answers rpcv2Cbor only through the
/// project's launcher) and no pending maintenance: the tier with both is covered here with SDK mocks.
#[cfg(test)]
mod tests {
    use aws_sdk_cloudwatch::operation::get_metric_statistics::GetMetricStatisticsOutput;
    use aws_sdk_cloudwatch::types::Datapoint;
    use aws_sdk_rds::operation::describe_db_instances::DescribeDbInstancesOutput;
    use aws_sdk_rds::operation::describe_pending_maintenance_actions::DescribePendingMaintenanceActionsOutput;
    use aws_sdk_rds::types::{
        DbInstance, PendingMaintenanceAction, PendingModifiedValues, ResourcePendingMaintenanceActions,
    };
    use aws_smithy_mocks::{mock, mock_client};

    use super::*;
    use crate::aws::{Aws, ErrorClass};
    use crate::model::{Address, Kind};
    use crate::resources::DataPolicy;
    use crate::status::Health;

    /// A CloudWatch client answering from `rule`.
    fn cloudwatch(rule: &aws_smithy_mocks::Rule) -> aws_sdk_cloudwatch::Client {
        use aws_sdk_cloudwatch::config::{BehaviorVersion, Credentials, Region};
        let config = aws_sdk_cloudwatch::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("test", "test", None, None, "test"))
            .http_client(aws_smithy_mocks::create_mock_http_client())
            .interceptor(aws_smithy_mocks::MockResponseInterceptor::new().with_rule(rule))
            .build();
        aws_sdk_cloudwatch::Client::from_conf(config)
    }

    /// The database as RDS describes it, with the status `status`.
    fn instance(status: Option<&str>) -> aws_sdk_rds::types::builders::DbInstanceBuilder {
        DbInstance::builder()
            .db_instance_identifier("web-db")
            .db_instance_arn("arn:aws:rds:us-east-1:123456789012:db:web-db")
            .set_db_instance_status(status.map(str::to_owned))
            .engine_version("8.4.3")
            .db_instance_class("db.t3.medium")
            .multi_az(true)
            .allocated_storage(50)
    }

    fn database() -> Actual {
        Actual::new(Address::new("database/instance"), Kind::DbInstance, "web-db")
    }

    #[tokio::test]
    async fn get_metric_statistics_and_pending_maintenance_sdk_mock_emulator_gap_judge_the_database() {
        let described = mock!(aws_sdk_rds::Client::describe_db_instances)
            .match_requests(|r| r.db_instance_identifier() == Some("web-db"))
            .then_output(|| {
                DescribeDbInstancesOutput::builder()
                    .db_instances(
                        instance(Some("available"))
                            .pending_modified_values(
                                PendingModifiedValues::builder().db_instance_class("db.t3.large").build(),
                            )
                            .build(),
                    )
                    .build()
            });
        let maintenance = mock!(aws_sdk_rds::Client::describe_pending_maintenance_actions)
            .match_requests(|r| r.resource_identifier() == Some("arn:aws:rds:us-east-1:123456789012:db:web-db"))
            .then_output(|| {
                DescribePendingMaintenanceActionsOutput::builder()
                    .pending_maintenance_actions(
                        ResourcePendingMaintenanceActions::builder()
                            .pending_maintenance_action_details(
                                PendingMaintenanceAction::builder()
                                    .action("system-update")
                                    .description("New Operating System update is available")
                                    .build(),
                            )
                            .build(),
                    )
                    .build()
            });
        let metric = mock!(aws_sdk_cloudwatch::Client::get_metric_statistics)
            .match_requests(|r| {
                r.namespace() == Some("AWS/RDS")
                    && r.metric_name() == Some("FreeStorageSpace")
                    && r.dimensions()
                        .iter()
                        .any(|d| d.name() == Some("DBInstanceIdentifier") && d.value() == Some("web-db"))
            })
            .then_output(|| {
                let at = |secs| aws_smithy_types::DateTime::from_secs(secs);
                GetMetricStatisticsOutput::builder()
                    .datapoints(Datapoint::builder().timestamp(at(1_000)).minimum(30.0e9).build())
                    .datapoints(Datapoint::builder().timestamp(at(2_000)).minimum(4.0e9).build())
                    .build()
            });
        let rds = mock_client!(aws_sdk_rds, aws_smithy_mocks::RuleMode::MatchAny, [&described, &maintenance]);
        let ctx = Ctx {
            aws: Aws { rds, cloudwatch: cloudwatch(&metric), ..Aws::offline() },
            deployment: "web".into(),
            data: DataPolicy::default(),
        };
        let tier = tier(&ctx, &database(), &[]).await.expect("read");
        assert_eq!(tier.free_storage_gb, Some(4.0), "the newest datapoint");
        assert_eq!(tier.pending_modifications, vec!["instance class -> db.t3.large"]);
        assert_eq!(tier.maintenance, vec!["system-update: New Operating System update is available"]);
        assert_eq!(tier.judged.health, Health::Degraded);
        assert_eq!(tier.judged.reasons, vec!["web-db has 4.0 GB of 50 GB storage free"]);
    }

    /// Each read replica: its status (one not serving reads degrades the tier) and its lag, the newest
    /// ReplicaLag maximum; a replica without a datapoint says "no data".
    #[tokio::test]
    async fn get_metric_statistics_sdk_mock_emulator_gap_reads_each_replicas_lag() {
        let described = mock!(aws_sdk_rds::Client::describe_db_instances).then_output(|| {
            DescribeDbInstancesOutput::builder().db_instances(instance(Some("available")).build()).build()
        });
        let replica = |id: &'static str, status: &'static str| {
            mock!(aws_sdk_rds::Client::describe_db_instances)
                .match_requests(move |r| r.db_instance_identifier() == Some(id))
                .then_output(move || {
                    DescribeDbInstancesOutput::builder()
                        .db_instances(instance(Some(status)).db_instance_identifier(id).build())
                        .build()
                })
        };
        let (one, two) = (replica("web-db-replica-1", "available"), replica("web-db-replica-2", "rebooting"));
        let maintenance = mock!(aws_sdk_rds::Client::describe_pending_maintenance_actions)
            .then_output(|| DescribePendingMaintenanceActionsOutput::builder().build());
        let lag = mock!(aws_sdk_cloudwatch::Client::get_metric_statistics)
            .match_requests(|r| {
                r.metric_name() == Some("ReplicaLag")
                    && r.dimensions().iter().any(|d| d.value() == Some("web-db-replica-1"))
            })
            .then_output(|| {
                let at = |secs| aws_smithy_types::DateTime::from_secs(secs);
                GetMetricStatisticsOutput::builder()
                    .datapoints(Datapoint::builder().timestamp(at(1_000)).maximum(9.0).build())
                    .datapoints(Datapoint::builder().timestamp(at(2_000)).maximum(2.0).build())
                    .build()
            });
        let none = mock!(aws_sdk_cloudwatch::Client::get_metric_statistics)
            .then_output(|| GetMetricStatisticsOutput::builder().build());
        let rds =
            mock_client!(aws_sdk_rds, aws_smithy_mocks::RuleMode::MatchAny, [&one, &two, &described, &maintenance]);
        let cloudwatch = mock_client!(aws_sdk_cloudwatch, aws_smithy_mocks::RuleMode::MatchAny, [&lag, &none]);
        let ctx = Ctx {
            aws: Aws { rds, cloudwatch, ..Aws::offline() },
            deployment: "web".into(),
            data: DataPolicy::default(),
        };
        let found = [
            Actual::new(Address::new("database/replicas/1"), Kind::DbReplica, "web-db-replica-1"),
            Actual::new(Address::new("database/replicas/2"), Kind::DbReplica, "web-db-replica-2"),
        ];
        let tier = tier(&ctx, &database(), &found.iter().collect::<Vec<_>>()).await.expect("read");
        let read: Vec<(&str, &str, Option<f64>)> =
            tier.read_replicas.iter().map(|r| (r.identifier.as_str(), r.status.as_str(), r.lag_seconds)).collect();
        assert_eq!(read, [("web-db-replica-1", "available", Some(2.0)), ("web-db-replica-2", "rebooting", None)]);
        assert!(tier.read_replicas[1].lag_note.as_deref().is_some_and(|n| n.starts_with("no data")));
        assert_eq!(tier.judged.health, Health::Degraded);
        assert!(
            tier.judged.reasons.contains(&"read replica web-db-replica-2 is rebooting".to_owned()),
            "{:?}",
            tier.judged.reasons
        );
    }

    /// A DescribeDBInstances answer without the status is not shown as an `unknown` database: the read
    /// fails, naming the call and the field.
    #[tokio::test]
    async fn describe_db_instances_sdk_mock_an_answer_without_a_status_is_incomplete() {
        let described = mock!(aws_sdk_rds::Client::describe_db_instances)
            .then_output(|| DescribeDbInstancesOutput::builder().db_instances(instance(None).build()).build());
        let ctx = Ctx {
            aws: Aws { rds: mock_client!(aws_sdk_rds, [&described]), ..Aws::offline() },
            deployment: "web".into(),
            data: DataPolicy::default(),
        };
        let err = tier(&ctx, &database(), &[]).await.expect_err("strict");
        assert!(err.is(ErrorClass::Incomplete), "{err}");
        assert!(err.to_string().contains("DescribeDBInstances failed: the answer has no DBInstanceStatus"), "{err}");
    }
}
