//! Auto Scaling's kinds: the group of app nodes and its target-tracking scaling policy.

mod cost;
pub mod group;
pub mod refresh;
pub mod scaling_policy;
pub mod status;
