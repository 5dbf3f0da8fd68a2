//! The simulation benchmark: clusterup's real plans of example topologies and its real engine, against
//! simulated AWS services under virtual time (tokio's paused clock), so a half-hour apply takes a
//! fraction of a second. Latencies are drawn from published AWS figures (each kind's `latency`, with its
//! source, in its module under `src/resources/`) with jitter from a seed.
//!
//! It reports, per example, for apply and then destroy: the makespan, the critical-path lower bound of
//! the graph the engine walked (the longest chain of calls plus AWS's own readiness times, which no
//! schedule can beat), their ratio, how late each wait saw readiness, the API calls, and for apply when
//! the app first served through the load balancer with every node healthy; for clusterup's engine and for
//! baselines that act one resource at a time and/or wait with the SDK waiters' intervals, and a
//! Terraform-like walk (parallelism 10, the AWS provider's poll intervals) of the graph a Terraform
//! configuration of the same deployment has (terraform.rs).
//!
//! ```text
//! cargo bench --profile dev --bench simulate                  # seeds 1..=20
//! cargo bench --profile dev --bench simulate -- --seed 7 --runs 1 --detail
//! ```
//!
//! Exits 1 when clusterup's engine misses a target in any run: makespan within 5% of its own graph's
//! lower bound, median readiness lag at most 2 s, no lag over 5 s; and for the full example (Spark
//! included) an apply at most 0.78x and a destroy at most 0.85x the Terraform-like walk's (over the
//! seeds), and no more API calls than the Terraform-like walk, per apply and per destroy, seed by seed.

mod latency;
mod services;
mod terraform;

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clusterup::compose::{desired, offline_facts, serving};
use clusterup::engine::{
    build_nodes, execute_nodes, longest_path, Event, Hook, Node, Report, StopSignal, DEFAULT_PARALLELISM,
};
use clusterup::model::{Address, Desired};
use clusterup::plan::{diff, Plan};

use services::{Observed, Poller, SimulatedAws};

const RATIO_TARGET: f64 = 1.05;
const MEDIAN_LAG_TARGET: Duration = Duration::from_secs(2);
const MAX_LAG_TARGET: Duration = Duration::from_secs(5);

/// An example topology and, for the one whose chain runs through the database and Spark, how much
/// faster than the Terraform-like walk clusterup must be (apply, destroy; makespan ratios over the
/// seeds), and whether it must make no more calls than that walk (every seed, apply and destroy).
struct Example {
    file: &'static str,
    against_terraform: Option<(f64, f64)>,
    calls_within_terraform: bool,
}

const EXAMPLES: [Example; 4] = [
    Example { file: "smarten-spark.yaml", against_terraform: Some((0.78, 0.85)), calls_within_terraform: true },
    Example { file: "web-tier.yaml", against_terraform: None, calls_within_terraform: false },
    Example { file: "spark-only.yaml", against_terraform: None, calls_within_terraform: false },
    // Node groups: five Auto Scaling groups (one created after another's nodes are in service), a listener
    // rule, the database. Measured 0.851x (apply) and 0.991x (destroy) when added; the targets keep both.
    // With a read replica (made after the database, deleted before it): 0.879x and 0.993x.
    Example { file: "node-groups.yaml", against_terraform: Some((0.90, 1.02)), calls_within_terraform: false },
];

struct Scenario {
    name: &'static str,
    parallelism: usize,
    poller: Poller,
    /// Walk the graph a Terraform configuration has instead of clusterup's own.
    terraform_graph: bool,
}

const SCENARIOS: [Scenario; 5] = [
    Scenario {
        name: "clusterup",
        parallelism: DEFAULT_PARALLELISM as usize,
        poller: Poller::Clusterup,
        terraform_graph: false,
    },
    Scenario { name: "one at a time, same poller", parallelism: 1, poller: Poller::Clusterup, terraform_graph: false },
    Scenario { name: "one at a time, SDK waiters", parallelism: 1, poller: Poller::SdkWaiters, terraform_graph: false },
    Scenario {
        name: "parallel, SDK waiters",
        parallelism: DEFAULT_PARALLELISM as usize,
        poller: Poller::SdkWaiters,
        terraform_graph: false,
    },
    Scenario {
        name: "Terraform-like (parallel 10)",
        parallelism: 10,
        poller: Poller::Terraform,
        terraform_graph: true,
    },
];
const OURS: usize = 0;
const SEQUENTIAL: usize = 1;
const TERRAFORM: usize = 4;

