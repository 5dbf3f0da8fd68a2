//! Saved plans (`plan --out FILE`, `apply FILE`): a plan is only applied if it is still what a fresh plan
//! would do, so a saved plan can never apply something the user did not see.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Plan;

const FORMAT: &str = "clusterup-plan/1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedPlan {
    pub format: String,
    /// The topology file the plan was made from.
    pub topology: PathBuf,
    /// SHA-256 of the topology file's bytes at plan time.
    pub topology_sha256: String,
    /// Made with `--set-desired`: apply makes its fresh plan the same way.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub set_desired: bool,
    pub plan: Plan,
}

#[derive(Debug, thiserror::Error)]
pub enum SavedPlanError {
    #[error("cannot read plan file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path} is not a clusterup plan file: {source}")]
    Parse { path: PathBuf, source: serde_json::Error },
    #[error("{path} was written by another clusterup plan format ({found}); run `clusterup plan --out` again")]
    Format { path: PathBuf, found: String },
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

impl SavedPlan {
    pub fn new(topology: &Path, topology_bytes: &[u8], plan: Plan) -> Self {
        SavedPlan {
            format: FORMAT.to_owned(),
            topology: topology.to_owned(),
            topology_sha256: sha256_hex(topology_bytes),
            set_desired: false,
            plan,
        }
    }

    pub fn to_json(&self) -> serde_json::Result<String> {
        serde_json::to_string_pretty(self)
    }

    /// Whether a file looks like a saved plan rather than a topology (JSON object with our format key).
    pub fn looks_like_plan(text: &str) -> bool {
        text.trim_start().starts_with('{') && text.contains(FORMAT)
    }

    pub fn load(path: &Path) -> Result<Self, SavedPlanError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| SavedPlanError::Read { path: path.into(), source })?;
        let saved: SavedPlan =
            serde_json::from_str(&text).map_err(|source| SavedPlanError::Parse { path: path.into(), source })?;
        if saved.format != FORMAT {
            return Err(SavedPlanError::Format { path: path.into(), found: saved.format });
        }
        Ok(saved)
    }
}
