//! The Auto Scaling group's properties, apart from its calls so that its price (`cost`) reads them without
//! the group's module reading `cost` back in a circle.

use crate::model::{Compare, Prop};

/// The launch template's id.
pub const LAUNCH_TEMPLATE: Prop = Prop::new("launch_template");
/// The numbered version of the launch template new nodes boot from. Never `$Default`: a change of version
/// is rolled out by an instance refresh, which can roll back only between numbered versions.
pub const LAUNCH_TEMPLATE_VERSION: Prop = Prop::new("launch_template_version");
/// The group's instance maintenance policy: the share of `desired` nodes kept healthy, and the most nodes
/// (as a share of `desired`) in service or launching, while nodes are replaced.
pub const MIN_HEALTHY: Prop = Prop::new("min_healthy_percent");
pub const MAX_HEALTHY: Prop = Prop::new("max_healthy_percent");
/// Seconds a new node is given, once in service, before it counts towards the group's capacity (the
/// group's default instance warm-up; instance refreshes wait this long between batches).
pub const WARMUP: Prop = Prop::new("instance_warmup");
pub const MIN: Prop = Prop::new("min");
pub const MAX: Prop = Prop::new("max");
/// Compared only without a scaling policy; with one, it is a create-only input the autoscaler then owns.
pub const DESIRED: Prop = Prop::new("desired");
pub const SUBNETS: Prop = Prop::new("subnets");
pub const TARGET_GROUPS: Prop = Prop::new("target_groups");
/// `ELB`: a node the load balancer finds unhealthy is replaced.
pub const HEALTH_CHECK: Prop = Prop::new("health_check");
/// Seconds a new node may fail health checks while it boots before Auto Scaling replaces it: long enough
/// for the node's first boot, which the composition works out with the user data's mount deadline
/// (`compose::boot`).
pub const HEALTH_CHECK_GRACE: Prop = Prop::new("health_check_grace_seconds");
/// The group metrics Auto Scaling sends to CloudWatch (EnableMetricsCollection, at one minute, free of
/// charge): the alarms' `GroupInServiceInstances`. Others enabled by hand are left alone.
pub const GROUP_METRICS: Prop = Prop::new("group_metrics").compared(Compare::ContainsAll);
