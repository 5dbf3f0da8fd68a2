//! The simulation benchmark: clusterup's real plan of `examples/smarten-spark.yaml` and its real engine,
//! against simulated AWS services under virtual time (tokio's paused clock), so a half-hour apply takes
//! a fraction of a second. Latencies are drawn from published AWS figures (each kind's `latency`, with its
//! source, in its module under `src/resources/`) with jitter
//! from a seed.
//!
//! It reports, for apply and then destroy: the makespan, the critical-path lower bound (the longest
//! chain of calls plus AWS's own readiness times, which no schedule can beat), their ratio, how late each
//! wait saw readiness, and API calls per AWS service; for clusterup's engine and for baselines that
//! act one resource at a time and/or wait with the SDK waiters' intervals.
//!
//! ```text
//! cargo bench --profile dev --bench simulate                  # seeds 1..=20
//! cargo bench --profile dev --bench simulate -- --seed 7 --runs 1 --detail
//! ```
//!
//! Exits 1 when clusterup's engine misses a target in any run: makespan within 5% of the lower bound,
//! median readiness lag at most 2 s, no lag over 5 s.

mod latency;
mod services;

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clusterup::compose::{desired, offline_facts};
use clusterup::engine::{build_nodes, execute, longest_path, Event, Hook, Report, StopSignal, DEFAULT_PARALLELISM};
use clusterup::model::Desired;
use clusterup::plan::{diff, Plan};

use services::{Observed, Poller, SimulatedAws};

const RATIO_TARGET: f64 = 1.05;
const MEDIAN_LAG_TARGET: Duration = Duration::from_secs(2);
const MAX_LAG_TARGET: Duration = Duration::from_secs(5);

struct Scenario {
    name: &'static str,
    parallelism: usize,
    poller: Poller,
}

const SCENARIOS: [Scenario; 5] = [
    Scenario { name: "clusterup", parallelism: DEFAULT_PARALLELISM as usize, poller: Poller::Clusterup },
    Scenario { name: "one at a time, same poller", parallelism: 1, poller: Poller::Clusterup },
    Scenario { name: "one at a time, SDK waiters", parallelism: 1, poller: Poller::SdkWaiters },
    Scenario { name: "parallel, SDK waiters", parallelism: DEFAULT_PARALLELISM as usize, poller: Poller::SdkWaiters },
    Scenario { name: "Terraform-like (parallel 10)", parallelism: 10, poller: Poller::Terraform },
];

/// One phase (apply or destroy) of one scenario.
struct Phase {
    makespan: Duration,
    lower_bound: Duration,
    lags: Vec<Duration>,
    observed: Observed,
    succeeded: bool,
}

impl Phase {
    fn ratio(&self) -> f64 {
        self.makespan.as_secs_f64() / self.lower_bound.as_secs_f64().max(f64::EPSILON)
    }

    /// The lag at `quantile`, interpolated between the two nearest waits (so 0.5 is the usual median).
    fn lag(&self, quantile: f64) -> Duration {
        let Some(last) = self.lags.len().checked_sub(1) else { return Duration::ZERO };
        let at = last as f64 * quantile;
        let (below, above) = (self.lags[at.floor() as usize], self.lags[at.ceil() as usize]);
        below + (above.saturating_sub(below)).mul_f64(at.fract())
    }

    fn calls(&self) -> u64 {
        self.observed.calls.values().sum()
    }
}

struct NoView;

impl Hook for NoView {
    fn event(&self, _event: &Event<'_>) {}
}

async fn run_phase(plan: &Plan, sim: &Arc<SimulatedAws>, parallelism: usize) -> (Phase, Report) {
    let report = execute(plan, sim.clone(), parallelism, Arc::new(NoView), StopSignal::default()).await;
    let observed = sim.take();
    let lower_bound = longest_path(&build_nodes(plan), |node| {
        observed.intrinsic.get(&(node.address.clone(), node.op)).copied().unwrap_or_default()
    })
    .map(|e| e.total)
    .unwrap_or_default();
    let mut lags: Vec<Duration> = observed.waits.iter().map(|w| w.lag).collect();
    lags.sort();
    let phase = Phase { makespan: report.elapsed, lower_bound, lags, observed, succeeded: report.succeeded() };
    (phase, report)
}

/// Apply the plan from nothing, then destroy what it made.
fn simulate(plan: &Plan, wanted: &[Desired], seed: u64, scenario: &Scenario) -> (Phase, Phase) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a tokio runtime");
    // The poller's jitter comes from this thread's generator: seeded, the run repeats exactly.
    fastrand::seed(seed);
    runtime.block_on(async {
        let sim = Arc::new(SimulatedAws::new(seed, scenario.poller, wanted));
        let (apply, report) = run_phase(plan, &sim, scenario.parallelism).await;
        let teardown = Plan::destroy_all(&plan.deployment, &plan.region, report.resources);
        let (destroy, _) = run_phase(&teardown, &sim, scenario.parallelism).await;
        (apply, destroy)
    })
}

fn mmss(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 60.0 {
        format!("{}m{:04.1}s", (s / 60.0).floor(), s % 60.0)
    } else {
        format!("{s:.1}s")
    }
}

fn print_phase_row(name: &str, phase: &Phase, baseline: Option<&Phase>) {
    let slower = baseline
        .map(|b| format!("{:.2}x", phase.makespan.as_secs_f64() / b.makespan.as_secs_f64()))
        .unwrap_or_else(|| "-".into());
    println!(
        "  {name:<28} {:>10} {:>11} {:>6.3} {:>8} {:>8} {:>8} {:>6} {:>7}",
        mmss(phase.makespan),
        mmss(phase.lower_bound),
        phase.ratio(),
        mmss(phase.lag(0.5)),
        mmss(phase.lag(0.9)),
        mmss(phase.lag(1.0)),
        phase.calls(),
        slower,
    );
}

