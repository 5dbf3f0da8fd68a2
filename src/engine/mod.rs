//! The executor: runs a plan's actions in parallel as their dependencies allow.
//!
//! Every change becomes one or two nodes (a replacement is a delete node and a create node). A node runs
//! once every node it depends on has succeeded (or, for a deletion's `after_stop` edges, once that
//! deletion said its resource stopped working); when a node fails, everything that depends on it is
//! skipped and reported as such, so only the root cause is an error. A semaphore bounds how many AWS
//! actions run at once. A stop request (Ctrl-C) starts nothing new, gives running actions [`GRACE`] to
//! finish, abandons those still running then (every action is safe to abandon at any point: the next run
//! finds what it made by its tags), and reports what did not start or finish. When more nodes are ready than may run, the ones with the longest chain
//! still ahead of them start first, so the slowest chain is never queued behind quick work. The engine
//! never prints: it tells a [`Hook`]. It acts through a [`Backend`]: AWS in the tool, a simulation in the
//! benchmark.

mod backend;
mod estimate;
mod events;
mod failure;
mod graph;
mod timeline;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::task::JoinSet;
// Tokio's clock, not the system's: the simulation benchmark runs the engine under virtual time.
use tokio::time::Instant;

pub use backend::Backend;
pub use estimate::{about, estimate, longest_path, typical_stop, typical_time, Estimate};
pub use events::{Event, Hook};
pub use failure::Failure;
pub use graph::{build_nodes, Node};
pub use timeline::{longest_chain, Span};

use crate::model::{Actual, Address, Op, Value};
use crate::plan::Plan;
use crate::resources::Progress;

/// How many actions run at once unless told otherwise. Each running action is one create or delete call
/// and then a poll every few seconds: 16 at once stay below 10 calls per second in all, well within
/// the per-service rate limit (`aws::rate_limit`), and no plan clusterup makes has more than a dozen
/// slow actions that could usefully run side by side.
pub const DEFAULT_PARALLELISM: u16 = 16;

/// How one node ended.
#[derive(Debug)]
pub enum Outcome {
    Done(Span),
    Failed(Failure),
    /// Not run because a node it depends on failed.
    Skipped {
        because: Address,
    },
    /// Not run because a stop was requested.
    NotStarted,
    /// Running when a stop was requested, and abandoned after [`GRACE`]: AWS may have begun it (the next
    /// run finds what it made by its tags).
    Interrupted,
}

/// How long running actions may still take to finish after a stop request before they are abandoned:
/// short enough that Ctrl-C ends a run within a second, long enough for the calls in flight to answer.
pub const GRACE: Duration = Duration::from_millis(300);

/// What an execution did.
#[derive(Debug)]
pub struct Report {
    pub nodes: Vec<(Node, Outcome)>,
    /// Every resource that exists after the run (unchanged, updated and created ones).
    pub resources: Vec<Actual>,
    pub elapsed: Duration,
    pub stopped: bool,
}

impl Report {
    pub fn failures(&self) -> impl Iterator<Item = (&Node, &Failure)> {
        self.nodes.iter().filter_map(|(n, o)| match o {
            Outcome::Failed(e) => Some((n, e)),
            _ => None,
        })
    }

    pub fn succeeded(&self) -> bool {
        self.nodes.iter().all(|(_, o)| matches!(o, Outcome::Done(_)))
    }

    pub fn count(&self, op: Op) -> usize {
        self.nodes.iter().filter(|(n, o)| n.op == op && matches!(o, Outcome::Done(_))).count()
    }

    /// When every action this run took on `addresses` had finished, from the start of the run: None when
    /// it took none (they were there already) or one of them did not finish. `apply` reports the moment
    /// the app first served through the load balancer this way (see `compose::serving`).
    pub fn reached(&self, addresses: &[Address]) -> Option<Duration> {
        let mut ends = self.nodes.iter().filter(|(n, _)| addresses.contains(&n.address)).map(|(_, o)| match o {
            Outcome::Done(span) => Some(span.end),
            _ => None,
        });
        let first = ends.next()??;
        ends.try_fold(first, |latest, end| Some(latest.max(end?)))
    }
}

