//! CloudWatch Logs' kinds: the log group each node group ships its app log and system journal to.

pub mod events;
pub mod log_group;
