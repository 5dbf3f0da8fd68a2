use std::time::Duration;

use super::Failure;
use crate::model::{Address, Op};

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
        error: &'a Failure,
    },
    Skipped {
        address: &'a Address,
        op: Op,
        because: &'a Address,
    },
    /// A stop was requested: running actions get `engine::GRACE` to finish, nothing new starts.
    Stopping,
    /// An action still running at the end of the grace period was abandoned.
    Abandoned {
        address: &'a Address,
        op: Op,
    },
}

/// Receives the engine's events: the terminal view, a JSON view, or a recorder in tests.
pub trait Hook: Send + Sync {
    fn event(&self, event: &Event<'_>);
}