/// A shared flag that asks a running execution to stop, which can also be waited for.
#[derive(Clone, Default)]
pub struct StopSignal(Arc<StopState>);

#[derive(Default)]
struct StopState {
    stopped: AtomicBool,
    changed: tokio::sync::Notify,
}

impl std::fmt::Debug for StopSignal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StopSignal").field("stopped", &self.is_stopped()).finish()
    }
}

impl StopSignal {
    pub fn stop(&self) {
        self.0.stopped.store(true, Ordering::SeqCst);
        self.0.changed.notify_waiters();
    }

    pub fn is_stopped(&self) -> bool {
        self.0.stopped.load(Ordering::SeqCst)
    }

    /// Ready once a stop has been requested (at once if it was already).
    pub async fn stopped(&self) {
        loop {
            let changed = self.0.changed.notified();
            tokio::pin!(changed);
            // Registered before the flag is read, so a stop between the two is not missed.
            changed.as_mut().enable();
            if self.is_stopped() {
                return;
            }
            changed.await;
        }
    }
}

struct NodeProgress {
    hook: Arc<dyn Hook>,
    address: Address,
    /// Where to say that this node's resource stopped working: the scheduler, with the node's index.
    stopped: (usize, tokio::sync::mpsc::UnboundedSender<usize>),
}

impl Progress for NodeProgress {
    fn waiting(&self, seen: &str, waited: Duration) {
        self.hook.event(&Event::Waiting { address: &self.address, seen, waited });
    }

    fn stopped(&self) {
        // The scheduler outlives every action; a send can only fail once it is gone, when nobody waits.
        let _ = self.stopped.1.send(self.stopped.0);
    }
}

enum State {
    Pending,
    Running,
    Finished(Outcome),
}

/// Run `plan` through `backend`, at most `parallelism` actions at once.
pub async fn execute(
    plan: &Plan,
    backend: Arc<dyn Backend>,
    parallelism: usize,
    hook: Arc<dyn Hook>,
    stop: StopSignal,
) -> Report {
    let known = plan.changes.iter().filter_map(|c| c.actual.clone()).collect();
    execute_nodes(build_nodes(plan), known, backend, parallelism, hook, stop).await
}

