//! The optional services: database, shared storage, Spark.

use std::collections::BTreeMap;

use super::Result;
use crate::topology::defaults::*;
use crate::topology::error::Finding;
use crate::topology::locate::YamlPath;
use crate::topology::model::*;
use crate::topology::raw::*;
use crate::topology::versions::{self, Date, PastSupport, AS_OF};

pub fn database(raw: RawDatabase, today: Date, warnings: &mut Vec<Finding>) -> Database {
    let path = YamlPath::root().key("database");
    let engine_version = raw.engine_version.map_or_else(|| DEFAULT_ENGINE_VERSION.to_owned(), |v| v.0);
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
                 Use \"{DEFAULT_ENGINE_VERSION}\", the current LTS ({})",
                past.ended,
                table_note(&past)
            ),
        ));
    }
    let multi_az = raw.multi_az.unwrap_or(true);
    if !multi_az {
        warnings.push(Finding::new(
            path.key("multi_az"),
            "a single-AZ database is down while its zone is; use multi_az: true in production",
        ));
    }
    let backup_retention_days = raw.backup_retention_days.map_or(DEFAULT_RETENTION_DAYS, |d| d.0);
    if backup_retention_days == 0 {
        warnings.push(Finding::new(
            path.key("backup_retention_days"),
            "0 turns off automated backups and point-in-time recovery",
        ));
    }
    Database {
        engine_version,
        instance_class: raw.instance_class.map_or_else(|| DEFAULT_DB_CLASS.to_owned(), |c| c.0),
        storage_gb: raw.storage_gb.map_or(DEFAULT_STORAGE_GB, |s| s.0),
        multi_az,
        backup_retention_days,
        deletion: raw.deletion.unwrap_or(DeletionPolicy::Snapshot),
        apply_changes: raw.apply_changes.unwrap_or(ApplyChanges::Immediately),
        parameters: raw.parameters.unwrap_or_default().into_iter().map(|(k, v)| (k.0, v.0)).collect::<BTreeMap<_, _>>(),
    }
}

/// Where a lifecycle date comes from, and how fresh the table is.
fn table_note(past: &PastSupport) -> String {
    format!("clusterup's version table as of {AS_OF}; source: {}", past.row.source)
}

pub fn shared_storage(raw: RawSharedStorage) -> SharedStorage {
    SharedStorage {
        mount_path: raw.mount_path.map_or_else(|| DEFAULT_MOUNT_PATH.to_owned(), |p| p.0),
        encrypted: raw.encrypted.unwrap_or(true),
        transition_to_ia: raw.transition_to_ia.map(|t| t.0),
        backups: raw.backups.unwrap_or(true),
    }
}

/// EMR managed scaling exists from release 5.30.0 in 5.x and from 6.1.0 in 6.x (and in every later major).
fn managed_scaling_available(release: &str) -> bool {
    let numbers: Vec<u32> = release.trim_start_matches("emr-").split('.').map(|n| n.parse().unwrap_or(0)).collect();
    match numbers.as_slice() {
        [5, minor, ..] => *minor >= 30,
        [6, minor, ..] => *minor >= 1,
        [major, ..] => *major > 6,
        [] => false,
    }
}

/// Reconfiguring a running cluster's instance groups exists from release 5.21.0.
fn reconfiguration_available(release: &str) -> bool {
    let numbers: Vec<u32> = release.trim_start_matches("emr-").split('.').map(|n| n.parse().unwrap_or(0)).collect();
    match numbers.as_slice() {
        [5, minor, ..] => *minor >= 21,
        [major, ..] => *major > 5,
        [] => false,
    }
}

pub fn spark(raw: RawSpark, has_database: bool, today: Date, warnings: &mut Vec<Finding>) -> Result<Spark> {
    let path = YamlPath::root().key("spark");
    let release = raw.release.map_or_else(|| DEFAULT_SPARK_RELEASE.to_owned(), |r| r.0);
    if let Some(past) = versions::emr_past_support(&release, today) {
        let what = if release == past.row.version {
            format!("{release} left EMR standard support on {}", past.ended)
        } else {
            format!("{release} is older than {}, which left EMR standard support on {}", past.row.version, past.ended)
        };
        warnings.push(Finding::new(
            path.key("release"),
            format!(
                "{what}: no more fixes for it. Use {DEFAULT_SPARK_RELEASE}, the newest EMR 7 release ({})",
                table_note(&past)
            ),
        ));
    }
    let group = |raw: Option<RawInstanceGroup>, default_count: u32| {
        let raw = raw.unwrap_or_default();
        InstanceGroup {
            instance_type: raw.instance_type.map_or_else(|| DEFAULT_SPARK_INSTANCE.to_owned(), |t| t.0),
            count: raw.count.map_or(default_count, |c| c.0),
        }
    };
    let master = group(raw.master, 1);
    if master.count != 1 {
        return Err(Finding::new(
            path.key("master").key("count"),
            format!("the master group always has exactly one instance, not {}", master.count),
        ));
    }
    let core = group(raw.core, DEFAULT_CORE_COUNT);
    if core.count == 0 {
        return Err(Finding::new(
            path.key("core").key("count"),
            "the core group needs at least one instance (it runs HDFS and YARN)",
        ));
    }
    let task = raw.task.map(|t| group(Some(t), 0));
    let scaling = match raw.scaling {
        Some(s) if s.min.0 > s.max.0 => {
            return Err(Finding::new(
                path.key("scaling"),
                format!("min ({}) is greater than max ({})", s.min.0, s.max.0),
            )
            .at(path.key("scaling").key("max")));
        }
        Some(s) => {
            let managed_available = managed_scaling_available(&release);
            let mode = match s.mode {
                Some(SparkScalingMode::Managed) if !managed_available => {
                    return Err(Finding::new(
                        path.key("scaling").key("mode"),
                        format!(
                            "EMR managed scaling needs release emr-5.30.0 or later (emr-6.1.0 or later in 6.x), not {}; use mode: custom",
                            release
                        ),
                    ));
                }
                Some(mode) => mode,
                None if managed_available => SparkScalingMode::Managed,
                None => SparkScalingMode::Custom,
            };
            if core.count < s.min.0 || core.count > s.max.0 {
                return Err(Finding::new(
                    path.key("core").key("count"),
                    format!(
                        "with scaling, the core group starts within scaling.min..scaling.max ({}..{}), not at {}",
                        s.min.0, s.max.0, core.count
                    ),
                ));
            }
            Some(SparkScaling { min: s.min.0, max: s.max.0, mode })
        }
        None => None,
    };
    let metastore = match raw.metastore {
        Some(Metastore::SharedDatabase) if !has_database => {
            return Err(Finding::new(
                path.key("metastore"),
                "shared_database needs a database section (or use metastore: local)",
            ));
        }
        Some(m) => m,
        None if has_database => Metastore::SharedDatabase,
        None => Metastore::Local,
    };
    // The cluster starts beside the database and the metastore is attached to it once both exist, by
    // reconfiguring the running cluster's master group, which EMR supports from emr-5.21.0
    // (https://docs.aws.amazon.com/emr/latest/ReleaseGuide/emr-configure-apps-running-cluster.html).
    if metastore == Metastore::SharedDatabase && !reconfiguration_available(&release) {
        return Err(Finding::new(
            path.key("release"),
            format!(
                "the shared metastore is attached to the running cluster (EMR reconfiguration), which needs release emr-5.21.0 or later, not {release}; use a newer release or metastore: local"
            ),
        ));
    }
    Ok(Spark { release, master, core, task, scaling, metastore })
}
