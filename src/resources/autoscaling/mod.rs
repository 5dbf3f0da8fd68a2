//! Auto Scaling's kinds: the group of app nodes and its target-tracking scaling policy.

mod cost;
pub mod group;
mod group_props;
mod pin;
pub mod refresh;
pub mod scaling_policy;
pub mod status;
