//! The database: RDS MySQL, the app's shared metadata database.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use super::support_table_note;
use crate::topology::error::Finding;
use crate::topology::locate::YamlPath;
use crate::topology::model::*;
use crate::topology::types::*;
use crate::topology::versions::{self, Date};

/// The current RDS for MySQL LTS (8.0 left standard support on 2026-07-31; see `versions.rs`).
pub const ENGINE_VERSION: &str = "8.4";
pub const INSTANCE_CLASS: &str = "db.t3.medium";
pub const STORAGE_GB: u32 = 20;
pub const MULTI_AZ: bool = true;
pub const RETENTION_DAYS: u8 = 7;
pub const DELETION: DeletionPolicy = DeletionPolicy::Snapshot;
pub const APPLY_CHANGES: ApplyChanges = ApplyChanges::Immediately;

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "the database section, a mapping")]
pub struct RawDatabase {
    /// MySQL 5.7, 8.0 or 8.4, optionally with a minor version ("8.4.3"); quote it. 5.7 and 8.0 are
    /// past RDS standard support (a warning).
    #[schemars(extend("default" = ENGINE_VERSION))]
    pub engine_version: Option<EngineVersion>,
    /// RDS instance class, e.g. db.t3.medium or db.r6g.large.
    #[schemars(extend("default" = INSTANCE_CLASS))]
    pub instance_class: Option<DbInstanceClass>,
    /// Allocated storage in GiB; it can only grow.
    #[schemars(extend("default" = STORAGE_GB))]
    pub storage_gb: Option<StorageGb>,
    /// A synchronous standby in a second zone; false is a warning.
    #[schemars(extend("default" = MULTI_AZ))]
    pub multi_az: Option<bool>,
    /// Days of automated backups; 0 turns them off (a warning).
    #[schemars(extend("default" = RETENTION_DAYS))]
    pub backup_retention_days: Option<RetentionDays>,
    /// On destroy: `snapshot` takes a final snapshot first, `delete` takes none.
    #[schemars(extend("default" = DELETION))]
    pub deletion: Option<DeletionPolicy>,
    /// When RDS makes changes to the instance: `immediately` as apply runs, or `maintenance_window`
    /// in its next weekly maintenance window.
    #[schemars(extend("default" = APPLY_CHANGES))]
    pub apply_changes: Option<ApplyChanges>,
    /// DB parameter group settings, e.g. { max_connections: "500" }; only these are managed, and
    /// require_secure_transport, which is 1 unless set here (anything else is a warning).
    pub parameters: Option<BTreeMap<DbParameterName, DbParameterValue>>,
    /// Create the database from a DB snapshot instead of empty: `latest` (the newest final snapshot
    /// destroy kept of this deployment) or a snapshot identifier. Read only while the database does
    /// not exist: it never replaces a running one.
    pub restore_from: Option<DbSnapshotRef>,
}

pub fn database(raw: RawDatabase, today: Date, warnings: &mut Vec<Finding>) -> Database {
    let path = YamlPath::root().key("database");
    let engine_version = raw.engine_version.map_or_else(|| ENGINE_VERSION.to_owned(), |v| v.0);
    if let Some(past) = versions::mysql_past_support(&engine_version, today) {
        let named = if engine_version == past.row.version {
            format!("MySQL {engine_version}")
        } else {
            format!("MySQL {engine_version} ({})", past.row.version)
        };
        warnings.push(Finding::new(
            path.key("engine_version"),
            format!(
                "{named} left RDS standard support on {}; RDS charges Extended Support for it from then on. \
                 Use \"{ENGINE_VERSION}\", the current LTS ({})",
                past.ended,
                support_table_note(&past)
            ),
        ));
    }
    let multi_az = raw.multi_az.unwrap_or(MULTI_AZ);
    if !multi_az {
        warnings.push(Finding::new(
            path.key("multi_az"),
            "a single-AZ database is down while its zone is; use multi_az: true in production",
        ));
    }
    let backup_retention_days = raw.backup_retention_days.map_or(RETENTION_DAYS, |d| d.0);
    if backup_retention_days == 0 {
        warnings.push(Finding::new(
            path.key("backup_retention_days"),
            "0 turns off automated backups and point-in-time recovery",
        ));
    }
    // No `parameters:`: the engine's defaults, apart from those clusterup sets itself.
    let parameters: BTreeMap<String, String> =
        raw.parameters.unwrap_or_default().into_iter().map(|(k, v)| (k.0, v.0)).collect();
    if let Some((name, value)) = parameters.iter().find(|(k, _)| k.eq_ignore_ascii_case(REQUIRE_SECURE_TRANSPORT)) {
        if !(value == "1" || value.eq_ignore_ascii_case("ON")) {
            warnings.push(Finding::new(
                path.key("parameters").key(name),
                format!(
                    "{name}: {value} lets clients reach the database without TLS (passwords and data in \
                     clear on the network); without this line clusterup sets it to 1"
                ),
            ));
        }
    }
    Database {
        engine_version,
        instance_class: raw.instance_class.map_or_else(|| INSTANCE_CLASS.to_owned(), |c| c.0),
        storage_gb: raw.storage_gb.map_or(STORAGE_GB, |s| s.0),
        multi_az,
        backup_retention_days,
        deletion: raw.deletion.unwrap_or(DELETION),
        apply_changes: raw.apply_changes.unwrap_or(APPLY_CHANGES),
        parameters,
        restore_from: raw.restore_from.map(|r| match r.0.as_str() {
            "latest" => RestoreFrom::Latest,
            // RDS stores snapshot identifiers in lowercase and matches them regardless of case.
            _ => RestoreFrom::Snapshot(r.0.to_ascii_lowercase()),
        }),
    }
}
