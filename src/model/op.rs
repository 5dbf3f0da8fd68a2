use serde::Serialize;

/// What one action does to one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Create,
    Update,
    Delete,
}

impl Op {
    /// (`creating`, `created`).
    pub fn verb(self) -> (&'static str, &'static str) {
        match self {
            Op::Create => ("creating", "created"),
            Op::Update => ("updating", "updated"),
            Op::Delete => ("deleting", "deleted"),
        }
    }
}
