//! The executor against a fake backend under tokio's paused clock, with a hook that records what it is
//! told: the order dependencies impose, the parallelism limit, a failed branch, a stop, a panic.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::*;
use crate::model::{Desired, Kind};
use crate::plan::{Action, Change};
use crate::resources::{Error, Fut};

/// Each action takes its time, then succeeds, fails or panics as told; the backend records when each
/// ran and how many ran at once.
#[derive(Default)]
struct FakeAws {
    takes: BTreeMap<&'static str, Duration>,
    fails: BTreeSet<&'static str>,
    panics: BTreeSet<&'static str>,
    /// Asked to stop after this action finishes (an operator's Ctrl-C, at a known moment).
    stop_after: Option<(&'static str, StopSignal)>,
    /// Deletions that say their resource stopped working this long after they start.
    stops_working_after: BTreeMap<&'static str, Duration>,
    log: Mutex<Vec<String>>,
    running: Mutex<(usize, usize)>,
}

impl FakeAws {
    fn log(&self) -> Vec<String> {
        self.log.lock().expect("log").clone()
    }

    fn most_at_once(&self) -> usize {
        self.running.lock().expect("running").1
    }

    async fn act(&self, address: &str, progress: &dyn Progress) -> Result<(), Error> {
        {
            let mut running = self.running.lock().expect("running");
            running.0 += 1;
            running.1 = running.1.max(running.0);
        }
        self.log.lock().expect("log").push(format!("start {address}"));
        let mut takes = self.takes.get(address).copied().unwrap_or(Duration::from_secs(1));
        if let Some(&stops) = self.stops_working_after.get(address) {
            tokio::time::sleep(stops).await;
            self.log.lock().expect("log").push(format!("stopped {address}"));
            progress.stopped();
            takes = takes.saturating_sub(stops);
        }
        tokio::time::sleep(takes).await;
        self.running.lock().expect("running").0 -= 1;
        self.log.lock().expect("log").push(format!("end {address}"));
        if let Some((after, stop)) = &self.stop_after {
            if *after == address {
                stop.stop();
            }
        }
        assert!(!self.panics.contains(address), "the fake was told to panic on {address}");
        if self.fails.contains(address) {
            return Err(Error::Bug(format!("{address}: told to fail")));
        }
        Ok(())
    }
}

impl Backend for FakeAws {
    fn create<'a>(&'a self, want: &'a Desired, progress: &'a dyn Progress) -> Fut<'a, Actual> {
        Box::pin(async move {
            self.act(want.address.as_str(), progress).await?;
            Ok(Actual::made(want, format!("id-{}", want.address)))
        })
    }

    fn update<'a>(&'a self, _: &'a Actual, want: &'a Desired, _: &'a dyn Progress) -> Fut<'a, Actual> {
        self.create(want, &Quiet)
    }

    fn delete<'a>(&'a self, have: &'a Actual, progress: &'a dyn Progress) -> Fut<'a, ()> {
        Box::pin(self.act(have.address.as_str(), progress))
    }
}

struct Quiet;
impl Progress for Quiet {
    fn waiting(&self, _: &str, _: Duration) {}
}

/// The events as text, in the order the engine sent them.
#[derive(Default)]
struct Recorder(Mutex<Vec<String>>);

impl Hook for Recorder {
    fn event(&self, event: &Event<'_>) {
        let line = match event {
            Event::Started { address, .. } => format!("started {address}"),
            Event::Waiting { address, seen, .. } => format!("waiting {address}: {seen}"),
            Event::Finished { address, .. } => format!("finished {address}"),
            Event::Failed { address, .. } => format!("failed {address}"),
            Event::Skipped { address, because, .. } => format!("skipped {address} because {because}"),
            Event::Stopping => "stopping".to_owned(),
            Event::Abandoned { address, .. } => format!("abandoned {address}"),
        };
        self.0.lock().expect("events").push(line);
    }
}

