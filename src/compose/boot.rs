//! How long a new app node has to become healthy, and how that time is shared out at its first boot.
//!
//! Auto Scaling ignores a new node's health for the group's health check grace period, which starts
//! when the node is in service, which is about when it boots (with no lifecycle hook, a new instance is
//! InService once it runs: <https://docs.aws.amazon.com/autoscaling/ec2/userguide/health-check-grace-period.html>,
//! <https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-lifecycle.html>). After it,
//! a node the load balancer reports unhealthy is replaced. A node that needs the shared data folder must
//! therefore, within the grace period: boot and reach its user data, install the EFS mount helper,
//! mount the folder (retrying while the mount targets' DNS names appear), start the app, and pass the
//! load balancer's health check `healthy_threshold` times in a row, one every `interval`. The user data
//! gives up mounting at [`MountPlan::deadline`] seconds after boot (it reads the node's uptime), so a
//! node that cannot mount fails, and is replaced, instead of answering over an empty local folder; and
//! the grace period is long enough for every step with a mount window of at least [`MIN_MOUNT_WINDOW`].

use crate::topology::HealthCheck;

/// The grace period when the health check leaves room for every step (Auto Scaling's console default).
pub const DEFAULT_GRACE_SECONDS: u32 = 300;

/// Seconds from boot until the user data reaches the mount (E, an allowance): the OS and cloud-init
/// starting (10-15 s of OS boot for Amazon Linux in
/// <https://www.daemonology.net/blog/2021-08-12-EC2-boot-time-benchmarking.html>), then `dnf install
/// amazon-efs-utils` fetching the repositories' metadata from S3 (30-60 s on a fresh node).
pub const BOOT_TO_MOUNT_SECONDS: u32 = 90;

/// The least time the mount is retried (E): the mount targets are available before the nodes boot (the
/// group waits for them), so this covers a mount target whose DNS name does not resolve yet and the
/// mount helper's own start (stunnel for TLS), which the user data used to give "a minute or two".
pub const MIN_MOUNT_WINDOW: u32 = 90;

/// Seconds from the mount to the app answering its first health check (a service starting).
pub const APP_START_SECONDS: u32 = 10;

/// How the first boot's time is shared out: the grace period the group gets, and when the user data
/// stops retrying the mount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MountPlan {
    /// The group's health check grace period, seconds.
    pub grace: u32,
    /// Seconds after boot (the node's uptime) by which the data folder must be mounted.
    pub deadline: u32,
}

/// Seconds the load balancer needs to see a node that answers as healthy: `healthy_threshold` passing
/// checks, one every `interval`.
pub fn health_checks_seconds(health_check: &HealthCheck) -> u32 {
    let interval = u32::try_from(health_check.interval.as_secs()).unwrap_or(u32::MAX);
    interval.saturating_mul(u32::from(health_check.healthy_threshold))
}

/// The grace period and mount deadline for nodes checked by `health_check`:
///
/// ```text
/// after_mount = APP_START_SECONDS + healthy_threshold * interval
/// grace       = max(DEFAULT_GRACE_SECONDS, BOOT_TO_MOUNT_SECONDS + MIN_MOUNT_WINDOW + after_mount)
/// deadline    = grace - after_mount            (>= BOOT_TO_MOUNT_SECONDS + MIN_MOUNT_WINDOW)
/// ```
pub fn mount_plan(health_check: &HealthCheck) -> MountPlan {
    let after_mount = APP_START_SECONDS.saturating_add(health_checks_seconds(health_check));
    let needed = BOOT_TO_MOUNT_SECONDS + MIN_MOUNT_WINDOW + after_mount;
    let grace = DEFAULT_GRACE_SECONDS.max(needed);
    MountPlan { grace, deadline: grace - after_mount }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn check(interval: u64, healthy_threshold: u8) -> HealthCheck {
        HealthCheck {
            path: "/health".into(),
            interval: Duration::from_secs(interval),
            timeout: Duration::from_secs(5),
            healthy_threshold,
            unhealthy_threshold: 2,
            matcher: "200".into(),
        }
    }

    #[test]
    fn the_mount_ends_in_time_for_the_app_to_start_and_pass_its_health_checks_within_the_grace_period() {
        for (interval, threshold) in [(5, 2), (15, 2), (30, 5), (60, 10), (300, 10)] {
            let hc = check(interval, threshold);
            let plan = mount_plan(&hc);
            // Mounted by the deadline, then started and seen healthy: all within the grace period.
            assert_eq!(plan.deadline + APP_START_SECONDS + health_checks_seconds(&hc), plan.grace, "{hc:?}");
            // The mount has at least its window after the boot and the install.
            assert!(plan.deadline >= BOOT_TO_MOUNT_SECONDS + MIN_MOUNT_WINDOW, "{hc:?}: {plan:?}");
            assert!(plan.grace >= DEFAULT_GRACE_SECONDS);
        }
    }

    #[test]
    fn a_quick_health_check_keeps_the_default_grace_and_a_slow_one_lengthens_it() {
        // web-tier's check (15 s, twice): 300 s, mounted within 260 s of boot.
        assert_eq!(mount_plan(&check(15, 2)), MountPlan { grace: 300, deadline: 260 });
        // The load balancer's own defaults (30 s, five times): 150 s of checks need 340 s in all.
        assert_eq!(mount_plan(&check(30, 5)), MountPlan { grace: 340, deadline: 180 });
        // The slowest the topology allows (300 s, ten times).
        assert_eq!(mount_plan(&check(300, 10)), MountPlan { grace: 3190, deadline: 180 });
    }
}
