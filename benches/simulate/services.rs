//! Simulated AWS behind the engine's `Backend`: each action is one call to its service (through the same
//! per-service rate limiter the real clients use), then, for the kinds that take time, a wait through
//! clusterup's real poller with the real schedule (each kind's `Spec::schedule`), each look one more
//! call, or one share of a call for the kinds whose waits share their looks (`Spec::batch_key`, through
//! the real `aws::batch`: a shared call counts once). The simulation knows the moment a resource became
//! ready, so it can tell how late the poller saw it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clusterup::aws::batch::{Answers, BatchCall};
use clusterup::aws::rate_limit::{RateLimiter, SERVICE_RATE};
use clusterup::aws::{poll, poll_in_windows, Batches, PollPolicy, PollStatus, Schedule, Service};
use clusterup::engine::Backend;
use clusterup::model::{Actual, Address, Desired, Kind, Op, Props, Value};
use clusterup::resources::{registry, Error, Fut, Progress};
use tokio::time::Instant;

use super::latency::{Range, API_CALL};

/// How the simulated client waits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Poller {
    /// clusterup's own, each kind's `Spec::wait`.
    Clusterup,
    /// The AWS SDK waiters' intervals: first look at once, then at least 15 s (30 s for RDS and EMR),
    /// growing to 120 s (awslabs/aws-sdk-rust `sdk/*/src/waiters`; EFS has none, scripts sleep 15 s).
    SdkWaiters,
    /// Terraform's AWS provider: 10 s between looks for RDS, EMR and load balancers (RDS also wants
    /// three `available` answers in a row), 2 s rising to 10 s for EFS, 0.1 s doubling to 10 s for NAT
    /// gateways and Auto Scaling (tpa internal/service/{rds,emr,elbv2,efs,ec2,autoscaling}).
    Terraform,
}

impl Poller {
    /// How this poller spreads the looks of a wait for `op` on a resource of `kind`.
    fn schedule(self, kind: Kind, op: Op, want: Option<&Desired>) -> Schedule {
        match self {
            Poller::Clusterup => registry::of(kind).spec().schedule(op, want),
            other => other.policy(kind).into(),
        }
    }

    fn policy(self, kind: Kind) -> PollPolicy {
        match self {
            Poller::Clusterup => registry::of(kind).spec().wait,
            Poller::SdkWaiters => {
                let first = if matches!(kind, Kind::DbInstance | Kind::DbReplica | Kind::EmrCluster) { 30 } else { 15 };
                PollPolicy {
                    first_delay: Duration::from_secs(first),
                    factor: 2.0,
                    max_delay: Duration::from_secs(120),
                    timeout: Duration::from_secs(3 * 60 * 60),
                    jitter: 0.5,
                }
            }
            Poller::Terraform => {
                let (first, factor) = match kind {
                    Kind::DbInstance | Kind::DbReplica | Kind::EmrCluster | Kind::LoadBalancer => (10_000, 1.0),
                    Kind::FileSystem | Kind::MountTarget | Kind::AccessPoint => (2_000, 1.5),
                    _ => (100, 2.0),
                };
                PollPolicy {
                    first_delay: Duration::from_millis(first),
                    factor,
                    max_delay: Duration::from_secs(10),
                    timeout: Duration::from_secs(3 * 60 * 60),
                    jitter: 0.5,
                }
            }
        }
    }
}

/// One wait: when the resource became ready in the simulation and when the poller saw it.
#[derive(Debug, Clone)]
pub struct Wait {
    pub address: Address,
    pub op: Op,
    pub lag: Duration,
}

#[derive(Default)]
struct Record {
    /// Calls per AWS service.
    calls: BTreeMap<&'static str, u64>,
    waits: Vec<Wait>,
    /// The time each action needs with no overhead at all: its call, then AWS's own readiness time.
    intrinsic: BTreeMap<(Address, Op), Duration>,
    /// For deletions, the time until AWS accepted them (their call): from then the resource does no
    /// more work (`Progress::stopped`).
    stops: BTreeMap<(Address, Op), Duration>,
    next_id: u64,
}

