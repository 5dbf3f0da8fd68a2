//! Spark: an EMR cluster running Spark on YARN, sharing the database and the file system.

use schemars::JsonSchema;
use serde::Deserialize;

use super::{null_as_default, null_is_default, support_table_note, Result};
use crate::topology::error::Finding;
use crate::topology::locate::YamlPath;
use crate::topology::model::*;
use crate::topology::types::*;
use crate::topology::versions::{self, Date};

/// The newest EMR 7 release clusterup knows of (see `versions.rs`).
pub const RELEASE: &str = versions::NEWEST_EMR_7;
pub const INSTANCE_TYPE: &str = "m5.xlarge";
pub const MASTER_COUNT: u32 = 1;
pub const CORE_COUNT: u32 = 2;
pub const TASK_COUNT: u32 = 0;

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "the spark section, a mapping with at least release")]
pub struct RawSpark {
    /// EMR release label, e.g. emr-7.14.0; one past its end of standard support is a warning.
    #[schemars(extend("default" = RELEASE))]
    pub release: Option<EmrRelease>,
    /// The master node: always one instance (count, if written, must be 1).
    #[serde(default, deserialize_with = "null_as_default")]
    #[schemars(with = "Option<RawInstanceGroup>")]
    #[schemars(transform = group_count::<MASTER_COUNT, MASTER_COUNT>, transform = at_most_one)]
    pub master: RawInstanceGroup,
    /// Core nodes (HDFS and YARN): count at least 1.
    #[serde(default, deserialize_with = "null_as_default")]
    #[schemars(with = "Option<RawInstanceGroup>")]
    #[schemars(transform = group_count::<CORE_COUNT, 1>)]
    pub core: RawInstanceGroup,
    /// Task nodes (YARN only, no HDFS); none without this section.
    #[serde(default, deserialize_with = "null_is_default")]
    #[schemars(transform = group_count::<TASK_COUNT, 0>)]
    pub task: Option<RawInstanceGroup>,
    /// Automatic scaling of the core and task nodes, in instances: 1 <= min <= max, core.count within
    /// them.
    pub scaling: Option<RawSparkScaling>,
    /// Hive metastore: `shared_database` on the shared database (the default when there is one; needs
    /// emr-5.21.0 or later), or `local` to the master node.
    pub metastore: Option<Metastore>,
    /// A customer managed KMS key (its ARN, in the deployment's region) that encrypts the nodes' local
    /// disks and EBS volumes; the nodes' and EMR's roles are let use it. Left out, only what EMRFS
    /// writes to S3 is encrypted by the cluster (SSE-S3), and EBS volumes follow the account's default.
    pub disk_encryption_key: Option<KmsKeyArn>,
    /// A zip of PEM files in S3 (the nodes' private key and certificate, and a trusted certificate
    /// chain) that turns on EMR's in-transit encryption (TLS between the cluster's processes); the
    /// nodes' role is let read that object.
    pub in_transit_certificates: Option<S3ZipUrl>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "an instance group such as { instance_type: m5.xlarge, count: 2 }")]
pub struct RawInstanceGroup {
    /// EC2 instance type.
    #[schemars(extend("default" = INSTANCE_TYPE))]
    pub instance_type: Option<InstanceType>,
    /// Instances in the group.
    pub count: Option<InstanceCount>,
}

/// Each group has its own default and least count, which the shared `RawInstanceGroup` cannot say;
/// `spark()` checks the least count itself, with its own message.
fn group_count<const DEFAULT: u32, const MIN: u32>(schema: &mut schemars::Schema) {
    if let Some(count) = schema.get_mut("properties").and_then(|p| p.get_mut("count")) {
        count["default"] = DEFAULT.into();
        count["minimum"] = MIN.into();
    }
}

/// The master group has exactly one instance.
fn at_most_one(schema: &mut schemars::Schema) {
    if let Some(count) = schema.get_mut("properties").and_then(|p| p.get_mut("count")) {
        count["maximum"] = MASTER_COUNT.into();
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "a scaling mapping such as { min: 2, max: 10 }")]
pub struct RawSparkScaling {
    /// Fewest instances.
    pub min: CapacityUnits,
    /// Most instances.
    pub max: CapacityUnits,
    /// `managed`: EMR managed scaling (the default from emr-5.30.0 and emr-6.1.0); `custom`:
    /// instance-group scaling rules on YARN memory.
    pub mode: Option<SparkScalingMode>,
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

pub fn spark(
    raw: RawSpark,
    region: &str,
    has_database: bool,
    today: Date,
    warnings: &mut Vec<Finding>,
) -> Result<Spark> {
    let path = YamlPath::root().key("spark");
    let disk_encryption_key = raw.disk_encryption_key.map(|k| k.0);
    if let Some(key) = &disk_encryption_key {
        // EMR uses a key of the cluster's own region only.
        let key_region = crate::topology::rules::kms_key_arn(key).unwrap_or(region);
        if key_region != region {
            return Err(Finding::new(
                path.key("disk_encryption_key"),
                format!("the key is in {key_region}, but a cluster in {region} can only use a KMS key of {region}"),
            ));
        }
    }
    let release = raw.release.map_or_else(|| RELEASE.to_owned(), |r| r.0);
    if let Some(past) = versions::emr_past_support(&release, today) {
        let what = if release == past.row.version {
            format!("{release} left EMR standard support on {}", past.ended)
        } else {
            format!("{release} is older than {}, which left EMR standard support on {}", past.row.version, past.ended)
        };
        warnings.push(Finding::new(
            path.key("release"),
            format!(
                "{what}: no more fixes for it. Use {RELEASE}, the newest EMR 7 release ({})",
                support_table_note(&past)
            ),
        ));
    }
    let group = |raw: RawInstanceGroup, default_count: u32| InstanceGroup {
        instance_type: raw.instance_type.map_or_else(|| INSTANCE_TYPE.to_owned(), |t| t.0),
        count: raw.count.map_or(default_count, |c| c.0),
    };
    let master = group(raw.master, MASTER_COUNT);
    if master.count != 1 {
        return Err(Finding::new(
            path.key("master").key("count"),
            format!("the master group always has exactly one instance, not {}", master.count),
        ));
    }
    let core = group(raw.core, CORE_COUNT);
    if core.count == 0 {
        return Err(Finding::new(
            path.key("core").key("count"),
            "the core group needs at least one instance (it runs HDFS and YARN)",
        ));
    }
    let task = raw.task.map(|t| group(t, TASK_COUNT));
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
    let in_transit_certificates = raw.in_transit_certificates.map(|u| u.0);
    Ok(Spark { release, master, core, task, scaling, metastore, disk_encryption_key, in_transit_certificates })
}
