//! The deployment's DB snapshots: those `destroy` keeps (`<name>-final-<time>`), RDS's automated ones
//! and any taken by hand of its database, for `clusterup snapshots`; and the snapshot a new database is
//! restored from (`database.restore_from`), found at plan time.

use aws_sdk_rds::types::DbSnapshot;

use crate::aws::clock::rfc3339;
use crate::aws::{Aws, AwsError, Required, ResultExt};
use crate::model::names::database::{final_snapshot_prefix, identifier};
use crate::model::RestoreSource;
use crate::topology::{Database, RestoreFrom};

const CALL: &str = "DescribeDBSnapshots";

/// Where a snapshot came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Taken by `destroy` before it deleted the database.
    Final,
    /// RDS's daily backup; RDS deletes it after the retention period (or with the instance).
    Automated,
    /// Any other manual snapshot of the deployment's database.
    Manual,
}

/// One DB snapshot, as `clusterup snapshots` shows it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Snapshot {
    pub id: String,
    pub origin: Origin,
    /// `available`, `creating`, ...
    pub status: String,
    /// When RDS took it (RFC 3339, UTC); AWS reports it once the snapshot is under way.
    pub taken: Option<String>,
    /// The size of the database it was taken of, in GiB (AllocatedStorage): what it restores into.
    pub size_gb: i32,
    pub engine_version: String,
    pub encrypted: bool,
}

impl Snapshot {
    /// The command that deletes it. Automated snapshots are not deleted one by one: RDS deletes them
    /// after the retention period (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_DeleteSnapshot.html).
    pub fn delete_command(&self, region: &str) -> Option<String> {
        (self.origin != Origin::Automated)
            .then(|| format!("aws rds delete-db-snapshot --region {region} --db-snapshot-identifier {}", self.id))
    }
}

/// Every DB snapshot of the deployment's database (`<deployment>-db`), oldest first: DescribeDBSnapshots
/// by the instance's identifier, which snapshots keep after the instance is gone.
pub async fn of_deployment(aws: &Aws, deployment: &str) -> Result<Vec<Snapshot>, AwsError> {
    let db = identifier(deployment);
    let prefix = final_snapshot_prefix(deployment);
    let mut out = Vec::new();
    let mut marker = None;
    loop {
        let page = aws
            .rds
            .describe_db_snapshots()
            .db_instance_identifier(&db)
            .set_marker(marker)
            .send()
            .await
            .call(CALL, &db)?;
        for snapshot in page.db_snapshots() {
            out.push(read(snapshot, &prefix, &db)?);
        }
        marker = page.marker().map(str::to_owned);
        if marker.is_none() {
            break;
        }
    }
    out.sort_by(|a, b| (&a.taken, &a.id).cmp(&(&b.taken, &b.id)));
    Ok(out)
}

fn read(snapshot: &DbSnapshot, final_prefix: &str, db: &str) -> Result<Snapshot, AwsError> {
    let id = snapshot.db_snapshot_identifier().required(CALL, "DBSnapshotIdentifier", db)?.to_owned();
    let origin = if snapshot.snapshot_type() == Some("automated") {
        Origin::Automated
    } else if id.starts_with(final_prefix) {
        Origin::Final
    } else {
        Origin::Manual
    };
    Ok(Snapshot {
        origin,
        status: snapshot.status().required(CALL, "Status", &id)?.to_owned(),
        taken: snapshot.snapshot_create_time().and_then(rfc3339),
        size_gb: snapshot.allocated_storage().required(CALL, "AllocatedStorage", &id)?,
        engine_version: snapshot.engine_version().required(CALL, "EngineVersion", &id)?.to_owned(),
        encrypted: snapshot.encrypted().required(CALL, "Encrypted", &id)?,
        id,
    })
}

/// The snapshot `database.restore_from` names, checked to be one a clusterup database can come from.
/// `db` is the topology's database: RDS restores into at least the snapshot's size, and cannot take
/// the restored database back to an older MySQL version than the snapshot's.
pub async fn resolve(
    aws: &Aws,
    deployment: &str,
    from: &RestoreFrom,
    db: &Database,
) -> Result<RestoreSource, AwsError> {
    let snapshot = match from {
        RestoreFrom::Latest => newest_final(of_deployment(aws, deployment).await?).ok_or_else(|| {
            AwsError::local(
                identifier(deployment),
                CALL,
                format!(
                    "database.restore_from is `latest`, but deployment `{deployment}` has no final snapshot in {} \
                     (destroy keeps one named {}<time>). List its snapshots with `clusterup snapshots {deployment}`, \
                     or name one in database.restore_from",
                    aws.region,
                    final_snapshot_prefix(deployment)
                ),
            )
        })?,
        RestoreFrom::Snapshot(id) => {
            let found = aws.rds.describe_db_snapshots().db_snapshot_identifier(id).send().await.call(CALL, id);
            let page = found.map_err(|mut err| {
                if err.code_is("DBSnapshotNotFound") {
                    err.message = format!(
                        "{} (database.restore_from names a DB snapshot that does not exist in {}; list the \
                         deployment's with `clusterup snapshots {deployment}`)",
                        err.message, aws.region
                    );
                }
                err
            })?;
            let first = page.db_snapshots().first().required(CALL, "DBSnapshots", id)?;
            read(first, &final_snapshot_prefix(deployment), id)?
        }
    };
    usable(&snapshot, db.storage_gb)?;
    not_older(&snapshot, &db.engine_version)?;
    Ok(RestoreSource { snapshot: snapshot.id, taken: snapshot.taken, engine_version: Some(snapshot.engine_version) })
}

