//! clusterup's own readiness poller.
//!
//! The SDK waiters wait 15-30 s before their second look and grow to 120 s between looks; a resource that
//! became ready just after a look is seen up to two minutes late, and every wait on the critical path adds
//! that lag. This poller looks at once, then after a short first delay that grows by a factor up to a
//! cap of a few seconds, with jitter so that many parallel waits do not poll in lockstep. A resource is
//! seen at most one cap (plus one call) after it became ready.
//!
//! Looks cost calls, which share AWS's per-account, per-region rate limits with every other tool of the
//! account. A wait whose kind knows how long AWS takes (its `resources::Spec`'s latency range for the
//! operation) therefore follows a [`Schedule`]: sparse looks before the earliest plausible readiness,
//! the policy's dense looks while readiness is plausible, thinning out again if AWS is later than that.
//! The simulation benchmark waits through the same [`Schedule::delay`], so it measures what the tool does.
//! Each kind of resource names its policy in its `resources::Spec`.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use super::AwsError;

/// How often and how long to look.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PollPolicy {
    /// Delay before the second look (the first is immediate).
    pub first_delay: Duration,
    /// Growth per look.
    pub factor: f64,
    /// Longest delay between looks while readiness is plausible (any time, for a wait without a
    /// [`Plausible`] window).
    pub max_delay: Duration,
    /// Give up after this long.
    pub timeout: Duration,
    /// The share of each delay the jitter may take off (each delay is drawn from `[1 - jitter, 1]` times
    /// itself): enough to keep parallel waits from polling in lockstep. A narrower spread costs fewer looks
    /// for the same longest delay, at a slightly later median sighting.
    pub jitter: f64,
}

impl PollPolicy {
    /// Seconds-scale waits (file systems, access points, eventual consistency of new ids).
    pub const FAST: PollPolicy = PollPolicy {
        first_delay: Duration::from_millis(500),
        factor: 1.5,
        max_delay: Duration::from_secs(2),
        timeout: Duration::from_secs(600),
        jitter: 0.5,
    };
    /// Minutes-scale waits (NAT gateways, load balancers, mount targets, nodes joining a group).
    pub const MINUTES: PollPolicy = PollPolicy {
        first_delay: Duration::from_secs(1),
        factor: 1.5,
        max_delay: Duration::from_secs(3),
        timeout: Duration::from_secs(1200),
        jitter: 0.5,
    };
    /// Auto Scaling groups' nodes joining or leaving: minutes-scale, but a deployment has one group per
    /// node group, all waited on at once, so these waits are most of a node-grouped deployment's and
    /// decide its median lag. Looks at most 2.5 s apart; the calls are batched per group name list.
    pub const GROUPS: PollPolicy = PollPolicy { max_delay: Duration::from_millis(2500), ..PollPolicy::MINUTES };
    /// Waits that may last most of an hour (Multi-AZ databases, EMR clusters): their plausible windows
    /// last minutes, so most of their looks are made there; looks up to 4.5 s apart, each at least 3.6 s
    /// (a narrow jitter: there are one or two such waits at a time), keep the lag under 5 s.
    pub const LONG: PollPolicy = PollPolicy {
        max_delay: Duration::from_millis(4500),
        timeout: Duration::from_secs(60 * 60),
        jitter: 0.2,
        ..PollPolicy::MINUTES
    };

    /// The delay after `looks` looks so far (1-based), without jitter.
    pub fn delay_after(&self, looks: u32) -> Duration {
        let grown = self.first_delay.as_secs_f64() * self.factor.powi(looks.saturating_sub(1) as i32);
        Duration::from_secs_f64(grown.min(self.max_delay.as_secs_f64()))
    }
}

/// When a resource is plausibly ready, in time since its wait began: its kind's latency range for the
/// operation (`resources::Latency::ready_after`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plausible {
    pub earliest: Duration,
    pub latest: Duration,
}

/// How the looks of one wait are spread over time: a [`PollPolicy`], and when readiness is plausible.
///
/// - The first look is at once (the resource may be there already, or have failed).
/// - Before the earliest plausible readiness the looks are sparse: [`Schedule::SPARSE_MAX`] apart (or
///   the policy's cap, if longer), the last one landing by the window's start. A failed state (a
///   database `failed`, a cluster terminated) is still seen within that.
/// - While readiness is plausible, the policy's looks: growing from its first delay to its cap.
/// - Later than plausible, the delay grows with the overrun (a quarter of it) back to the sparse one:
///   AWS being late by a minute says little about the next seconds.
///
/// Without a window (`plausible` None) the looks are the policy's from the start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Schedule {
    pub policy: PollPolicy,
    pub plausible: Option<Plausible>,
}

