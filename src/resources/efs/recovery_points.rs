//! The recovery points of the deployment's EFS automatic backups (`shared_storage.backups`), for
//! `clusterup snapshots`: AWS Backup keeps them after `destroy` until their retention ends, so they are
//! the file system's data once it is gone.
//!
//! They are found as destroy's final check finds them: through the Resource Groups Tagging API, by the
//! deployment's tag, which AWS Backup copies from the file system to each recovery point. Each is then
//! described (DescribeRecoveryPoint) for its size, time and expiry.

use aws_sdk_backup::operation::describe_recovery_point::DescribeRecoveryPointOutput;

use crate::aws::clock::rfc3339;
use crate::aws::{AwsError, Required, ResultExt};
use crate::resources::support::tagged_arns;

/// The vault AWS Backup keeps EFS automatic backups in (EFS User Guide, "Automatic backups").
pub const AUTOMATIC_BACKUP_VAULT: &str = "aws/efs/automatic-backup-vault";

const DESCRIBE: &str = "DescribeRecoveryPoint";

/// One recovery point, as `clusterup snapshots` shows it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RecoveryPoint {
    pub arn: String,
    /// `COMPLETED`, `PARTIAL`, `EXPIRED`, ...
    pub status: String,
    /// When AWS Backup took it (RFC 3339, UTC).
    pub taken: Option<String>,
    /// Its size, once AWS Backup has measured it.
    pub size_bytes: Option<i64>,
    /// When AWS Backup deletes it, from its lifecycle (none: kept until deleted by hand).
    pub expires: Option<String>,
}

impl RecoveryPoint {
    /// The command that deletes it now, instead of at the end of its retention.
    pub fn delete_command(&self, region: &str) -> String {
        format!(
            "aws backup delete-recovery-point --region {region} --backup-vault-name {AUTOMATIC_BACKUP_VAULT} --recovery-point-arn {}",
            self.arn
        )
    }
}

/// Every recovery point tagged with the deployment, oldest first.
pub async fn of_deployment(
    tagging: &aws_sdk_resourcegroupstagging::Client,
    backup: &aws_sdk_backup::Client,
    deployment: &str,
) -> Result<Vec<RecoveryPoint>, AwsError> {
    let arns: Vec<String> =
        tagged_arns(tagging, deployment).await?.into_iter().filter(|arn| is_recovery_point(arn)).collect();
    let mut points = Vec::new();
    for arn in arns {
        let described = backup
            .describe_recovery_point()
            .backup_vault_name(AUTOMATIC_BACKUP_VAULT)
            .recovery_point_arn(&arn)
            .send()
            .await
            // The operation by name, as the contract tests read the calls src/ makes.
            .call("DescribeRecoveryPoint", &arn)?;
        points.push(read(&arn, &described)?);
    }
    points.sort_by(|a, b| a.taken.cmp(&b.taken).then_with(|| a.arn.cmp(&b.arn)));
    Ok(points)
}

/// `arn:<partition>:backup:<region>:<account>:recovery-point:<id>`, in any partition.
pub fn is_recovery_point(arn: &str) -> bool {
    arn.split(':').nth(2) == Some("backup") && arn.contains(":recovery-point:")
}

fn read(arn: &str, out: &DescribeRecoveryPointOutput) -> Result<RecoveryPoint, AwsError> {
    Ok(RecoveryPoint {
        arn: arn.to_owned(),
        status: out.status().map(|s| s.as_str()).required(DESCRIBE, "Status", arn)?.to_owned(),
        taken: out.creation_date().and_then(rfc3339),
        size_bytes: out.backup_size_in_bytes(),
        expires: out.calculated_lifecycle().and_then(|l| l.delete_at()).and_then(rfc3339),
    })
}

#[cfg(test)]
mod tests {
    use aws_sdk_backup::operation::describe_recovery_point::DescribeRecoveryPointOutput;
    use aws_sdk_backup::primitives::DateTime;
    use aws_sdk_backup::types::{CalculatedLifecycle, RecoveryPointStatus};
    use aws_sdk_resourcegroupstagging::operation::get_resources::GetResourcesOutput;
    use aws_sdk_resourcegroupstagging::types::ResourceTagMapping;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    use super::*;