/// One phase (apply or destroy) of one scenario.
struct Phase {
    makespan: Duration,
    lower_bound: Duration,
    lags: Vec<Duration>,
    observed: Observed,
    succeeded: bool,
    /// Apply only: when the app first served through the load balancer with every node healthy.
    serving: Option<Duration>,
    /// The chain that makes the lower bound, each action with its own time.
    chain: String,
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

/// The graph of `plan` the scenario walks.
fn graph_of(plan: &Plan, scenario: &Scenario) -> Vec<Node> {
    let nodes = build_nodes(plan);
    if scenario.terraform_graph {
        terraform::graph(nodes)
    } else {
        nodes
    }
}

async fn run_phase(
    plan: &Plan,
    sim: &Arc<SimulatedAws>,
    scenario: &Scenario,
    serving_at: &[Address],
) -> (Phase, Report) {
    let nodes = graph_of(plan, scenario);
    let known = plan.changes.iter().filter_map(|c| c.actual.clone()).collect();
    let report =
        execute_nodes(nodes.clone(), known, sim.clone(), scenario.parallelism, Arc::new(NoView), StopSignal::default())
            .await;
    let observed = sim.take();
    let key = |node: &Node| (node.address.clone(), node.op);
    let bound = longest_path(
        &nodes,
        |node| observed.intrinsic.get(&key(node)).copied().unwrap_or_default(),
        |node| observed.stops.get(&key(node)).copied().unwrap_or_default(),
    );
    let lower_bound = bound.as_ref().map(|e| e.total).unwrap_or_default();
    let chain = bound
        .map(|e| e.path.iter().map(|(a, _, took)| format!("{} {}", a.as_str(), mmss(*took))).collect::<Vec<_>>())
        .unwrap_or_default()
        .join(" -> ");
    let mut lags: Vec<Duration> = observed.waits.iter().map(|w| w.lag).collect();
    lags.sort();
    let phase = Phase {
        makespan: report.elapsed,
        lower_bound,
        lags,
        observed,
        succeeded: report.succeeded(),
        serving: report.reached(serving_at),
        chain,
    };
    (phase, report)
}

/// Apply the plan from nothing, then destroy what it made.
fn simulate(plan: &Plan, wanted: &[Desired], serving_at: &[Address], seed: u64, scenario: &Scenario) -> (Phase, Phase) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a tokio runtime");
    // The poller's jitter comes from this thread's generator: seeded, the run repeats exactly.
    fastrand::seed(seed);
    runtime.block_on(async {
        let sim = Arc::new(SimulatedAws::new(seed, scenario.poller, wanted));
        let (apply, report) = run_phase(plan, &sim, scenario, serving_at).await;
        let teardown = Plan::destroy_all(&plan.deployment, &plan.region, report.resources);
        let (destroy, _) = run_phase(&teardown, &sim, scenario, &[]).await;
        (apply, destroy)
    })
}

fn mmss(d: Duration) -> String {
    // Rounded to tenths first, so that 479.96 s reads 8m00.0s, not 7m60.0s.
    let tenths = (d.as_secs_f64() * 10.0).round() as u64;
    let (minutes, rest) = (tenths / 600, tenths % 600);
    if minutes > 0 {
        format!("{minutes}m{:02}.{}s", rest / 10, rest % 10)
    } else {
        format!("{}.{}s", rest / 10, rest % 10)
    }
}

