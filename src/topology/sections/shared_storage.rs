//! The shared storage: an EFS file system mounted on every node.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::topology::model::*;
use crate::topology::types::*;

pub const MOUNT_PATH: &str = "/mnt/data";
pub const ENCRYPTED: bool = true;
pub const BACKUPS: bool = true;

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "the shared_storage section, a mapping")]
pub struct RawSharedStorage {
    /// Absolute mount point: no spaces, `.`, `..`, `//` or trailing `/`; not `/` or a system directory.
    #[schemars(extend("default" = MOUNT_PATH))]
    pub mount_path: Option<MountPath>,
    /// Encryption at rest.
    #[schemars(extend("default" = ENCRYPTED))]
    pub encrypted: Option<bool>,
    /// Move files unused this long to Infrequent Access; never without it.
    pub transition_to_ia: Option<IaTransition>,
    /// AWS Backup of the file system.
    #[schemars(extend("default" = BACKUPS))]
    pub backups: Option<bool>,
}

pub fn shared_storage(raw: RawSharedStorage) -> SharedStorage {
    SharedStorage {
        mount_path: raw.mount_path.map_or_else(|| MOUNT_PATH.to_owned(), |p| p.0),
        encrypted: raw.encrypted.unwrap_or(ENCRYPTED),
        transition_to_ia: raw.transition_to_ia.map(|t| t.0),
        backups: raw.backups.unwrap_or(BACKUPS),
    }
}
