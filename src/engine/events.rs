use std::time::Duration;

use serde::Serialize;

use crate::aws::AwsError;
use crate::model::Address;

/// What a node does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Create,
    Update,
    Delete,
}

impl Op {
    pub fn verb(self) -> (&'static str, &'static str) {
        match self {
            Op::Create => ("creating", "created"),
            Op::Update => ("updating", "updated"),
            Op::Delete => ("deleting", "deleted"),
        }
    }
}

/// What the engine tells its hook.
#[derive(Debug)]
pub enum Event<'a> {
    Started {
        address: &'a Address,
        op: Op,
    },
    /// A long wait goes on: `seen` is what the last look saw.
    Waiting {
        address: &'a Address,
        seen: &'a str,
        waited: Duration,
    },
    Finished {
        address: &'a Address,
        op: Op,
        elapsed: Duration,
    },
    Failed {
        address: &'a Address,
        op: Op,
        error: &'a AwsError,
    },
    Skipped {
        address: &'a Address,
        op: Op,
        because: &'a Address,
    },
    /// A stop was requested: running actions finish, nothing new starts.
    Stopping,
    /// A bug inside clusterup (a task panicked).
    Internal {
        message: &'a str,
    },
}

/// Receives the engine's events: the terminal view, a JSON view, or a recorder in tests.
pub trait Hook: Send + Sync {
    fn event(&self, event: &Event<'_>);
}
