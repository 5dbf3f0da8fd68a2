//! Default values of optional fields, in one place: the validator fills them in, the JSON Schema
//! advertises them, and docs/topology.md lists them.

use std::net::Ipv4Addr;
use std::time::Duration;

use super::model::Cidr;

pub const DEFAULT_CIDR: Cidr = Cidr { addr: Ipv4Addr::new(10, 0, 0, 0), prefix: 16 };
pub const DEFAULT_ZONES: u8 = 2;
pub const DEFAULT_IMAGE: &str = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";
pub const DEFAULT_LISTENER_PORT: u16 = 80;
pub const DEFAULT_APP_PORT: u16 = 8080;
pub const DEFAULT_MIN_NODES: u32 = 2;
/// Instance refresh's own default (RefreshPreferences.MinHealthyPercentage in the Auto Scaling API).
pub const DEFAULT_MIN_HEALTHY_PERCENT: u8 = 90;
pub const DEFAULT_MAX_NODES: u32 = 4;
/// The current RDS for MySQL LTS (8.0 left standard support on 2026-07-31; see `versions.rs`).
pub const DEFAULT_ENGINE_VERSION: &str = "8.4";
pub const DEFAULT_DB_CLASS: &str = "db.t3.medium";
pub const DEFAULT_STORAGE_GB: u32 = 20;
pub const DEFAULT_RETENTION_DAYS: u8 = 7;
pub const DEFAULT_MOUNT_PATH: &str = "/mnt/data";
/// The newest EMR 7 release clusterup knows of (see `versions.rs`).
pub const DEFAULT_SPARK_RELEASE: &str = super::versions::NEWEST_EMR_7;
pub const DEFAULT_SPARK_INSTANCE: &str = "m5.xlarge";
pub const DEFAULT_CORE_COUNT: u32 = 2;
pub const DEFAULT_STICKINESS: Duration = Duration::from_secs(86_400);
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
pub const DEFAULT_HEALTH_INTERVAL: Duration = Duration::from_secs(15);
pub const DEFAULT_HEALTH_TIMEOUT: Duration = Duration::from_secs(5);
pub const DEFAULT_THRESHOLD: u8 = 2;
pub const DEFAULT_MATCHER: &str = "200-399";

/// Where the built-in template is said to come from.
pub const BUILT_IN: &str = "built-in";