struct Args {
    first_seed: u64,
    runs: u64,
    detail: bool,
}

fn args() -> Result<Args, String> {
    let mut args = Args { first_seed: 1, runs: 20, detail: false };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut number = |name: &str| -> Result<u64, String> {
            it.next().and_then(|v| v.parse().ok()).ok_or_else(|| format!("{name} needs a number"))
        };
        match arg.as_str() {
            "--seed" => args.first_seed = number("--seed")?,
            "--runs" => args.runs = number("--runs")?.max(1),
            "--detail" => args.detail = true,
            // cargo bench passes --bench to every bench binary.
            "--bench" => {}
            other => return Err(format!("unknown argument {other}; use --seed N, --runs N, --detail")),
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("simulate: {message}");
            return ExitCode::from(2);
        }
    };
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/smarten-spark.yaml");
    let text = std::fs::read_to_string(&path).expect("the example topology");
    let topology = clusterup::topology::parse(&path, &text).expect("the example is valid").topology;
    let wanted = desired(&topology, &offline_facts(&topology)).expect("the example composes");
    let plan = diff(&topology.name, &topology.region, &wanted, Vec::new());
    let started = std::time::Instant::now();

    println!(
        "clusterup simulation: {} ({} resources), seeds {}..={}, virtual time, latencies from each kind's Spec",
        path.file_name().and_then(|n| n.to_str()).unwrap_or_default(),
        wanted.len(),
        args.first_seed,
        args.first_seed + args.runs - 1
    );
    let mut failures = Vec::new();
    let mut worst: BTreeMap<&str, (f64, Duration, Duration, f64)> = BTreeMap::new();
    for seed in args.first_seed..args.first_seed + args.runs {
        let results: Vec<(Phase, Phase)> = SCENARIOS.iter().map(|s| simulate(&plan, &wanted, seed, s)).collect();
        let show = args.detail || seed == args.first_seed;
        for (phase_name, pick) in [("apply", 0usize), ("destroy", 1)] {
            let ours = if pick == 0 { &results[0].0 } else { &results[0].1 };
            if show {
                println!(
                    "\nseed {seed}, {phase_name}:\n  {:<28} {:>10} {:>11} {:>6} {:>8} {:>8} {:>8} {:>6} {:>7}",
                    "engine", "makespan", "lower bound", "ratio", "lag p50", "lag p90", "lag max", "calls", "vs ours"
                );
                for (scenario, result) in SCENARIOS.iter().zip(&results) {
                    let phase = if pick == 0 { &result.0 } else { &result.1 };
                    print_phase_row(scenario.name, phase, Some(ours).filter(|_| scenario.name != SCENARIOS[0].name));
                }
                let services: Vec<String> = ours.observed.calls.iter().map(|(f, n)| format!("{f} {n}")).collect();
                println!("  calls per service (clusterup): {}", services.join(", "));
            }
            if args.detail {
                for wait in &ours.observed.waits {
                    println!("    {:<32} {:?} seen {} after ready", wait.address.as_str(), wait.op, mmss(wait.lag));
                }
            }
            let sequential = if pick == 0 { &results[1].0 } else { &results[1].1 };
            let speedup = sequential.makespan.as_secs_f64() / ours.makespan.as_secs_f64();
            let entry = worst.entry(phase_name).or_insert((0.0, Duration::ZERO, Duration::ZERO, f64::MAX));
            *entry = (
                entry.0.max(ours.ratio()),
                entry.1.max(ours.lag(0.5)),
                entry.2.max(ours.lag(1.0)),
                entry.3.min(speedup),
            );
            if !ours.succeeded {
                failures.push(format!("seed {seed} {phase_name}: the engine did not finish"));
            }
            if ours.ratio() > RATIO_TARGET {
                failures.push(format!(
                    "seed {seed} {phase_name}: makespan/lower bound {:.3} > {RATIO_TARGET}",
                    ours.ratio()
                ));
            }
            if ours.lag(0.5) > MEDIAN_LAG_TARGET || ours.lag(1.0) > MAX_LAG_TARGET {
                failures.push(format!(
                    "seed {seed} {phase_name}: readiness lag median {} max {} (targets {} and {})",
                    mmss(ours.lag(0.5)),
                    mmss(ours.lag(1.0)),
                    mmss(MEDIAN_LAG_TARGET),
                    mmss(MAX_LAG_TARGET)
                ));
            }
        }
    }

    println!("\nover {} seeds (worst case of each figure):", args.runs);
    for (phase_name, (ratio, median, max, speedup)) in &worst {
        println!(
            "  {phase_name:<8} ratio {ratio:.3} (target <= {RATIO_TARGET}), lag median {} (<= {}), lag max {} (<= {}), one-at-a-time baseline {speedup:.2}x slower",
            mmss(*median),
            mmss(MEDIAN_LAG_TARGET),
            mmss(*max),
            mmss(MAX_LAG_TARGET),
        );
    }
    println!("real time: {:.2}s", started.elapsed().as_secs_f64());
    if failures.is_empty() {
        println!("all targets met");
        ExitCode::SUCCESS
    } else {
        for failure in &failures {
            println!("MISSED: {failure}");
        }
        ExitCode::FAILURE
    }
}
