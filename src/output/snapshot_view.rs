//! `clusterup snapshots`: the deployment's DB snapshots, with their sizes, times and how to delete them.

use std::fmt::Write as _;

use crate::model::names::database::identifier;
use crate::resources::rds::snapshots::{Origin, Snapshot};

/// A table, oldest first, then the delete commands and what `restore_from` does with them.
pub fn render_snapshots(deployment: &str, region: &str, snapshots: &[Snapshot]) -> String {
    let db = identifier(deployment);
    let mut out = String::new();
    if snapshots.is_empty() {
        let _ = writeln!(out, "No DB snapshots of deployment {deployment} (database {db}) in {region}.");
    } else {
        let _ = writeln!(out, "DB snapshots of deployment {deployment} (database {db}) in {region}, oldest first:");
        let width = snapshots.iter().map(|s| s.id.len()).max().unwrap_or(0).max("SNAPSHOT".len());
        let _ = writeln!(
            out,
            "  {:<width$}  {:<9}  {:<20}  {:>8}  {:<7}  STATUS",
            "SNAPSHOT", "ORIGIN", "TAKEN", "SIZE", "MYSQL"
        );
        for s in snapshots {
            let _ = writeln!(
                out,
                "  {:<width$}  {:<9}  {:<20}  {:>8}  {:<7}  {}",
                s.id,
                origin(s.origin),
                s.taken.as_deref().unwrap_or("-"),
                format!("{} GiB", s.size_gb),
                s.engine_version,
                s.status
            );
        }
        let deletable: Vec<String> = snapshots.iter().filter_map(|s| s.delete_command(region)).collect();
        if !deletable.is_empty() {
            out.push_str("\nRDS bills their storage until they are deleted; to delete one:\n");
            for command in deletable {
                let _ = writeln!(out, "  {command}");
            }
        }
        if snapshots.iter().any(|s| s.origin == Origin::Automated) {
            out.push_str("Automated snapshots are deleted by RDS when their retention ends, not one by one.\n");
        }
        if snapshots.iter().any(|s| s.origin == Origin::Final) {
            out.push_str(
                "\nTo bring the newest final snapshot back: `database.restore_from: latest` in the topology, then apply.\n",
            );
        }
    }
    out.push_str(
        "\nEFS backups (shared_storage.backups) are AWS Backup recovery points, not listed here: \
         aws backup list-recovery-points-by-resource --resource-arn <the file system's ARN>\n",
    );
    out
}

fn origin(origin: Origin) -> &'static str {
    match origin {
        Origin::Final => "final",
        Origin::Automated => "automated",
        Origin::Manual => "manual",
    }
}

/// `{deployment, region, database, snapshots: [{id, origin, status, taken, size_gb, engine_version,
/// encrypted, delete_command}]}`.
pub fn snapshots_json(deployment: &str, region: &str, snapshots: &[Snapshot]) -> serde_json::Value {
    let list: Vec<serde_json::Value> = snapshots
        .iter()
        .map(|s| {
            serde_json::json!({
                "id": s.id,
                "origin": s.origin,
                "status": s.status,
                "taken": s.taken,
                "size_gb": s.size_gb,
                "engine_version": s.engine_version,
                "encrypted": s.encrypted,
                "delete_command": s.delete_command(region),
            })
        })
        .collect();
    serde_json::json!({
        "deployment": deployment,
        "region": region,
        "database": identifier(deployment),
        "snapshots": list,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(id: &str, origin: Origin) -> Snapshot {
        Snapshot {
            id: id.into(),
            origin,
            status: "available".into(),
            taken: Some("2026-12-06T12:00:00Z".into()),
            size_gb: 20,
            engine_version: "8.4.3".into(),
            encrypted: true,
        }
    }

    #[test]
    fn the_table_says_sizes_times_and_how_to_delete_each() {
        let text = render_snapshots(
            "shop",
            "us-east-1",
            &[
                snapshot("rds:shop-db-2026-12-06-03-00", Origin::Automated),
                snapshot("shop-final-20261206120000", Origin::Final),
            ],
        );
        insta::assert_snapshot!(text);
    }

    #[test]
    fn none_says_so() {
        let text = render_snapshots("shop", "us-east-1", &[]);
        assert!(text.starts_with("No DB snapshots of deployment shop (database shop-db) in us-east-1."), "{text}");
    }
}