pub struct SimulatedAws {
    seed: u64,
    poller: Poller,
    /// Per resource, the attributes other resources read from it (endpoint, secret ARN...).
    attrs_read: BTreeMap<Address, BTreeSet<String>>,
    wire: Arc<Wire>,
    /// The shared looks of clusterup's waits, as the real clients hold them.
    batches: Batches,
}

/// The calls: rate limits, round trips and their count, shared with the batches' calls.
struct Wire {
    limiters: BTreeMap<Service, RateLimiter>,
    rng: Mutex<fastrand::Rng>,
    record: Mutex<Record>,
}

/// What one run through the simulated services did.
pub struct Observed {
    pub calls: BTreeMap<&'static str, u64>,
    pub waits: Vec<Wait>,
    pub intrinsic: BTreeMap<(Address, Op), Duration>,
    pub stops: BTreeMap<(Address, Op), Duration>,
}

impl SimulatedAws {
    pub fn new(seed: u64, poller: Poller, desired: &[Desired]) -> Self {
        let mut attrs_read: BTreeMap<Address, BTreeSet<String>> = BTreeMap::new();
        for want in desired {
            for value in want.props.values().chain(want.create_only.values()) {
                collect_attrs(value, &mut attrs_read);
            }
        }
        let limiters = Service::ALL.iter().map(|&s| (s, RateLimiter::new(SERVICE_RATE))).collect();
        let wire =
            Wire { limiters, rng: Mutex::new(fastrand::Rng::with_seed(seed)), record: Mutex::new(Record::default()) };
        SimulatedAws { seed, poller, attrs_read, wire: Arc::new(wire), batches: Batches::default() }
    }

    fn record(&self) -> std::sync::MutexGuard<'_, Record> {
        self.wire.record.lock().expect("simulation record")
    }

    /// What happened so far (and clears it, so destroy is counted apart from apply).
    pub fn take(&self) -> Observed {
        let mut record = self.record();
        let taken = std::mem::take(&mut *record);
        record.next_id = taken.next_id;
        Observed { calls: taken.calls, waits: taken.waits, intrinsic: taken.intrinsic, stops: taken.stops }
    }

    /// One API call of `kind`'s service.
    async fn call(&self, kind: Kind) -> Duration {
        self.wire.call(registry::of(kind).spec().service).await
    }

    /// How long AWS takes to make this resource ready after the call: the same for every run with the same
    /// seed, whatever order the runs act in.
    fn readiness(&self, address: &Address, kind: Kind, op: Op, want: Option<&Desired>) -> Option<Duration> {
        let (min, max) = registry::of(kind).latency(op, want).ready_after?;
        let range = Range { min, max };
        let key = address
            .as_str()
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
        let mut rng = fastrand::Rng::with_seed(self.seed ^ key ^ op as u64);
        Some(draw(&mut rng, range))
    }

    /// The call, then the wait for readiness through clusterup's poller. `props`: the resource's
    /// properties (which batch of looks its wait joins).
    async fn act(
        &self,
        (address, kind): (&Address, Kind),
        op: Op,
        want: Option<&Desired>,
        props: &Props,
        progress: &dyn Progress,
    ) -> Result<(), Error> {
        let took = self.call(kind).await;
        if op == Op::Delete {
            // AWS accepted the deletion: the resource stops working now (an EMR cluster's steps are
            // cancelled), however long it takes to be gone.
            progress.stopped();
            self.record().stops.insert((address.clone(), op), took);
        }
        let mut intrinsic = took;
        if let Some(ready_in) = self.readiness(address, kind, op, want) {
            intrinsic += ready_in;
            let ready_at = Instant::now() + ready_in;
            let schedule = self.poller.schedule(kind, op, want);
            let on_pending = |seen: &str, waited| progress.waiting(seen, waited);
            let seen = |ready: bool| {
                if ready {
                    PollStatus::Ready(())
                } else {
                    PollStatus::Pending(format!("{} in progress", op.verb().0))
                }
            };
            let spec = registry::of(kind).spec();
            match spec.batch_key(props).filter(|_| self.poller == Poller::Clusterup) {
                Some(key) => {
                    let wire = self.wire.clone();
                    let batch = self.batches.get(Some(key), "SimulatedDescribe", || shared_call(wire, spec.service));
                    let batch = &batch;
                    poll_in_windows(schedule, address.as_str(), "SimulatedDescribe", on_pending, |look| async move {
                        let answered = batch.look(address.as_str(), address.as_str(), look).await?;
                        Ok(seen(answered.is_some_and(|at| at >= ready_at)))
                    })
                    .await?;
                }
                None => {
                    poll(schedule, address.as_str(), "SimulatedDescribe", on_pending, || async move {
                        self.call(kind).await;
                        Ok(seen(Instant::now() >= ready_at))
                    })
                    .await?;
                }
            }
            if self.poller == Poller::Terraform && kind == Kind::DbInstance && op == Op::Create {
                // Two more `available` answers, 10 s apart.
                for _ in 0..2 {
                    tokio::time::sleep(Duration::from_secs(10)).await;
                    self.call(kind).await;
                }
            }
            let wait = Wait { address: address.clone(), op, lag: Instant::now().duration_since(ready_at) };
            self.record().waits.push(wait);
        }
        self.record().intrinsic.insert((address.clone(), op), intrinsic);
        Ok(())
    }

    fn made(&self, want: &Desired) -> Actual {
        let mut record = self.record();
        record.next_id += 1;
        let mut actual = Actual::new(want.address.clone(), want.kind, format!("sim-{}", record.next_id));
        actual.props = want.props.clone();
        for attr in self.attrs_read.get(&want.address).into_iter().flatten() {
            actual = actual.attr(attr, format!("sim-{attr}-{}", record.next_id));
        }
        actual
    }
}