fn print_phase_row(name: &str, phase: &Phase, baseline: Option<&Phase>) {
    let slower = baseline
        .map(|b| format!("{:.2}x", phase.makespan.as_secs_f64() / b.makespan.as_secs_f64()))
        .unwrap_or_else(|| "-".into());
    println!(
        "  {name:<28} {:>10} {:>10} {:>11} {:>6.3} {:>8} {:>8} {:>8} {:>6} {:>7}",
        phase.serving.map(mmss).unwrap_or_else(|| "-".into()),
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

/// What the seeds of one example and phase add up to.
#[derive(Default)]
struct Tally {
    /// The worst makespan/lower-bound ratio.
    ratio: f64,
    /// Every wait's lag, over all seeds: its median is the readiness-lag figure. (A small example has 3
    /// or 4 waits per run, too few for a median per run to mean anything; runs with at least
    /// `WAITS_FOR_A_MEDIAN` waits are also held to it one by one.)
    lags: Vec<Duration>,
    /// The worst per-run median (of runs with enough waits, if any) and the longest lag of any run.
    run_median_lag: Option<Duration>,
    max_lag: Duration,
    /// The smallest factor by which one-at-a-time is slower.
    speedup: Option<f64>,
    /// Makespans summed over the seeds (clusterup, Terraform-like), and the per-seed ratios' extremes.
    makespans: (Duration, Duration),
    vs_terraform: (f64, f64),
    /// The latest serving moment, and the largest serving ratio to the Terraform-like walk's.
    serving: Duration,
    serving_vs_terraform: f64,
    /// API calls summed over the seeds (clusterup, Terraform-like), the per-seed ratios' extremes, and
    /// the most clusterup made in one run.
    calls: (u64, u64),
    calls_vs_terraform: Option<(f64, f64)>,
    most_calls: u64,
}

/// Runs with at least this many waits must each meet the median-lag target too.
const WAITS_FOR_A_MEDIAN: usize = 10;

impl Tally {
    fn median_lag(&self) -> Duration {
        let mut lags = self.lags.clone();
        lags.sort();
        lags.get(lags.len() / 2).copied().unwrap_or_default()
    }

    fn total_vs_terraform(&self) -> f64 {
        self.makespans.0.as_secs_f64() / self.makespans.1.as_secs_f64().max(f64::EPSILON)
    }

    fn calls_line(&self) -> String {
        // No seed compared yet (no run at all): say so rather than print a range of zeros.
        let Some((low, high)) = self.calls_vs_terraform else { return "calls: no run".into() };
        format!(
            "calls {} vs Terraform-like {} ({:.3}x in all, per seed {low:.3}..{high:.3}, at most {} a run)",
            self.calls.0,
            self.calls.1,
            self.calls.0 as f64 / (self.calls.1 as f64).max(f64::EPSILON),
            self.most_calls
        )
    }
}

fn main() -> ExitCode {
    let args = match args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("simulate: {message}");
            return ExitCode::from(2);
        }
    };
    let started = std::time::Instant::now();
    let mut failures = Vec::new();
    let mut summary = Vec::new();
    for example in &EXAMPLES {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(example.file);
        let text = std::fs::read_to_string(&path).expect("the example topology");
        let topology = clusterup::topology::parse(&path, &text).expect("the example is valid").topology;
        let wanted = desired(&topology, &offline_facts(&topology)).expect("the example composes");
        let plan = diff(&topology.name, &topology.region, &wanted, Vec::new());
        let serving_at = serving(&topology);
        println!(
            "\n== {} ({} resources), seeds {}..={}, virtual time, latencies from each kind's Spec",
            example.file,
            wanted.len(),
            args.first_seed,
            args.first_seed + args.runs - 1
        );
        let mut tallies: BTreeMap<&str, Tally> = BTreeMap::new();
        for seed in args.first_seed..args.first_seed + args.runs {
            let results: Vec<(Phase, Phase)> =
                SCENARIOS.iter().map(|s| simulate(&plan, &wanted, &serving_at, seed, s)).collect();
            let show = args.detail || seed == args.first_seed;
            for (phase_name, pick) in [("apply", 0usize), ("destroy", 1)] {
                let phase_of = |i: usize| if pick == 0 { &results[i].0 } else { &results[i].1 };
                let ours = phase_of(OURS);
                if show {
                    println!(
                        "\nseed {seed}, {phase_name}:\n  {:<28} {:>10} {:>10} {:>11} {:>6} {:>8} {:>8} {:>8} {:>6} {:>7}",
                        "engine", "serving", "makespan", "lower bound", "ratio", "lag p50", "lag p90", "lag max",
                        "calls", "vs ours"
                    );
                    for (i, scenario) in SCENARIOS.iter().enumerate() {
                        print_phase_row(scenario.name, phase_of(i), Some(ours).filter(|_| i != OURS));
                    }
                    for (name, i) in [("clusterup", OURS), ("Terraform-like", TERRAFORM)] {
                        let calls = &phase_of(i).observed.calls;
                        let services: Vec<String> = calls.iter().map(|(f, n)| format!("{f} {n}")).collect();
                        println!("  calls per service ({name}): {}", services.join(", "));
                    }
                }
                if args.detail {
                    println!("  lower bound (clusterup): {}", ours.chain);
                    println!("  lower bound (Terraform-like): {}", phase_of(TERRAFORM).chain);
                    for wait in &ours.observed.waits {
                        println!("    {:<32} {:?} seen {} after ready", wait.address.as_str(), wait.op, mmss(wait.lag));
                    }
                }
                let terraform = phase_of(TERRAFORM);
                let vs_terraform = ours.makespan.as_secs_f64() / terraform.makespan.as_secs_f64();
                let speedup = phase_of(SEQUENTIAL).makespan.as_secs_f64() / ours.makespan.as_secs_f64();
                let tally = tallies.entry(phase_name).or_default();
                tally.ratio = tally.ratio.max(ours.ratio());
                tally.lags.extend(&ours.lags);
                if ours.lags.len() >= WAITS_FOR_A_MEDIAN {
                    tally.run_median_lag = Some(tally.run_median_lag.unwrap_or_default().max(ours.lag(0.5)));
                }
                tally.max_lag = tally.max_lag.max(ours.lag(1.0));
                tally.speedup = Some(tally.speedup.map_or(speedup, |s| s.min(speedup)));
                tally.makespans.0 += ours.makespan;
                tally.makespans.1 += terraform.makespan;
                let calls_vs_terraform = ours.calls() as f64 / (terraform.calls() as f64).max(f64::EPSILON);
                tally.calls.0 += ours.calls();
                tally.calls.1 += terraform.calls();
                tally.most_calls = tally.most_calls.max(ours.calls());
                tally.calls_vs_terraform =
                    Some(tally.calls_vs_terraform.map_or((calls_vs_terraform, calls_vs_terraform), |(low, high)| {
                        (low.min(calls_vs_terraform), high.max(calls_vs_terraform))
                    }));
                tally.vs_terraform = if tally.makespans.0 == ours.makespan {
                    (vs_terraform, vs_terraform)
                } else {
                    (tally.vs_terraform.0.min(vs_terraform), tally.vs_terraform.1.max(vs_terraform))
                };
                if let (Some(ours_serving), Some(tf_serving)) = (ours.serving, terraform.serving) {
                    tally.serving = tally.serving.max(ours_serving);
                    tally.serving_vs_terraform =
                        tally.serving_vs_terraform.max(ours_serving.as_secs_f64() / tf_serving.as_secs_f64());
                }
                let at = format!("{} seed {seed} {phase_name}", example.file);
                if !ours.succeeded || !terraform.succeeded {
                    failures.push(format!("{at}: an engine did not finish"));
                }
                if pick == 0 && ours.serving.is_none() {
                    failures.push(format!("{at}: no serving moment (the listeners and the group did not finish)"));
                }
                if example.calls_within_terraform && ours.calls() > terraform.calls() {
                    failures.push(format!(
                        "{at}: {} API calls, more than the Terraform-like walk's {}",
                        ours.calls(),
                        terraform.calls()
                    ));
                }
                if ours.ratio() > RATIO_TARGET {
                    failures.push(format!("{at}: makespan/lower bound {:.3} > {RATIO_TARGET}", ours.ratio()));
                }
                let median_counts = ours.lags.len() >= WAITS_FOR_A_MEDIAN;
                if (median_counts && ours.lag(0.5) > MEDIAN_LAG_TARGET) || ours.lag(1.0) > MAX_LAG_TARGET {
                    failures.push(format!(
                        "{at}: readiness lag median {} max {} (targets {} and {})",
                        mmss(ours.lag(0.5)),
                        mmss(ours.lag(1.0)),
                        mmss(MEDIAN_LAG_TARGET),
                        mmss(MAX_LAG_TARGET)
                    ));
                }
            }
        }
        println!("\n{} over {} seeds:", example.file, args.runs);
        for (phase_name, tally) in &tallies {
            let target =
                example.against_terraform.map(|(apply, destroy)| if *phase_name == "apply" { apply } else { destroy });
            let line = format!(
                "  {phase_name:<8} worst ratio {:.3} (target <= {RATIO_TARGET}), lag median {} (<= {}{}), lag max {} (<= {}), one-at-a-time >= {:.2}x slower, vs Terraform-like {:.3}x in all{} (per seed {:.3}..{:.3}){}",
                tally.ratio,
                mmss(tally.median_lag()),
                mmss(MEDIAN_LAG_TARGET),
                tally.run_median_lag.map(|m| format!("; worst run {}", mmss(m))).unwrap_or_default(),
                mmss(tally.max_lag),
                mmss(MAX_LAG_TARGET),
                tally.speedup.unwrap_or_default(),
                tally.total_vs_terraform(),
                target.map(|t| format!(" (target <= {t})")).unwrap_or_default(),
                tally.vs_terraform.0,
                tally.vs_terraform.1,
                if *phase_name == "apply" {
                    format!(", serving by {} (<= {:.3}x Terraform-like's)", mmss(tally.serving), tally.serving_vs_terraform)
                } else {
                    String::new()
                },
            );
            let line = format!(
                "{line}; {}{}",
                tally.calls_line(),
                if example.calls_within_terraform { " (target <= 1 every seed)" } else { "" }
            );
            println!("{line}");
            summary.push(format!("{}: {}", example.file, line.trim_start()));
            if tally.median_lag() > MEDIAN_LAG_TARGET {
                failures.push(format!(
                    "{} {phase_name}: readiness lag median {} over all seeds (target {})",
                    example.file,
                    mmss(tally.median_lag()),
                    mmss(MEDIAN_LAG_TARGET)
                ));
            }
            if let Some(target) = target.filter(|&t| tally.total_vs_terraform() > t) {
                failures.push(format!(
                    "{} {phase_name}: {:.3}x the Terraform-like walk's makespan over the seeds (target <= {target})",
                    example.file,
                    tally.total_vs_terraform()
                ));
            }
        }
    }
    println!("\nsummary:");
    for line in &summary {
        println!("  {line}");
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
