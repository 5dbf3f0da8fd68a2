//! clusterup's own readiness poller.
//!
//! The SDK waiters wait 15-30 s before their second look and grow to 120 s between looks; a resource that
//! became ready just after a look is seen up to two minutes late, and every wait on the critical path adds
//! that lag. This poller looks at once, then after a short first delay that grows by a factor up to a
//! cap of a few seconds, with jitter so that many parallel waits do not poll in lockstep. A resource is
//! seen at most one cap (plus one call) after it became ready; the price is one Describe call every few
//! seconds per wait, far below AWS's rate limits (EC2 refills 20 Describe tokens per second per API).
//! Each kind of resource names its policy in its `resources::Spec`.

use std::future::Future;
use std::time::Duration;

use super::AwsError;

/// How often and how long to look.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PollPolicy {
    /// Delay before the second look (the first is immediate).
    pub first_delay: Duration,
    /// Growth per look.
    pub factor: f64,
    /// Longest delay between looks.
    pub max_delay: Duration,
    /// Give up after this long.
    pub timeout: Duration,
}

impl PollPolicy {
    /// Seconds-scale waits (file systems, access points, eventual consistency of new ids).
    pub const FAST: PollPolicy = PollPolicy {
        first_delay: Duration::from_millis(500),
        factor: 1.5,
        max_delay: Duration::from_secs(2),
        timeout: Duration::from_secs(600),
    };
    /// Minutes-scale waits (NAT gateways, load balancers, mount targets, nodes joining a group).
    pub const MINUTES: PollPolicy = PollPolicy {
        first_delay: Duration::from_secs(1),
        factor: 1.5,
        max_delay: Duration::from_millis(2500),
        timeout: Duration::from_secs(1200),
    };
    /// Waits that may last most of an hour (Multi-AZ databases, EMR clusters): looks as often as
    /// [`Self::MINUTES`], for longer.
    pub const LONG: PollPolicy = PollPolicy { timeout: Duration::from_secs(60 * 60), ..PollPolicy::MINUTES };

    /// The delay after `looks` looks so far (1-based), without jitter.
    pub fn delay_after(&self, looks: u32) -> Duration {
        let grown = self.first_delay.as_secs_f64() * self.factor.powi(looks.saturating_sub(1) as i32);
        Duration::from_secs_f64(grown.min(self.max_delay.as_secs_f64()))
    }
}

/// One look's answer.
pub enum PollStatus<T> {
    Ready(T),
    /// Not yet; the text says what was seen (e.g. `state pending`), for progress output.
    Pending(String),
}

/// Look with `check` until it answers ready, an error, or the policy's timeout passes. `on_pending` is
/// told what each look saw and how long the wait has lasted.
pub async fn poll<T, F, Fut>(
    policy: PollPolicy,
    resource: &str,
    what: &'static str,
    mut on_pending: impl FnMut(&str, Duration),
    mut check: F,
) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<PollStatus<T>, AwsError>>,
{
    let started = tokio::time::Instant::now();
    let mut looks = 0u32;
    loop {
        looks += 1;
        let seen = match check().await? {
            PollStatus::Ready(value) => return Ok(value),
            PollStatus::Pending(seen) => seen,
        };
        let waited = started.elapsed();
        if waited >= policy.timeout {
            return Err(AwsError::local(
                resource,
                what,
                format!(
                    "still not ready after {}s (last seen: {seen}); AWS may be slow or stuck: look at the resource in the console",
                    waited.as_secs()
                ),
            ));
        }
        on_pending(&seen, waited);
        let delay = policy.delay_after(looks);
        // Full jitter on the upper half: spreads parallel pollers, never waits longer than the cap.
        let jittered = delay.mul_f64(0.5 + fastrand::f64() * 0.5);
        tokio::time::sleep(jittered.min(policy.timeout.saturating_sub(waited))).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delay_grows_then_caps() {
        let p = PollPolicy::MINUTES;
        assert_eq!(p.delay_after(1), Duration::from_secs(1));
        assert_eq!(p.delay_after(2), Duration::from_millis(1500));
        assert_eq!(p.delay_after(50), Duration::from_millis(2500));
    }

    #[tokio::test(start_paused = true)]
    async fn polls_until_ready_and_reports_pending() {
        let mut looks = 0;
        let mut seen = Vec::new();
        let value = poll(
            PollPolicy::FAST,
            "r",
            "Wait",
            |s, _| seen.push(s.to_owned()),
            || {
                looks += 1;
                let n = looks;
                async move { Ok(if n < 3 { PollStatus::Pending(format!("look {n}")) } else { PollStatus::Ready(n) }) }
            },
        )
        .await
        .expect("ready");
        assert_eq!(value, 3);
        assert_eq!(seen, ["look 1", "look 2"]);
    }

    #[tokio::test(start_paused = true)]
    async fn times_out_with_the_last_state() {
        let policy = PollPolicy { timeout: Duration::from_secs(30), ..PollPolicy::FAST };
        let err = poll(
            policy,
            "network/nat-gateway/a",
            "WaitNatGateway",
            |_, _| {},
            || async { Ok(PollStatus::<()>::Pending("state pending".into())) },
        )
        .await
        .expect_err("must time out");
        assert!(err.to_string().contains("last seen: state pending"), "{err}");
    }
}
