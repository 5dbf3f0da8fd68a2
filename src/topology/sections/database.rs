//! The database: RDS MySQL, the app's shared metadata database.

use std::collections::BTreeMap;

use std::borrow::Cow;
use std::fmt;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, value::MapAccessDeserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

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
    /// Read replicas of the database (CreateDBInstanceReadReplica), each in another zone where the
    /// network has one: a count (0 to 5), or a list of `{ instance_class }` (each defaulting to the
    /// database's class). Nodes get their endpoints as DB_READ_HOSTS. A database with replicas keeps a
    /// password of clusterup's in Secrets Manager instead of RDS's (RDS refuses replicas of a MySQL
    /// database whose password it manages).
    #[schemars(extend("default" = 0))]
    pub read_replicas: Option<RawReadReplicas>,
}

/// `read_replicas:` as written: a count, or one entry per replica.
#[derive(Debug)]
pub enum RawReadReplicas {
    Count(usize),
    List(Vec<RawReadReplica>),
}

/// One read replica.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "a read replica, a mapping such as { instance_class: db.r6g.large }")]
pub struct RawReadReplica {
    /// RDS instance class of the replica; the database's by default.
    pub instance_class: Option<DbInstanceClass>,
}

impl JsonSchema for RawReadReplicas {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "ReadReplicas".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let replica = generator.subschema_for::<RawReadReplica>();
        json_schema!({
            "description": "a number of read replicas (0 to 5) or a list of { instance_class }",
            "oneOf": [
                { "type": "integer", "minimum": 0, "maximum": MAX_READ_REPLICAS },
                { "type": "array", "items": replica, "maxItems": MAX_READ_REPLICAS },
            ],
        })
    }
}

fn too_many(n: u64) -> String {
    format!(
        "{n} read replicas is too many: clusterup makes at most {MAX_READ_REPLICAS} (RDS allows 15 for MySQL; \
         more readers than that belong to a database of their own)"
    )
}

impl<'de> Deserialize<'de> for RawReadReplicas {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawReadReplicas;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number of read replicas (0 to 5) or a list such as [{ instance_class: db.r6g.large }]")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawReadReplicas, E> {
                match usize::try_from(v) {
                    Ok(n) if n <= MAX_READ_REPLICAS => Ok(RawReadReplicas::Count(n)),
                    _ => Err(E::custom(too_many(v))),
                }
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawReadReplicas, E> {
                match u64::try_from(v) {
                    Ok(v) => self.visit_u64(v),
                    Err(_) => Err(E::custom(format!("{v} is not a number of read replicas; expected 0 to 5"))),
                }
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawReadReplicas, A::Error> {
                let mut replicas = Vec::new();
                while let Some(replica) = seq.next_element::<RawReadReplica>()? {
                    replicas.push(replica);
                }
                if replicas.len() > MAX_READ_REPLICAS {
                    return Err(de::Error::custom(too_many(replicas.len() as u64)));
                }
                Ok(RawReadReplicas::List(replicas))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawReadReplicas, A::Error> {
                // One replica written as a mapping rather than a list of one: say how to write it.
                let _ = RawReadReplica::deserialize(MapAccessDeserializer::new(map))?;
                Err(de::Error::custom("write the replicas as a list: read_replicas: [{ instance_class: ... }]"))
            }
        }
        d.deserialize_any(V)
    }
}

pub fn database(raw: RawDatabase, today: Date, warnings: &mut Vec<Finding>) -> Result<Database, Finding> {
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
    let instance_class = raw.instance_class.map_or_else(|| INSTANCE_CLASS.to_owned(), |c| c.0);
    let read_replicas: Vec<ReadReplica> = match raw.read_replicas {
        None => Vec::new(),
        Some(RawReadReplicas::Count(n)) => vec![ReadReplica { instance_class: instance_class.clone() }; n],
        Some(RawReadReplicas::List(list)) => list
            .into_iter()
            .map(|r| ReadReplica { instance_class: r.instance_class.map_or_else(|| instance_class.clone(), |c| c.0) })
            .collect(),
    };
    let backup_retention_days = raw.backup_retention_days.map_or(RETENTION_DAYS, |d| d.0);
    if backup_retention_days == 0 && !read_replicas.is_empty() {
        // RDS makes a replica only of a source with automated backups (CreateDBInstanceReadReplica:
        // "the source DB instance must have backup retention enabled").
        return Err(Finding::new(
            path.key("backup_retention_days"),
            "0 turns off automated backups, and RDS makes read replicas only of a database that has them: \
             keep backup_retention_days at 1 or more, or remove read_replicas",
        ));
    }
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
    Ok(Database {
        engine_version,
        instance_class,
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
        read_replicas,
    })
}