/// Run `nodes` (a plan's, from [`build_nodes`], or a graph derived from them, as the benchmark's
/// baselines do) through `backend`; `known` are the resources that exist already, whose ids references
/// resolve to.
pub async fn execute_nodes(
    nodes: Vec<Node>,
    known: Vec<Actual>,
    backend: Arc<dyn Backend>,
    parallelism: usize,
    hook: Arc<dyn Hook>,
    stop: StopSignal,
) -> Report {
    let started = Instant::now();
    let order = timeline::by_chain_ahead(&nodes);
    // Ids of every resource known so far: unchanged ones now, created ones as they finish.
    let ids: Arc<Mutex<BTreeMap<Address, Actual>>> =
        Arc::new(Mutex::new(known.into_iter().map(|a| (a.address.clone(), a)).collect()));
    // Deletions tell, through their progress, when their resource stopped working (`after_stop` edges).
    let (stopped_tx, mut stopped_rx) = tokio::sync::mpsc::unbounded_channel::<usize>();
    let mut stopped_at: Vec<Option<Duration>> = vec![None; nodes.len()];
    let mut states: Vec<State> = nodes.iter().map(|_| State::Pending).collect();
    let mut running = JoinSet::new();
    // Which node each task runs, so a task that panics still ends its own node (and its dependents).
    let mut task_nodes: HashMap<tokio::task::Id, usize> = HashMap::new();
    let limit = parallelism.max(1);
    let mut announced_stop = false;
    // Once a stop is requested: when the actions still running are abandoned, and whether they were.
    let mut abandon_at: Option<Instant> = None;
    let mut abandoned = false;

    loop {
        if stop.is_stopped() && !announced_stop {
            announced_stop = true;
            hook.event(&Event::Stopping);
        }
        // Skip what can no longer run; start what is ready, up to the limit.
        for &i in &order {
            if !matches!(states[i], State::Pending) {
                continue;
            }
            let cannot_run = |d: usize| {
                matches!(states[d], State::Finished(Outcome::Failed(_) | Outcome::Skipped { .. } | Outcome::NotStarted))
            };
            // A deletion that stopped its resource's work before it failed has done what `after_stop`
            // waits for.
            let failed_dep = nodes[i]
                .deps
                .iter()
                .find(|&&d| cannot_run(d))
                .or_else(|| nodes[i].after_stop.iter().find(|&&d| cannot_run(d) && stopped_at[d].is_none()));
            if let Some(&dep) = failed_dep {
                let because = match &states[dep] {
                    State::Finished(Outcome::Skipped { because }) => because.clone(),
                    _ => nodes[dep].address.clone(),
                };
                if stop.is_stopped() && matches!(states[dep], State::Finished(Outcome::NotStarted)) {
                    states[i] = State::Finished(Outcome::NotStarted);
                } else {
                    hook.event(&Event::Skipped { address: &nodes[i].address, op: nodes[i].op, because: &because });
                    states[i] = State::Finished(Outcome::Skipped { because });
                }
                continue;
            }
            let done = |d: usize| matches!(states[d], State::Finished(Outcome::Done(_)));
            let ready = nodes[i].deps.iter().all(|&d| done(d))
                && nodes[i].after_stop.iter().all(|&d| done(d) || stopped_at[d].is_some());
            if !ready || running.len() >= limit {
                continue;
            }
            if stop.is_stopped() {
                states[i] = State::Finished(Outcome::NotStarted);
                continue;
            }
            states[i] = State::Running;
            hook.event(&Event::Started { address: &nodes[i].address, op: nodes[i].op });
            let node = nodes[i].clone();
            let backend = backend.clone();
            let progress =
                NodeProgress { hook: hook.clone(), address: node.address.clone(), stopped: (i, stopped_tx.clone()) };
            let ids = ids.clone();
            let task = running.spawn(async move {
                let start = started.elapsed();
                let result = run_node(&node, backend.as_ref(), &progress, &ids).await;
                result.map(|()| Span { start, end: started.elapsed(), stopped: None })
            });
            task_nodes.insert(task.id(), i);
        }
        if running.is_empty() {
            break;
        }
        // Either an action ends, or a running deletion says its resource stopped working (which may
        // make a node waiting on it ready): look again at what can start. A stop request starts the
        // grace period, at whose end what still runs is abandoned.
        let abandon = async {
            match abandon_at {
                Some(at) if !abandoned => tokio::time::sleep_until(at).await,
                _ => std::future::pending().await,
            }
        };
        let joined = tokio::select! {
            joined = running.join_next_with_id() => joined,
            Some(i) = stopped_rx.recv() => {
                stopped_at[i].get_or_insert(started.elapsed());
                continue;
            }
            () = stop.stopped(), if abandon_at.is_none() => {
                abandon_at = Some(Instant::now() + GRACE);
                continue;
            }
            () = abandon => {
                running.abort_all();
                abandoned = true;
                continue;
            }
        };
        let Some(joined) = joined else { break };
        let (id, result) = match joined {
            Ok((id, result)) => (id, result),
            // A panic inside an action is a bug: it fails that node, so its dependents are skipped as
            // for any failure, instead of waiting forever.
            Err(err) if err.is_cancelled() => {
                if let Some(i) = task_nodes.remove(&err.id()) {
                    hook.event(&Event::Abandoned { address: &nodes[i].address, op: nodes[i].op });
                    states[i] = State::Finished(Outcome::Interrupted);
                }
                continue;
            }
            Err(err) => {
                let address = task_nodes.get(&err.id()).map(|&i| nodes[i].address.clone());
                let message = if err.is_panic() { "it panicked".to_owned() } else { err.to_string() };
                (err.id(), Err(Failure::Panicked { address: address.unwrap_or_else(|| Address::new("?")), message }))
            }
        };
        let Some(i) = task_nodes.remove(&id) else { continue };
        // A stop said just before the end may still be queued: take it first.
        while let Ok(j) = stopped_rx.try_recv() {
            stopped_at[j].get_or_insert(started.elapsed());
        }
        let outcome = match result {
            Ok(span) => {
                let span = Span { stopped: stopped_at[i], ..span };
                hook.event(&Event::Finished { address: &nodes[i].address, op: nodes[i].op, elapsed: span.elapsed() });
                Outcome::Done(span)
            }
            Err(error) => {
                hook.event(&Event::Failed { address: &nodes[i].address, op: nodes[i].op, error: &error });
                Outcome::Failed(error)
            }
        };
        states[i] = State::Finished(outcome);
    }

    // Nothing runs, nothing is ready, yet nodes wait: they wait on each other. That is a bug in the
    // dependency rules; say so instead of reporting them as merely not started.
    let stuck: Vec<usize> = (0..nodes.len()).filter(|&i| matches!(states[i], State::Pending)).collect();
    if !stuck.is_empty() && !stop.is_stopped() {
        let names: Vec<String> =
            stuck.iter().map(|&i| format!("{} {}", nodes[i].op.verb().0, nodes[i].address)).collect();
        for &i in &stuck {
            let error = Failure::Cycle { address: nodes[i].address.clone(), among: names.join(", ") };
            hook.event(&Event::Failed { address: &nodes[i].address, op: nodes[i].op, error: &error });
            states[i] = State::Finished(Outcome::Failed(error));
        }
    }

    let nodes_out = nodes
        .into_iter()
        .zip(states)
        .map(|(node, state)| {
            let outcome = match state {
                State::Finished(outcome) => outcome,
                State::Pending | State::Running => Outcome::NotStarted,
            };
            (node, outcome)
        })
        .collect();
    // An action that panicked while holding the lock still left the ids recorded before it.
    let resources = ids.lock().unwrap_or_else(std::sync::PoisonError::into_inner).values().cloned().collect();
    Report { nodes: nodes_out, resources, elapsed: started.elapsed(), stopped: stop.is_stopped() }
}