/// A plan that creates `nodes`, each (address, the addresses it needs first).
fn plan(nodes: &[(&str, &[&str])]) -> Plan {
    let changes = nodes
        .iter()
        .map(|(address, after)| {
            let desired =
                after.iter().fold(Desired::new(*address, Kind::SecurityGroup), |d, a| d.after(&Address::new(*a)));
            Change {
                address: desired.address.clone(),
                kind: desired.kind,
                action: Action::Create,
                changes: Vec::new(),
                desired: Some(desired),
                actual: None,
                notes: Vec::new(),
            }
        })
        .collect();
    Plan { deployment: "d".into(), region: "r".into(), changes }
}

fn outcome<'a>(report: &'a Report, address: &str) -> &'a Outcome {
    &report.nodes.iter().find(|(n, _)| n.address.as_str() == address).expect(address).1
}

async fn run(plan: &Plan, aws: Arc<FakeAws>, limit: usize, stop: StopSignal) -> (Report, Vec<String>) {
    let hook = Arc::new(Recorder::default());
    let report = execute(plan, aws, limit, hook.clone(), stop).await;
    let events = hook.0.lock().expect("events").clone();
    (report, events)
}

#[tokio::test(start_paused = true)]
async fn a_node_starts_only_after_everything_it_needs_has_finished() {
    let aws = Arc::new(FakeAws {
        takes: BTreeMap::from([("vpc", Duration::from_secs(5)), ("subnet", Duration::from_secs(3))]),
        ..FakeAws::default()
    });
    let plan = plan(&[("instance", &["subnet", "vpc"]), ("subnet", &["vpc"]), ("vpc", &[]), ("bucket", &[])]);
    let (report, events) = run(&plan, aws.clone(), 16, StopSignal::default()).await;
    assert!(report.succeeded(), "{:?}", report.nodes);
    let log = aws.log();
    let at = |line: &str| log.iter().position(|l| l == line).unwrap_or_else(|| panic!("{line} not in {log:?}"));
    assert!(at("end vpc") < at("start subnet"), "{log:?}");
    assert!(at("end subnet") < at("start instance"), "{log:?}");
    // Independent work runs beside the chain.
    assert!(at("start bucket") < at("end vpc"), "{log:?}");
    assert_eq!(events.iter().filter(|e| e.starts_with("finished")).count(), 4, "{events:?}");
    // The run takes as long as its longest chain: 5 + 3 + 1 seconds.
    assert_eq!(report.elapsed, Duration::from_secs(9));
}

#[tokio::test(start_paused = true)]
async fn no_more_actions_run_at_once_than_the_limit() {
    let aws = Arc::new(FakeAws::default());
    let names: Vec<String> = (0..10).map(|i| format!("group-{i}")).collect();
    let nodes: Vec<(&str, &[&str])> = names.iter().map(|n| (n.as_str(), &[][..])).collect();
    let (report, _) = run(&plan(&nodes), aws.clone(), 3, StopSignal::default()).await;
    assert!(report.succeeded());
    assert_eq!(aws.most_at_once(), 3);
    // Ten one-second actions, three at a time: four rounds.
    assert_eq!(report.elapsed, Duration::from_secs(4));
}

#[tokio::test(start_paused = true)]
async fn a_failure_skips_its_dependents_and_nothing_else() {
    let aws = Arc::new(FakeAws { fails: BTreeSet::from(["vpc"]), ..FakeAws::default() });
    let plan = plan(&[("vpc", &[]), ("subnet", &["vpc"]), ("instance", &["subnet"]), ("bucket", &[])]);
    let (report, events) = run(&plan, aws, 16, StopSignal::default()).await;
    assert!(!report.succeeded());
    assert!(matches!(outcome(&report, "vpc"), Outcome::Failed(Failure::Action(_))));
    // Only the root cause is an error; what needed it is skipped, naming the root cause.
    for dependent in ["subnet", "instance"] {
        assert!(
            matches!(outcome(&report, dependent), Outcome::Skipped { because } if because.as_str() == "vpc"),
            "{dependent}: {:?}",
            outcome(&report, dependent)
        );
    }
    assert!(matches!(outcome(&report, "bucket"), Outcome::Done(_)));
    assert_eq!(report.failures().count(), 1);
    assert!(events.contains(&"skipped instance because vpc".to_owned()), "{events:?}");
}

