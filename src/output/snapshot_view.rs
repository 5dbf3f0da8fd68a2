//! `clusterup snapshots`: the deployment's DB snapshots and EFS backups (AWS Backup recovery points),
//! with their sizes, times and how to delete them.

use std::fmt::Write as _;

use crate::model::names::database::identifier;
use crate::resources::efs::recovery_points::RecoveryPoint;
use crate::resources::rds::snapshots::{Origin, Snapshot};

/// A table of DB snapshots, oldest first, then the delete commands and what `restore_from` does with
/// them; then the file system's recovery points the same way.
pub fn render_snapshots(
    deployment: &str,
    region: &str,
    snapshots: &[Snapshot],
    recovery_points: &[RecoveryPoint],
) -> String {
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
    render_recovery_points(&mut out, deployment, region, recovery_points);
    out
}

/// The EFS automatic backups (`shared_storage.backups`), oldest first, with the commands that delete them.
fn render_recovery_points(out: &mut String, deployment: &str, region: &str, points: &[RecoveryPoint]) {
    if points.is_empty() {
        let _ = writeln!(out, "\nNo EFS backups (AWS Backup recovery points) of deployment {deployment} in {region}.");
        return;
    }
    let _ = writeln!(out, "\nEFS backups (AWS Backup recovery points) of deployment {deployment}, oldest first:");
    let _ = writeln!(out, "  {:<20}  {:>10}  {:<20}  {:<9}  RECOVERY POINT", "TAKEN", "SIZE", "EXPIRES", "STATUS");
    for p in points {
        let _ = writeln!(
            out,
            "  {:<20}  {:>10}  {:<20}  {:<9}  {}",
            p.taken.as_deref().unwrap_or("-"),
            p.size_bytes.map_or_else(|| "-".to_owned(), size),
            p.expires.as_deref().unwrap_or("never"),
            p.status,
            p.arn
        );
    }
    out.push_str("\nAWS Backup bills them as backup storage until they expire; to delete one now:\n");
    for p in points {
        let _ = writeln!(out, "  {}", p.delete_command(region));
    }
}

/// A byte count in the largest binary unit that keeps it at least 1 (`1.5 GiB`, `512 B`).
fn size(bytes: i64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

fn origin(origin: Origin) -> &'static str {
    match origin {
        Origin::Final => "final",
        Origin::Automated => "automated",
        Origin::Manual => "manual",
    }
}

/// `{deployment, region, database, snapshots: [{id, origin, status, taken, size_gb, engine_version,
/// encrypted, delete_command}], recovery_points: [{arn, status, taken, size_bytes, expires,
/// delete_command}]}`.
pub fn snapshots_json(
    deployment: &str,
    region: &str,
    snapshots: &[Snapshot],
    recovery_points: &[RecoveryPoint],
) -> serde_json::Value {
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
        "recovery_points": recovery_points.iter().map(|p| serde_json::json!({
            "arn": p.arn,
            "status": p.status,
            "taken": p.taken,
            "size_bytes": p.size_bytes,
            "expires": p.expires,
            "delete_command": p.delete_command(region),
        })).collect::<Vec<_>>(),
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
            &[RecoveryPoint {
                arn: "arn:aws:backup:us-east-1:123456789012:recovery-point:11111111-aaaa-bbbb-cccc-000000000001".into(),
                status: "COMPLETED".into(),
                taken: Some("2026-12-05T05:00:00Z".into()),
                size_bytes: Some(1_610_612_736),
                expires: Some("2027-01-09T05:00:00Z".into()),
            }],
        );
        insta::assert_snapshot!(text);
    }

    #[test]
    fn none_says_so() {
        let text = render_snapshots("shop", "us-east-1", &[], &[]);
        assert!(text.starts_with("No DB snapshots of deployment shop (database shop-db) in us-east-1."), "{text}");
        assert!(
            text.contains("No EFS backups (AWS Backup recovery points) of deployment shop in us-east-1."),
            "{text}"
        );
    }

    #[test]
    fn sizes_read_in_binary_units() {
        assert_eq!([size(512), size(1_536), size(1_610_612_736)], ["512 B", "1.5 KiB", "1.5 GiB"]);
    }
}
