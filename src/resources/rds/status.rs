//! What `status` reads of the database: the instance as RDS describes it now (with the changes it holds
//! for the maintenance window), the maintenance RDS has scheduled, and the free storage RDS reports to
//! CloudWatch.

use std::time::{Duration, SystemTime};

use aws_config::retry::RetryConfig;
use aws_sdk_cloudwatch::types::{Dimension, Statistic};
use aws_smithy_types::DateTime;

use super::instance::describe;
use crate::aws::clock::rfc3339;
use crate::aws::{AwsError, Required, ResultExt};
use crate::model::Actual;
use crate::resources::{Ctx, Error};

/// The instance as RDS describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Described {
    pub arn: String,
    /// RDS's status: `available`, `modifying`, `stopped`, ...
    pub status: String,
    pub engine_version: String,
    pub instance_class: String,
    pub multi_az: bool,
    pub allocated_gb: i32,
    /// Modifications waiting for the next maintenance window or reboot: `instance class -> db.t3.large`.
    pub pending_modifications: Vec<String>,
}

/// The database discovery found, as RDS describes it now; `None` if it is gone since.
pub async fn describe_now(ctx: &Ctx, db: &Actual) -> Result<Option<Described>, Error> {
    const CALL: &str = "DescribeDBInstances";
    let resource = db.address.as_str();
    let Some(instance) = describe(ctx, &db.id, resource).await? else { return Ok(None) };
    let mut pending = Vec::new();
    // No pending values means nothing waits for the window; each value absent means that one does not.
    if let Some(p) = instance.pending_modified_values() {
        let mut add = |what: &str, value: Option<String>| {
            if let Some(value) = value {
                pending.push(format!("{what} -> {value}"));
            }
        };
        add("instance class", p.db_instance_class().map(str::to_owned));
        add("storage", p.allocated_storage().map(|s| format!("{s} GB")));
        add("Multi-AZ", p.multi_az().map(|m| m.to_string()));
        add("engine version", p.engine_version().map(str::to_owned));
        add("storage type", p.storage_type().map(str::to_owned));
        add("backup retention", p.backup_retention_period().map(|d| format!("{d} days")));
    }
    Ok(Some(Described {
        arn: instance.db_instance_arn().required(CALL, "DBInstanceArn", resource)?.to_owned(),
        status: instance.db_instance_status().required(CALL, "DBInstanceStatus", resource)?.to_owned(),
        engine_version: instance.engine_version().required(CALL, "EngineVersion", resource)?.to_owned(),
        instance_class: instance.db_instance_class().required(CALL, "DBInstanceClass", resource)?.to_owned(),
        multi_az: instance.multi_az().required(CALL, "MultiAZ", resource)?,
        allocated_gb: instance.allocated_storage().required(CALL, "AllocatedStorage", resource)?,
        pending_modifications: pending,
    }))
}

/// The maintenance RDS has scheduled for the instance `arn`:
/// `system-update (auto-applied after 2026-12-01T00:00:00Z): New Operating System update is available`.
/// One attempt, no retries: the answer is advisory.
pub async fn maintenance(ctx: &Ctx, arn: &str, resource: &str) -> Result<Vec<String>, AwsError> {
    const CALL: &str = "DescribePendingMaintenanceActions";
    let answer = ctx
        .aws
        .rds
        .describe_pending_maintenance_actions()
        .resource_identifier(arn)
        .customize()
        .config_override(aws_sdk_rds::config::Builder::default().retry_config(RetryConfig::disabled()))
        .send()
        .await
        .call(CALL, resource)?;
    let mut scheduled = Vec::new();
    for a in answer.pending_maintenance_actions().iter().flat_map(|r| r.pending_maintenance_action_details()) {
        // An action has a date it is applied after, or one it is forced on, or neither (applied at the
        // operator's request only).
        let when = a
            .auto_applied_after_date()
            .and_then(rfc3339)
            .map(|t| format!(" (auto-applied after {t})"))
            .or_else(|| a.forced_apply_date().and_then(rfc3339).map(|t| format!(" (forced on {t})")))
            .unwrap_or_default();
        let action = a.action().required(CALL, "Action", resource)?;
        // AWS's model makes the description optional; the action names what is scheduled.
        scheduled.push(format!("{action}{when}: {}", a.description().unwrap_or_default()));
    }
    Ok(scheduled)
}

/// The status of the instance `id` (a read replica) as RDS reports it now; `None` if it is gone.
pub async fn status_of(ctx: &Ctx, id: &str, resource: &str) -> Result<Option<String>, AwsError> {
    let found = describe(ctx, id, resource).await?;
    found
        .map(|db| {
            db.db_instance_status().required("DescribeDBInstances", "DBInstanceStatus", resource).map(str::to_owned)
        })
        .transpose()
}

/// The newest ReplicaLag (seconds a read replica is behind its source) RDS reported to CloudWatch for
/// the replica `id` in the last 15 minutes; `None` when there is no datapoint (a replica just made).
pub async fn replica_lag(ctx: &Ctx, id: &str, resource: &str) -> Result<Option<f64>, AwsError> {
    newest(ctx, "ReplicaLag", Statistic::Maximum, id, resource).await
}

/// The newest FreeStorageSpace (bytes) RDS reported to CloudWatch for the instance `id` in the last 15
/// minutes; `None` when there is no datapoint (a database just made, or stopped).
pub async fn free_storage(ctx: &Ctx, id: &str, resource: &str) -> Result<Option<f64>, AwsError> {
    newest(ctx, "FreeStorageSpace", Statistic::Minimum, id, resource).await
}

/// The newest `statistic` of the instance `id`'s `metric` in AWS/RDS over the last 15 minutes, a
/// minute apart.
async fn newest(
    ctx: &Ctx,
    metric: &str,
    statistic: Statistic,
    id: &str,
    resource: &str,
) -> Result<Option<f64>, AwsError> {
    let now = SystemTime::now();
    let out = ctx
        .aws
        .cloudwatch
        .get_metric_statistics()
        .namespace("AWS/RDS")
        .metric_name(metric)
        .dimensions(Dimension::builder().name("DBInstanceIdentifier").value(id).build())
        .start_time(DateTime::from(now - Duration::from_secs(15 * 60)))
        .end_time(DateTime::from(now))
        .period(60)
        .statistics(statistic.clone())
        .send()
        .await
        .call("GetMetricStatistics", resource)?;
    let value = |d: &aws_sdk_cloudwatch::types::Datapoint| match statistic {
        Statistic::Maximum => d.maximum(),
        _ => d.minimum(),
    };
    let newest = out.datapoints().iter().filter(|d| value(d).is_some()).max_by_key(|d| d.timestamp().map(|t| t.secs()));
    Ok(newest.and_then(value))
}