impl Schedule {
    /// The longest delay between looks before (or well after) the plausible window: the AWS SDK waiters'
    /// own first delay for RDS instances and EMR clusters, so a failure is noticed as soon as they would.
    pub const SPARSE_MAX: Duration = Duration::from_secs(30);

    /// `policy`'s looks, sparse before `ready_after` (seconds since the wait began, the kind's
    /// `Latency::ready_after`) says readiness is plausible. A range that is not one (negative, not a
    /// number) gives no window.
    pub fn expecting(policy: PollPolicy, ready_after: Option<(f64, f64)>) -> Schedule {
        let plausible = ready_after.and_then(|(min, max)| {
            let earliest = Duration::try_from_secs_f64(min).ok()?;
            let latest = Duration::try_from_secs_f64(max).ok()?;
            Some(Plausible { earliest, latest: latest.max(earliest) })
        });
        Schedule { policy, plausible }
    }

    /// The longest delay before the next look, after `looks` looks (1-based) and `waited` since the
    /// wait began, without jitter (each delay is then drawn from its top part, [`PollPolicy::jitter`]).
    pub fn delay(&self, looks: u32, waited: Duration) -> Duration {
        let dense = self.policy.delay_after(looks);
        let Some(Plausible { earliest, latest }) = self.plausible else { return dense };
        let sparse = Self::SPARSE_MAX.max(self.policy.max_delay);
        if waited < earliest {
            // Sparse, but no later than the window's start.
            return dense.max(sparse.min(earliest - waited));
        }
        if waited <= latest {
            return dense;
        }
        dense.max(((waited - latest) / 4).min(sparse))
    }
}

impl From<PollPolicy> for Schedule {
    /// The policy's looks from the start: for waits with no known duration (eventual consistency, a
    /// deletion retried while something still uses the resource).
    fn from(policy: PollPolicy) -> Schedule {
        Schedule { policy, plausible: None }
    }
}

/// When one look may be made: not before `open`, at the latest at `due`. A wait that looks alone looks
/// at `due` (its jittered moment); a look shared with other waits (`aws::batch`) may come as early as
/// `open`, half the delay after the last look, so that waits which look at about the same time share one
/// call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Look {
    pub open: Instant,
    pub due: Instant,
}

impl Look {
    /// A look to make at once.
    pub fn now() -> Look {
        let now = Instant::now();
        Look { open: now, due: now }
    }
}

/// One look's answer.
pub enum PollStatus<T> {
    Ready(T),
    /// Not yet; the text says what was seen (e.g. `state pending`), for progress output.
    Pending(String),
}

/// Where one wait stands: its looks so far, its timeout, and the window of its next look.
struct Pacer<'a> {
    schedule: Schedule,
    resource: &'a str,
    what: &'static str,
    started: Instant,
    looks: u32,
}

impl<'a> Pacer<'a> {
    fn new(schedule: Schedule, resource: &'a str, what: &'static str) -> Self {
        Pacer { schedule, resource, what, started: Instant::now(), looks: 0 }
    }

    /// After a look that saw `seen` (not ready): give up past the timeout, else report progress and say
    /// when the next look may be made.
    fn next(&mut self, seen: &str, on_pending: &mut impl FnMut(&str, Duration)) -> Result<Look, AwsError> {
        self.looks += 1;
        let timeout = self.schedule.policy.timeout;
        let waited = self.started.elapsed();
        if waited >= timeout {
            return Err(AwsError::local(
                self.resource,
                self.what,
                format!(
                    "still not ready after {}s (last seen: {seen}); AWS may be slow or stuck: look at the resource in the console",
                    waited.as_secs()
                ),
            ));
        }
        on_pending(seen, waited);
        let delay = self.schedule.delay(self.looks, waited);
        let left = timeout.saturating_sub(waited);
        // Jitter below the delay: spreads parallel pollers, never waits longer than the delay.
        let jitter = self.schedule.policy.jitter;
        let jittered = delay.mul_f64(1.0 - jitter + fastrand::f64() * jitter).min(left);
        let now = Instant::now();
        Ok(Look { open: now + (delay / 2).min(jittered), due: now + jittered })
    }
}