/// The newest available final snapshot.
fn newest_final(snapshots: Vec<Snapshot>) -> Option<Snapshot> {
    snapshots
        .into_iter()
        .filter(|s| s.origin == Origin::Final && s.status == "available")
        .max_by(|a, b| (&a.taken, &a.id).cmp(&(&b.taken, &b.id)))
}

/// A snapshot clusterup's database can be restored from: available, no larger than the topology's
/// storage, and encrypted, since the database
/// is encrypted and a restore keeps the snapshot's encryption (an unencrypted one would make the next
/// plan replace the restored database).
fn usable(snapshot: &Snapshot, storage_gb: u32) -> Result<(), AwsError> {
    let fault = if snapshot.status != "available" {
        format!("is {}, not available yet; wait for it, then plan again", snapshot.status)
    } else if !snapshot.encrypted {
        "is not encrypted, and clusterup's database is: copy it encrypted first (aws rds copy-db-snapshot \
         --kms-key-id alias/aws/rds ...) and restore from the copy"
            .to_owned()
    } else if i64::from(snapshot.size_gb) > i64::from(storage_gb) {
        format!(
            "holds {} GiB, and RDS restores into no less (database.storage_gb is {storage_gb}): set storage_gb to \
             {} or more",
            snapshot.size_gb, snapshot.size_gb
        )
    } else {
        return Ok(());
    };
    Err(AwsError::local(&snapshot.id, CALL, format!("database.restore_from: DB snapshot {} {fault}", snapshot.id)))
}

/// `8.4.3` -> (8, 4): what RDS calls the major version of MySQL.
fn major(version: &str) -> (u32, u32) {
    let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

/// The topology's version is the snapshot's major version or a newer one: the restored database runs
/// the snapshot's version and is upgraded after; RDS cannot downgrade
/// (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_UpgradeDBInstance.MySQL.html).
fn not_older(snapshot: &Snapshot, wanted: &str) -> Result<(), AwsError> {
    if major(wanted) >= major(&snapshot.engine_version) {
        return Ok(());
    }
    Err(AwsError::local(
        &snapshot.id,
        CALL,
        format!(
            "database.restore_from: DB snapshot {} holds MySQL {}, and database.engine_version is \"{wanted}\": RDS \
             cannot downgrade; set engine_version to \"{}\" or newer",
            snapshot.id,
            snapshot.engine_version,
            super::changes::major(&snapshot.engine_version)
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(id: &str, origin: Origin, taken: &str) -> Snapshot {
        Snapshot {
            id: id.into(),
            origin,
            status: "available".into(),
            taken: Some(taken.into()),
            size_gb: 20,
            engine_version: "8.4.3".into(),
            encrypted: true,
        }
    }

    #[test]
    fn latest_is_the_newest_available_final_snapshot() {
        let mut creating = snapshot("shop-final-20261206000000", Origin::Final, "2026-12-06T00:00:00Z");
        creating.status = "creating".into();
        let all = vec![
            snapshot("shop-final-20261201000000", Origin::Final, "2026-12-01T00:00:00Z"),
            snapshot("shop-final-20261203000000", Origin::Final, "2026-12-03T00:00:00Z"),
            snapshot("rds:shop-db-2026-12-05-03-00", Origin::Automated, "2026-12-05T03:00:00Z"),
            snapshot("by-hand", Origin::Manual, "2026-12-05T04:00:00Z"),
            creating,
        ];
        assert_eq!(newest_final(all).map(|s| s.id).as_deref(), Some("shop-final-20261203000000"));
        assert_eq!(newest_final(vec![snapshot("by-hand", Origin::Manual, "2026-12-05T04:00:00Z")]), None);
    }

    #[test]
    fn an_unencrypted_or_unfinished_snapshot_is_refused_with_what_to_do() {
        let mut plain = snapshot("old", Origin::Manual, "2026-12-01T00:00:00Z");
        plain.encrypted = false;
        let err = usable(&plain, 20).expect_err("unencrypted").to_string();
        assert!(err.contains("copy-db-snapshot"), "{err}");
        let mut creating = snapshot("new", Origin::Final, "2026-12-01T00:00:00Z");
        creating.status = "creating".into();
        assert!(usable(&creating, 20).expect_err("creating").to_string().contains("is creating"));
        let ok = snapshot("ok", Origin::Final, "2026-12-01T00:00:00Z");
        assert!(usable(&ok, 20).is_ok());
        let err = usable(&ok, 19).expect_err("too small").to_string();
        assert!(err.contains("set storage_gb to 20 or more"), "{err}");
    }

    #[test]
    fn a_snapshot_of_a_newer_mysql_than_the_topology_is_refused() {
        let taken = snapshot("shop-final-20261201000000", Origin::Final, "2026-12-01T00:00:00Z");
        assert!(not_older(&taken, "8.4").is_ok());
        assert!(not_older(&taken, "8.4.5").is_ok(), "a minor version is no downgrade of the major");
        let err = not_older(&taken, "8.0").expect_err("a downgrade").to_string();
        assert!(err.contains("set engine_version to \"8.4\" or newer"), "{err}");
        let mut old = taken;
        old.engine_version = "8.0.39".into();
        assert!(not_older(&old, "8.4").is_ok(), "upgraded after the restore");
    }

    #[test]
    fn automated_snapshots_have_no_delete_command() {
        let final_one = snapshot("shop-final-20261201000000", Origin::Final, "2026-12-01T00:00:00Z");
        assert_eq!(
            final_one.delete_command("us-east-1").as_deref(),
            Some("aws rds delete-db-snapshot --region us-east-1 --db-snapshot-identifier shop-final-20261201000000")
        );
        assert_eq!(snapshot("rds:x", Origin::Automated, "2026-12-01T00:00:00Z").delete_command("us-east-1"), None);
    }
}
