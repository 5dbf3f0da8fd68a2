use std::fmt;

use serde::{Deserialize, Serialize};

/// A resource's stable name inside a deployment, e.g. `network/subnet/private-a`. It is stored on the
/// resource as the `clusterup:resource` tag, so it survives any loss of local files.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Address(String);

impl Address {
    pub fn new(path: impl Into<String>) -> Self {
        Address(path.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The last path segment, e.g. `private-a` for `network/subnet/private-a`.
    pub fn leaf(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or(&self.0)
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
