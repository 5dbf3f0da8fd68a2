//! The topology file exactly as written: serde types, before defaults and cross-field rules.
//!
//! Every struct denies unknown fields (serde then lists the expected ones). Optional sections use
//! [`null_is_default`] so that a key written with no value (`database:`) means "this section, with its
//! defaults" rather than "no section". `validate.rs` turns these into the `model.rs` types.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};

use super::model::{
    Algorithm, ApplyChanges, Cidr, DeletionPolicy, Image, Metastore, NatMode, Scheme, SparkScalingMode,
};
use super::types::*;

/// For optional sections: absent -> `None` (through `#[serde(default)]`), present but empty -> the
/// section's defaults.
fn null_is_default<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Option::<T>::deserialize(d).map(|section| Some(section.unwrap_or_default()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a mapping with at least name, region and app")]
pub struct RawTopology {
    pub name: DeploymentName,
    pub region: Region,
    #[serde(default)]
    pub tags: Option<Tags>,
    #[serde(default, deserialize_with = "null_is_default")]
    pub network: Option<RawNetwork>,
    #[serde(default, deserialize_with = "null_is_default")]
    pub load_balancer: Option<RawLoadBalancer>,
    pub app: RawApp,
    #[serde(default, deserialize_with = "null_is_default")]
    pub database: Option<RawDatabase>,
    #[serde(default, deserialize_with = "null_is_default")]
    pub shared_storage: Option<RawSharedStorage>,
    #[serde(default, deserialize_with = "null_is_default")]
    pub spark: Option<RawSpark>,
}

/// Both network forms in one struct: `validate.rs` reports a mix of them at the offending key, which
/// an untagged enum could not do.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, expecting = "the network section, a mapping")]
pub struct RawNetwork {
    pub cidr: Option<Cidr>,
    pub availability_zones: Option<ZonesValue>,
    pub nat: Option<NatMode>,
    pub vpc_id: Option<VpcId>,
    pub public_subnet_ids: Option<Vec<SubnetId>>,
    pub private_subnet_ids: Option<Vec<SubnetId>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, expecting = "the load_balancer section, a mapping")]
pub struct RawLoadBalancer {
    pub scheme: Option<Scheme>,
    pub listeners: Option<Vec<RawListener>>,
    pub algorithm: Option<Algorithm>,
    #[serde(default, deserialize_with = "null_is_default")]
    pub stickiness: Option<RawStickiness>,
    #[serde(default, deserialize_with = "null_is_default")]
    pub health_check: Option<RawHealthCheck>,
    pub idle_timeout: Option<IdleTimeout>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a listener such as { port: 443, certificate_arn: arn:aws:acm:... }")]
pub struct RawListener {
    pub port: Port,
    pub certificate_arn: Option<CertificateArn>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a stickiness mapping such as { enabled: true, duration: 1h }")]
pub struct RawStickiness {
    pub enabled: Option<bool>,
    #[serde(rename = "type")]
    pub kind: Option<StickinessType>,
    pub cookie_name: Option<CookieName>,
    pub duration: Option<StickinessDuration>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a health check mapping such as { path: /health, interval: 15s }")]
pub struct RawHealthCheck {
    pub path: Option<HealthCheckPath>,
    pub interval: Option<HealthInterval>,
    pub timeout: Option<HealthTimeout>,
    pub healthy_threshold: Option<Threshold>,
    pub unhealthy_threshold: Option<Threshold>,
    pub matcher: Option<Matcher>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "the app section, a mapping with at least instance_type")]
pub struct RawApp {
    pub instance_type: InstanceType,
    pub image: Option<Image>,
    pub port: Option<Port>,
    #[serde(default, deserialize_with = "null_is_default")]
    pub capacity: Option<RawCapacity>,
    pub scaling: Option<RawScaling>,
    pub user_data: Option<UserDataPath>,
    pub min_healthy_percent: Option<Percent>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a capacity mapping such as { min: 2, desired: 2, max: 6 }")]
pub struct RawCapacity {
    pub min: Option<NodeCount>,
    pub desired: Option<NodeCount>,
    pub max: Option<MaxNodeCount>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a scaling mapping with cpu_target or requests_per_target")]
pub struct RawScaling {
    pub cpu_target: Option<CpuTarget>,
    pub requests_per_target: Option<RequestsPerTarget>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, expecting = "the database section, a mapping")]
pub struct RawDatabase {
    pub engine_version: Option<EngineVersion>,
    pub instance_class: Option<DbInstanceClass>,
    pub storage_gb: Option<StorageGb>,
    pub multi_az: Option<bool>,
    pub backup_retention_days: Option<RetentionDays>,
    pub deletion: Option<DeletionPolicy>,
    pub apply_changes: Option<ApplyChanges>,
    pub parameters: Option<BTreeMap<DbParameterName, DbParameterValue>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, expecting = "the shared_storage section, a mapping")]
pub struct RawSharedStorage {
    pub mount_path: Option<MountPath>,
    pub encrypted: Option<bool>,
    pub transition_to_ia: Option<IaTransition>,
    pub backups: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, expecting = "the spark section, a mapping with at least release")]
pub struct RawSpark {
    /// Required; optional here so that `spark:` with no value gets a located "missing release".
    pub release: Option<EmrRelease>,
    #[serde(default, deserialize_with = "null_is_default")]
    pub master: Option<RawInstanceGroup>,
    #[serde(default, deserialize_with = "null_is_default")]
    pub core: Option<RawInstanceGroup>,
    #[serde(default, deserialize_with = "null_is_default")]
    pub task: Option<RawInstanceGroup>,
    pub scaling: Option<RawSparkScaling>,
    pub metastore: Option<Metastore>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, expecting = "an instance group such as { instance_type: m5.xlarge, count: 2 }")]
pub struct RawInstanceGroup {
    pub instance_type: Option<InstanceType>,
    pub count: Option<InstanceCount>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a scaling mapping such as { min: 2, max: 10 }")]
pub struct RawSparkScaling {
    pub min: CapacityUnits,
    pub max: CapacityUnits,
    pub mode: Option<SparkScalingMode>,
}