#[tokio::test(start_paused = true)]
async fn a_stop_gives_running_actions_a_grace_period_abandons_the_rest_and_starts_nothing_new() {
    let stop = StopSignal::default();
    let aws = Arc::new(FakeAws {
        takes: BTreeMap::from([
            ("quick", Duration::from_millis(100)),
            ("brief", Duration::from_millis(100) + GRACE / 2),
            ("slow", Duration::from_secs(10)),
        ]),
        stop_after: Some(("quick", stop.clone())),
        ..FakeAws::default()
    });
    let plan =
        plan(&[("quick", &[]), ("slow", &[]), ("brief", &[]), ("after-quick", &["quick"]), ("after-slow", &["slow"])]);
    let started = tokio::time::Instant::now();
    let (report, events) = run(&plan, aws.clone(), 16, stop).await;
    assert!(report.stopped);
    // The stop comes at 100ms; the run ends when the grace period does.
    assert_eq!(started.elapsed(), Duration::from_millis(100) + GRACE, "the run ended when the grace period did");
    assert!(matches!(outcome(&report, "quick"), Outcome::Done(_)));
    // Running when the stop came: one that ends within the grace period finishes, one that does not is
    // abandoned.
    assert!(matches!(outcome(&report, "brief"), Outcome::Done(_)), "{:?}", outcome(&report, "brief"));
    assert!(matches!(outcome(&report, "slow"), Outcome::Interrupted), "{:?}", outcome(&report, "slow"));
    assert!(events.contains(&"abandoned slow".to_owned()), "{events:?}");
    for waiting in ["after-quick", "after-slow"] {
        assert!(matches!(outcome(&report, waiting), Outcome::NotStarted), "{waiting}");
    }
    assert!(!aws.log().iter().any(|l| l.starts_with("start after")), "{:?}", aws.log());
    assert!(events.contains(&"stopping".to_owned()), "{events:?}");
    assert_eq!(report.failures().count(), 0, "a stop is not a failure");
}

#[tokio::test(start_paused = true)]
async fn a_panicking_action_fails_its_own_node_and_skips_its_dependents() {
    let aws = Arc::new(FakeAws { panics: BTreeSet::from(["vpc"]), ..FakeAws::default() });
    let plan = plan(&[("vpc", &[]), ("subnet", &["vpc"]), ("bucket", &[])]);
    let (report, _) = run(&plan, aws, 16, StopSignal::default()).await;
    assert!(
        matches!(outcome(&report, "vpc"), Outcome::Failed(Failure::Panicked { address, .. }) if address.as_str() == "vpc"),
        "{:?}",
        outcome(&report, "vpc")
    );
    // Not a dependency cycle: the subnet is skipped because of the vpc, as for any failure.
    assert!(matches!(outcome(&report, "subnet"), Outcome::Skipped { because } if because.as_str() == "vpc"));
    assert!(matches!(outcome(&report, "bucket"), Outcome::Done(_)));
}

/// Deletions of `(address, after_stop)`: each waits only until the ones named have stopped working.
fn deletions(nodes: &[(&str, &[usize])]) -> Vec<Node> {
    nodes
        .iter()
        .map(|(address, after_stop)| Node {
            actual: Some(Actual::new(Address::new(*address), Kind::SecurityGroup, format!("id-{address}"))),
            after_stop: after_stop.to_vec(),
            ..Node::bare(address, Kind::SecurityGroup, crate::model::Op::Delete, &[])
        })
        .collect()
}

