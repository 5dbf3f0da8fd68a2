//! EMR's kinds: the Spark (YARN) cluster, its security configuration, and its Hive metastore attachment
//! to the shared database.

pub mod cluster;
pub mod cluster_status;
mod cost;
pub mod metastore;
pub mod security_configuration;

use aws_sdk_emr::types::InstanceGroup;

/// The configurations version an instance group was last asked for, and the one EMR last applied. EMR
/// leaves both out until the group is first reconfigured: that is version 0, the configurations the
/// group started with.
pub fn configuration_versions(group: &InstanceGroup) -> (i64, i64) {
    (group.configurations_version().unwrap_or(0), group.last_successfully_applied_configurations_version().unwrap_or(0))
}
