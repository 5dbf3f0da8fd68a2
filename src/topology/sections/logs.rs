//! Logs: the CloudWatch Logs log group each node group ships its app log and system journal to.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::topology::model::*;
use crate::topology::types::*;

/// 30 days: long enough to look back over a month of incidents, short enough not to pile up storage.
pub const RETENTION: &str = "30d";
pub const RETENTION_DAYS: u16 = 30;

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "the logs section, a mapping")]
pub struct RawLogs {
    /// How long CloudWatch Logs keeps the nodes' log events, in days: 1d, 3d, 5d, 7d, 14d, 30d, 60d, 90d,
    /// 120d, 150d, 180d, 365d, 400d, 545d, 731d, 1096d, 1827d, 2192d, 2557d, 2922d, 3288d or 3653d (the
    /// values PutRetentionPolicy accepts).
    #[schemars(extend("default" = RETENTION))]
    pub retention: Option<LogRetention>,
}

pub fn logs(raw: RawLogs) -> Logs {
    Logs { retention_days: raw.retention.map_or(RETENTION_DAYS, |r| r.0) }
}