/// Look with `check` until it answers ready, an error, or the schedule's timeout passes. `on_pending` is
/// told what each look saw and how long the wait has lasted.
pub async fn poll<T, F, Fut>(
    schedule: impl Into<Schedule>,
    resource: &str,
    what: &'static str,
    mut on_pending: impl FnMut(&str, Duration),
    mut check: F,
) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<PollStatus<T>, AwsError>>,
{
    let mut pacer = Pacer::new(schedule.into(), resource, what);
    loop {
        let seen = match check().await? {
            PollStatus::Ready(value) => return Ok(value),
            PollStatus::Pending(seen) => seen,
        };
        let look = pacer.next(&seen, &mut on_pending)?;
        tokio::time::sleep_until(look.due).await;
    }
}

/// [`poll`] for looks that choose their own moment within the window each is given (the first: at
/// once): `look` waits until it looks (a batched look, `aws::batch::Batch::look`, shares a call with
/// other waits whose windows are open at the same time).
pub async fn poll_in_windows<T, F, Fut>(
    schedule: impl Into<Schedule>,
    resource: &str,
    what: &'static str,
    mut on_pending: impl FnMut(&str, Duration),
    mut look: F,
) -> Result<T, AwsError>
where
    F: FnMut(Look) -> Fut,
    Fut: Future<Output = Result<PollStatus<T>, AwsError>>,
{
    let mut pacer = Pacer::new(schedule.into(), resource, what);
    let mut next = Look::now();
    loop {
        let seen = match look(next).await? {
            PollStatus::Ready(value) => return Ok(value),
            PollStatus::Pending(seen) => seen,
        };
        next = pacer.next(&seen, &mut on_pending)?;
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
        assert_eq!(p.delay_after(50), Duration::from_secs(3));
    }

    const fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    /// A Multi-AZ database: plausible 15-20 minutes after the call.
    fn database() -> Schedule {
        Schedule::expecting(PollPolicy::LONG, Some((900.0, 1200.0)))
    }

    #[test]
    fn a_wait_without_a_window_looks_as_its_policy_says() {
        let plain: Schedule = PollPolicy::MINUTES.into();
        for (looks, waited) in [(1, secs(0)), (2, secs(1)), (40, secs(600))] {
            assert_eq!(plain.delay(looks, waited), PollPolicy::MINUTES.delay_after(looks));
        }
        // A range that is not one gives no window.
        assert_eq!(Schedule::expecting(PollPolicy::FAST, Some((-1.0, 5.0))).plausible, None);
    }

    #[test]
    fn looks_are_sparse_before_the_window_dense_in_it_and_thin_out_after_it() {
        let db = database();
        // Before: the sparse delay, never past the window's start.
        assert_eq!(db.delay(1, secs(0)), Schedule::SPARSE_MAX);
        assert_eq!(db.delay(20, secs(880)), secs(20));
        // Close to the window: the policy's own delay, not less.
        assert_eq!(db.delay(21, secs(899)), PollPolicy::LONG.max_delay);
        // In the window: the policy's cap.
        assert_eq!(db.delay(30, secs(900)), PollPolicy::LONG.max_delay);
        assert_eq!(db.delay(90, secs(1200)), PollPolicy::LONG.max_delay);
        // Late: a quarter of the overrun, up to the sparse delay.
        assert_eq!(db.delay(100, secs(1240)), secs(10));
        assert_eq!(db.delay(120, secs(1500)), Schedule::SPARSE_MAX);
    }

    #[test]
    fn a_window_that_opens_at_once_looks_as_the_policy_from_the_start() {
        let access_point = Schedule::expecting(PollPolicy::FAST, Some((0.0, 5.0)));
        assert_eq!(access_point.delay(1, secs(0)), PollPolicy::FAST.first_delay);
        assert_eq!(access_point.delay(2, Duration::from_millis(400)), PollPolicy::FAST.delay_after(2));
    }

    /// Looks a wait makes until it sees a resource ready `ready` after it began, and how late it saw it.
    async fn wait_for_one(schedule: Schedule, ready: Duration) -> (u32, Duration) {
        let start = Instant::now();
        let mut looks = 0;
        poll(
            schedule,
            "r",
            "Wait",
            |_, _| {},
            || {
                looks += 1;
                async {
                    Ok(if start.elapsed() >= ready { PollStatus::Ready(()) } else { PollStatus::Pending("x".into()) })
                }
            },
        )
        .await
        .expect("ready in time");
        (looks, start.elapsed() - ready)
    }

    #[tokio::test(start_paused = true)]
    async fn a_database_ready_in_its_window_is_seen_within_the_cap_with_a_fraction_of_the_looks() {
        fastrand::seed(7);
        for ready in [secs(901), secs(1050), secs(1199)] {
            let (frugal, lag) = wait_for_one(database(), ready).await;
            assert!(lag <= PollPolicy::LONG.max_delay, "seen {lag:?} late");
            let (dense, _) = wait_for_one(PollPolicy::LONG.into(), ready).await;
            // Sparse looks (at most 30 s apart) before 15 minutes, every few seconds after.
            let most = 2 * 900 / 30 + (ready.as_secs() - 900) / 2 + 2;
            assert!(frugal <= most as u32 && frugal * 2 < dense, "{frugal} looks (dense: {dense}) for {ready:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_failure_before_the_window_is_seen_within_the_sparse_delay() {
        fastrand::seed(3);
        let start = Instant::now();
        let err = poll(
            database(),
            "database/instance",
            "DescribeDBInstances",
            |_, _| {},
            || async {
                if start.elapsed() >= secs(100) {
                    Err(AwsError::local("database/instance", "CreateDBInstance", "database is failed"))
                } else {
                    Ok(PollStatus::<()>::Pending("creating".into()))
                }
            },
        )
        .await
        .expect_err("failed");
        assert!(err.message.contains("failed"));
        assert!(start.elapsed() <= secs(100) + Schedule::SPARSE_MAX, "seen after {:?}", start.elapsed());
    }

    #[tokio::test(start_paused = true)]
    async fn looks_in_windows_are_given_the_jitter_range_and_the_first_is_at_once() {
        fastrand::seed(1);
        let start = Instant::now();
        let mut windows = Vec::new();
        let done = poll_in_windows(
            PollPolicy::MINUTES,
            "r",
            "Wait",
            |_, _| {},
            |look| {
                windows.push((look.open - start, look.due - start));
                let n = windows.len();
                async move {
                    tokio::time::sleep_until(look.due).await;
                    Ok(if n < 4 { PollStatus::Pending(format!("look {n}")) } else { PollStatus::Ready(n) })
                }
            },
        )
        .await
        .expect("ready");
        assert_eq!(done, 4);
        assert_eq!(windows[0], (Duration::ZERO, Duration::ZERO));
        // Each window opens half the delay after the last look and closes by the full delay (the paused
        // clock wakes on whole milliseconds).
        let ms = Duration::from_millis(1);
        let mut last = Duration::ZERO;
        for (looks, &(open, due)) in (1u32..).zip(&windows[1..]) {
            let delay = PollPolicy::MINUTES.delay_after(looks);
            assert!(open >= last + delay / 2 && open <= last + delay / 2 + ms, "look {looks}: opens at {open:?}");
            assert!(due >= open && due <= last + delay + ms, "look {looks}: {open:?}..{due:?}");
            last = due;
        }
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

    /// The delays between the looks of a wait of `policy` that never ends within `looks` looks.
    async fn delays(policy: PollPolicy, looks: usize) -> Vec<Duration> {
        let mut at = Vec::new();
        let _ = poll(
            policy,
            "r",
            "Wait",
            |_, _| {},
            || {
                at.push(Instant::now());
                let n = at.len();
                async move { Ok(if n < looks { PollStatus::Pending("x".into()) } else { PollStatus::Ready(()) }) }
            },
        )
        .await;
        at.windows(2).map(|pair| pair[1] - pair[0]).collect()
    }

    #[tokio::test(start_paused = true)]
    async fn each_delay_is_drawn_from_the_top_share_its_policy_jitters() {
        fastrand::seed(11);
        let ms = Duration::from_millis(1);
        for policy in [PollPolicy::MINUTES, PollPolicy::LONG] {
            let delays = delays(policy, 200).await;
            for (looks, &delay) in (1u32..).zip(&delays) {
                let cap = policy.delay_after(looks);
                assert!(delay <= cap + ms && delay + ms >= cap.mul_f64(1.0 - policy.jitter), "{looks}: {delay:?}");
            }
            // Spread over the whole share, not a fixed delay (parallel waits must not poll in lockstep).
            let capped: Vec<_> = delays[20..].iter().map(Duration::as_millis).collect();
            let (low, high) = (capped.iter().min(), capped.iter().max());
            assert!(high
                .zip(low)
                .is_some_and(|(h, l)| (h - l) as f64 > policy.max_delay.as_millis() as f64 * policy.jitter * 0.8));
        }
        // A long wait's looks at its cap are at least 3.6 s apart: a fifth fewer than drawn from the upper half.
        let long = delays(PollPolicy::LONG, 100).await;
        assert!(long[20..].iter().all(|&d| d + ms >= Duration::from_millis(3600)), "{long:?}");
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