    const OLD: &str = "arn:aws:backup:us-east-1:123456789012:recovery-point:11111111-aaaa-bbbb-cccc-000000000001";
    const NEW: &str = "arn:aws:backup:us-east-1:123456789012:recovery-point:22222222-aaaa-bbbb-cccc-000000000002";

    fn tagged(arns: &[&str]) -> GetResourcesOutput {
        let mappings = arns.iter().map(|a| ResourceTagMapping::builder().resource_arn(*a).build());
        GetResourcesOutput::builder().set_resource_tag_mapping_list(Some(mappings.collect())).build()
    }

    fn described(epoch: i64, size: i64) -> DescribeRecoveryPointOutput {
        DescribeRecoveryPointOutput::builder()
            .status(RecoveryPointStatus::Completed)
            .creation_date(DateTime::from_secs(epoch))
            .backup_size_in_bytes(size)
            .calculated_lifecycle(
                CalculatedLifecycle::builder().delete_at(DateTime::from_secs(epoch + 35 * 86_400)).build(),
            )
            .build()
    }

    /// An emulator gap: moto has no AWS Backup recovery points, so these answers are SDK mocks.
    #[tokio::test]
    async fn recovery_points_are_listed_oldest_first_with_size_and_expiry_sdk_mock() {
        // The tagging API lists the deployment's other resources too: only recovery points are described.
        let bucket = "arn:aws:s3:::clusterup-shop-123456789012-us-east-1";
        let listed = mock!(aws_sdk_resourcegroupstagging::Client::get_resources)
            .then_output(move || tagged(&[NEW, bucket, OLD]));
        let tagging = mock_client!(aws_sdk_resourcegroupstagging, [&listed]);
        let new = mock!(aws_sdk_backup::Client::describe_recovery_point)
            .match_requests(|r| {
                r.recovery_point_arn() == Some(NEW) && r.backup_vault_name() == Some(AUTOMATIC_BACKUP_VAULT)
            })
            .then_output(|| described(1_796_000_000, 2_048));
        let old = mock!(aws_sdk_backup::Client::describe_recovery_point)
            .match_requests(|r| r.recovery_point_arn() == Some(OLD))
            .then_output(|| described(1_795_000_000, 1_024));
        let backup = mock_client!(aws_sdk_backup, RuleMode::MatchAny, [&new, &old]);

        let points = of_deployment(&tagging, &backup, "shop").await.expect("listed");
        assert_eq!(points.iter().map(|p| p.arn.as_str()).collect::<Vec<_>>(), [OLD, NEW]);
        assert_eq!((points[0].size_bytes, points[0].status.as_str()), (Some(1_024), "COMPLETED"));
        assert_eq!(points[0].taken.as_deref(), Some("2026-11-18T11:06:40Z"));
        assert_eq!(points[0].expires.as_deref(), Some("2026-12-23T11:06:40Z"));
        assert!(points[0].delete_command("us-east-1").ends_with(&format!("--recovery-point-arn {OLD}")));
        assert_eq!(new.num_calls() + old.num_calls(), 2, "the bucket is not described");
    }

    /// An emulator gap (SDK mock): an answer without the status AWS always returns is an error naming the
    /// call, not an empty status.
    #[tokio::test]
    async fn a_recovery_point_without_its_status_is_an_incomplete_answer_sdk_mock() {
        let listed = mock!(aws_sdk_resourcegroupstagging::Client::get_resources).then_output(|| tagged(&[OLD]));
        let tagging = mock_client!(aws_sdk_resourcegroupstagging, [&listed]);
        let bare = mock!(aws_sdk_backup::Client::describe_recovery_point)
            .then_output(|| DescribeRecoveryPointOutput::builder().build());
        let backup = mock_client!(aws_sdk_backup, [&bare]);
        let err = of_deployment(&tagging, &backup, "shop").await.expect_err("incomplete");
        assert!(err.to_string().contains("DescribeRecoveryPoint") && err.to_string().contains("Status"), "{err}");
    }
}
