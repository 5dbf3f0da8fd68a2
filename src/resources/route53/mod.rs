//! Route 53's kind: the deployment's private hosted zone, where each node group's discovery name lives.

pub mod hosted_zone;
pub mod status;