async fn run_node(
    node: &Node,
    backend: &dyn Backend,
    progress: &NodeProgress,
    ids: &Mutex<BTreeMap<Address, Actual>>,
) -> Result<(), Failure> {
    match node.op {
        Op::Delete => {
            let Some(actual) = &node.actual else { return Ok(()) };
            backend.delete(actual, progress).await?;
            if let Ok(mut map) = ids.lock() {
                if map.get(&node.address).is_some_and(|a| a.id == actual.id) {
                    map.remove(&node.address);
                }
            }
            Ok(())
        }
        Op::Create | Op::Update => {
            let Some(desired) = &node.desired else { return Ok(()) };
            // References resolve to ids now: every dependency has finished.
            let resolved = {
                let map = ids.lock().map_err(|_| Failure::Panicked {
                    address: node.address.clone(),
                    message: "another action panicked while it held the resources' ids".into(),
                })?;
                let resolve = |a: &Address, attr: Option<&str>| {
                    map.get(a).and_then(|r| r.reference(attr)).unwrap_or(Value::Unknown)
                };
                let mut d = desired.clone();
                for value in d.props.values_mut().chain(d.create_only.values_mut()) {
                    *value = value.resolve(&resolve);
                }
                d
            };
            if let Some((key, _)) = resolved.props.iter().chain(&resolved.create_only).find(|(_, v)| v.has_unknown()) {
                return Err(Failure::Unresolved { address: node.address.clone(), property: key.clone() });
            }
            let actual = match (node.op, &node.actual) {
                (Op::Update, Some(have)) => backend.update(have, &resolved, progress).await?,
                _ => backend.create(&resolved, progress).await?,
            };
            if let Ok(mut map) = ids.lock() {
                map.insert(node.address.clone(), actual);
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests;