impl Backend for SimulatedAws {
    fn create<'a>(&'a self, want: &'a Desired, progress: &'a dyn Progress) -> Fut<'a, Actual> {
        Box::pin(async move {
            self.act((&want.address, want.kind), Op::Create, Some(want), &want.props, progress).await?;
            Ok(self.made(want))
        })
    }

    fn update<'a>(&'a self, _have: &'a Actual, want: &'a Desired, progress: &'a dyn Progress) -> Fut<'a, Actual> {
        Box::pin(async move {
            self.act((&want.address, want.kind), Op::Update, Some(want), &want.props, progress).await?;
            Ok(self.made(want))
        })
    }

    fn delete<'a>(&'a self, have: &'a Actual, progress: &'a dyn Progress) -> Fut<'a, ()> {
        Box::pin(async move { self.act((&have.address, have.kind), Op::Delete, None, &have.props, progress).await })
    }
}

impl Wire {
    /// One API call to `service`: rate-limited like the real clients, then one round trip.
    async fn call(&self, service: Service) -> Duration {
        if let Some(limiter) = self.limiters.get(&service) {
            limiter.acquire().await;
        }
        let took = draw(&mut self.rng.lock().expect("simulation rng"), API_CALL);
        tokio::time::sleep(took).await;
        *self.record.lock().expect("simulation record").calls.entry(service.name()).or_default() += 1;
        took
    }
}

/// A Describe call of `service` shared by waits (`aws::batch`): one call, counted once, answering every
/// resource asked about with the moment it answered (a resource is ready if that is after it became so).
fn shared_call(wire: Arc<Wire>, service: Service) -> BatchCall<Instant> {
    Arc::new(move |ids: Vec<String>| {
        let wire = wire.clone();
        Box::pin(async move {
            wire.call(service).await;
            let now = Instant::now();
            Ok(ids.into_iter().map(|id| (id, now)).collect::<Answers<Instant>>())
        })
    })
}

fn draw(rng: &mut fastrand::Rng, range: Range) -> Duration {
    Duration::from_secs_f64(range.min + rng.f64() * (range.max - range.min))
}

fn collect_attrs(value: &Value, into: &mut BTreeMap<Address, BTreeSet<String>>) {
    match value {
        Value::Attr(address, attr) => {
            into.entry(address.clone()).or_default().insert(attr.clone());
        }
        Value::List(items) | Value::Template(items) => items.iter().for_each(|v| collect_attrs(v, into)),
        Value::Map(map) => map.values().for_each(|v| collect_attrs(v, into)),
        _ => {}
    }
}