async fn run_nodes(nodes: Vec<Node>, aws: Arc<FakeAws>) -> Report {
    execute_nodes(nodes, Vec::new(), aws, 16, Arc::new(Recorder::default()), StopSignal::default()).await
}

/// The database's final snapshot needs the Spark cluster's work stopped, not its instances gone: the
/// dependent starts when the deletion says so, while that deletion goes on.
#[tokio::test(start_paused = true)]
async fn a_deletion_waiting_for_another_to_stop_starts_when_it_says_so() {
    let aws = Arc::new(FakeAws {
        takes: BTreeMap::from([("cluster", Duration::from_secs(600)), ("database", Duration::from_secs(300))]),
        stops_working_after: BTreeMap::from([("cluster", Duration::from_secs(2))]),
        ..FakeAws::default()
    });
    let report = run_nodes(deletions(&[("cluster", &[]), ("database", &[0])]), aws.clone()).await;
    assert!(report.succeeded(), "{:?}", report.nodes);
    let log = aws.log();
    let at = |line: &str| log.iter().position(|l| l == line).unwrap_or_else(|| panic!("{line} not in {log:?}"));
    assert!(at("stopped cluster") < at("start database") && at("start database") < at("end cluster"), "{log:?}");
    assert_eq!(report.elapsed, Duration::from_secs(600), "side by side, not 600 + 300");
    let Outcome::Done(span) = outcome(&report, "cluster") else { panic!("the cluster's deletion finished") };
    assert_eq!(span.stopped, Some(Duration::from_secs(2)));
    assert_eq!(crate::engine::longest_chain(&report.nodes).len(), 1, "the chain is the cluster's deletion alone");
}

/// A deletion that fails before its resource stopped working holds back what waits for the stop; one
/// that fails after does not (the stop happened).
#[tokio::test(start_paused = true)]
async fn a_deletion_that_fails_before_it_stopped_skips_what_waits_for_the_stop() {
    let before = Arc::new(FakeAws { fails: BTreeSet::from(["cluster"]), ..FakeAws::default() });
    let report = run_nodes(deletions(&[("cluster", &[]), ("database", &[0])]), before).await;
    assert!(matches!(outcome(&report, "database"), Outcome::Skipped { because } if because.as_str() == "cluster"));

    let after = Arc::new(FakeAws {
        fails: BTreeSet::from(["cluster"]),
        stops_working_after: BTreeMap::from([("cluster", Duration::from_millis(200))]),
        ..FakeAws::default()
    });
    let report = run_nodes(deletions(&[("cluster", &[]), ("database", &[0])]), after).await;
    assert!(matches!(outcome(&report, "cluster"), Outcome::Failed(_)));
    assert!(matches!(outcome(&report, "database"), Outcome::Done(_)), "{:?}", outcome(&report, "database"));
}

/// Apply reports when the app served: the moment the last of the named actions finished, none when
/// one of them did not finish or none ran.
#[tokio::test(start_paused = true)]
async fn the_serving_moment_is_when_the_last_named_action_finished() {
    let aws = Arc::new(FakeAws {
        takes: BTreeMap::from([("listener", Duration::from_secs(3)), ("group", Duration::from_secs(5))]),
        ..FakeAws::default()
    });
    let plan = plan(&[("listener", &[]), ("group", &[]), ("database", &["listener"])]);
    let (report, _) = run(&plan, aws, 16, StopSignal::default()).await;
    let at = |names: &[&str]| report.reached(&names.iter().map(|n| Address::new(*n)).collect::<Vec<_>>());
    assert_eq!(at(&["listener", "group"]), Some(Duration::from_secs(5)));
    assert_eq!(at(&["elsewhere"]), None, "nothing of it ran");
    let failing = Arc::new(FakeAws { fails: BTreeSet::from(["group"]), ..FakeAws::default() });
    let (report, _) = run(&plan, failing, 16, StopSignal::default()).await;
    assert_eq!(report.reached(&[Address::new("listener"), Address::new("group")]), None);
}
