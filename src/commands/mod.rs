//! One module per command. Each takes its arguments and the printer and returns an exit status; the
//! shared steps (load a topology, connect, plan, confirm, handle Ctrl-C) live here.

mod apply;
mod data_guard;
mod destroy;
mod docs;
mod exec;
mod graph;
mod iam_policy;
mod init;
mod interrupt;
mod logs;
mod output;
mod plan;
mod refusals;
mod rollout;
mod shell;
mod snapshots;
mod spark;
mod status;
mod target;
mod unlock;
mod validate;

use std::io::{BufRead, IsTerminal};
use std::path::Path;

use anyhow::{bail, Context, Result};

use crate::aws::{check_credentials, check_profile, connect, ConnectOptions};
use crate::cli::{AwsArgs, Cli, Command, PlanArgs, SparkCommand};
use crate::compose;
use crate::engine::StopSignal;
use crate::output::Printer;
use crate::plan::{diff, Plan};
use crate::resources::{discover_all, facts, Ctx};
use crate::rollout::State;
use crate::topology::{self, Topology};

use data_guard::guard_data;
use interrupt::{until_stopped, Interrupt};

/// How the process ends. Documented in docs/reliability.md and README.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Done; for `plan --detailed-exitcode`: no changes.
    Success,
    /// Something failed; the message says what and what to do.
    Failure,
    /// `plan --detailed-exitcode` found changes.
    Changes,
    /// `status`: a tier is degraded or down (the verdict line says which and why).
    Unhealthy,
    /// `exec`: the command failed on a node (non-zero exit, timed out or cancelled).
    NodeCommandFailed,
    /// Stopped by Ctrl-C after finishing the actions in flight.
    Interrupted,
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::Changes => 2,
            ExitStatus::Unhealthy => 3,
            ExitStatus::NodeCommandFailed => 4,
            ExitStatus::Interrupted => 130,
        }
    }
}

/// How apply and destroy show their plan and get the go-ahead.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Confirm {
    /// `--yes`: do not ask.
    pub yes: bool,
    /// `--compact`: the plan as one line per resource.
    pub compact: bool,
    /// `--force-unlock`: take the lock whatever its state.
    pub force_unlock: bool,
}

/// How long giving the lock back may take once the run was stopped. With the actions' grace period
/// (300 ms) that is 600 ms in the process, which leaves the rest of the second Ctrl-C promises to exiting
/// on a busy machine: at 450 ms the terminal test saw a stopped destroy end 1.2 s after Ctrl-C. One
/// DeleteParameter takes well under 300 ms; a lock not given back in time stays, and is taken over (see
/// [`crate::lock`]).
const RELEASE_WITHIN: std::time::Duration = std::time::Duration::from_millis(300);

/// How a long-running command that uses the deployment's lock was asked to run.
pub(crate) struct Locked<'a> {
    pub ctx: &'a Ctx,
    /// The command, as the lock names it.
    pub command: &'a str,
    /// `--force-unlock`.
    pub force: bool,
    /// Ctrl-C (or a closed output).
    pub stop: &'a StopSignal,
    /// The command line that resumes the run.
    pub resume: &'a str,
}

/// Run `work` holding the deployment's lock, and give the lock back however `work` ends (a killed
/// process leaves it; see [`crate::lock`] for how it is then taken over). A stop while the lock is
/// being taken ends the run before anything changed.
pub(crate) async fn locked<F, Fut>(run: Locked<'_>, printer: &Printer, work: F) -> Result<ExitStatus>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<ExitStatus>>,
{
    let Locked { ctx, command, force, stop, resume } = run;
    let acquire = async { Ok(crate::lock::Lock::acquire(&ctx.aws, &ctx.deployment, command, force).await?) };
    let Some(lock) = until_stopped(stop, acquire).await? else {
        return Ok(interrupted_before_changes(printer, resume));
    };
    if let Some(taken) = &lock.taken_over {
        printer.warn(&taken.note());
    }
    let result = work().await;
    let id = lock.id().to_owned();
    let release = lock.release();
    let released = tokio::select! {
        released = release => released,
        () = async { stop.stopped().await; tokio::time::sleep(RELEASE_WITHIN).await } => {
            printer.warn(&format!(
                "the lock of deployment {} was left in place (AWS did not answer in time): the next run on this host takes it over at once; from elsewhere release it with `clusterup force-unlock {} {id}`",
                ctx.deployment, ctx.deployment
            ));
            Ok(())
        }
    };
    let status = result?;
    released?;
    Ok(status)
}

/// Ctrl-C before the run changed anything: say so, and how to run it again.
fn interrupted_before_changes(printer: &Printer, resume: &str) -> ExitStatus {
    printer.status(&format!("\nInterrupted before anything was changed; run `{resume}` again to continue."));
    ExitStatus::Interrupted
}

pub async fn run(cli: Cli, printer: &Printer) -> Result<ExitStatus> {
    // First, so that no Ctrl-C is lost, whatever the command does when it comes.
    let interrupt = Interrupt::install(printer.stop_signal());
    let interrupt = &interrupt;
    match cli.command {
        Command::Init { name, database, storage, spark, groups, region, out, force } => {
            let sections = init::Sections { database, storage, spark, groups };
            init::run(&name, &region, sections, out.as_deref(), force, printer)
        }
        Command::Validate { file } => validate::run(&file, printer),
        Command::Plan { file, out, json, detailed_exitcode, compact, pricing_api, options, aws } => {
            let view = plan::View { json, compact, pricing_api, detailed_exitcode };
            plan::run(&aws, options, &file, out.as_deref(), view, printer).await
        }
        Command::Apply { file, yes, compact, force_unlock, options, aws, run } => {
            let stop = interrupt.graceful();
            apply::run(&aws, options, &run, &file, Confirm { yes, compact, force_unlock }, &stop, printer).await
        }
        Command::Rollout { file, yes, force_unlock, rollout, aws } => {
            let stop = interrupt.graceful();
            rollout::run(&aws, rollout, &file, Confirm { yes, compact: false, force_unlock }, &stop, printer).await
        }
        Command::Destroy { target, name, yes, compact, force_unlock, aws, run } => {
            let how = Confirm { yes, compact, force_unlock };
            let Some(target) = target.or(name) else { bail!("name the deployment: clusterup destroy NAME|FILE") };
            destroy::run(&aws, &run, &target, how, &interrupt.graceful(), printer).await
        }
        Command::Output { target, json, aws } => output::run(&aws, &target, json, printer).await,
        Command::ForceUnlock { target, lock_id, aws } => unlock::run(&aws, &target, &lock_id, printer).await,
        Command::Snapshots { target, json, aws } => snapshots::run(&aws, &target, json, printer).await,
        Command::Status { target, json, watch, interval, count, cost, pricing_api, aws } => {
            let options = status::Options {
                json,
                watch,
                interval: std::time::Duration::from_secs(interval),
                count,
                cost,
                pricing_api,
            };
            // Only a watch runs for long; a single read ends at once at Ctrl-C, as any short command.
            let stop = if watch { interrupt.graceful() } else { StopSignal::default() };
            status::run(&aws, &target, &options, &stop, printer).await
        }
        Command::Exec { target, node, group, command, aws } => {
            let select = match &node {
                Some(node) => crate::nodes::Select::Node(node),
                None => crate::nodes::Select::Group(&group),
            };
            exec::run(&aws, &target, select, &command, &interrupt.graceful(), printer).await
        }
        Command::Logs { target, group, since, follow, filter, aws } => {
            let read = logs::Read { group: group.as_deref(), since, filter: filter.as_deref() };
            // Only a follow runs for long; a single read ends at once at Ctrl-C, as any short command.
            let stop = if follow { interrupt.graceful() } else { StopSignal::default() };
            logs::run(&aws, &target, &read, follow, &stop, printer).await
        }
        Command::Shell { target, node, aws } => shell::run(&aws, &target, node.as_deref(), printer).await,
        Command::Spark(SparkCommand::Submit { target, job, args, class, name, no_wait, timeout, aws }) => {
            let submit = spark::Submit {
                target: &target,
                job: &job,
                args: &args,
                class: class.as_deref(),
                name: name.as_deref(),
                no_wait,
                timeout,
            };
            spark::submit(&aws, &submit, &interrupt.graceful(), printer).await
        }
        Command::Spark(SparkCommand::Logs { target, step, aws }) => spark::logs(&aws, &target, &step, printer).await,
        Command::Spark(SparkCommand::Jobs { target, limit, json, aws }) => {
            spark::jobs(&aws, &target, limit, json, printer).await
        }
        Command::Graph { file, format } => graph::run(&file, format, printer),
        Command::IamPolicy { file, account, partition, aws } => {
            iam_policy::run(&aws, &file, account, partition, printer).await
        }
        Command::Schema => {
            printer.out(&format!("{:#}\n", topology::json_schema()));
            Ok(ExitStatus::Success)
        }
        Command::Completions { shell } => docs::completions(shell, printer),
        Command::Man { command } => docs::man(command.as_deref(), printer),
    }
}

/// A file named on the command line, whole; unreadable, it fails as `topology::load` does, so every
/// command words a missing file the same way.
fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|cause| topology::TopologyError::Read { path: path.to_owned(), cause }.into())
}

/// Load and check a topology, showing its warnings.
fn load_topology(path: &Path, printer: &Printer) -> Result<Topology> {
    let checked = topology::load(path)?;
    for warning in &checked.warnings {
        printer.warn(&warning.to_string());
    }
    // Every template must render before anything talks to AWS.
    compose::desired(&checked.topology, &compose::offline_facts(&checked.topology))?;
    Ok(checked.topology)
}

/// The AWS context for a deployment in a region, with credentials checked (once, before anything else
/// is asked, so that a credential problem is reported as one, not as the first resource's failure);
/// `delete_data` is `--delete-data` (apply, destroy).
async fn context(
    g: &AwsArgs,
    delete_data: bool,
    deployment: &str,
    region: String,
    topology: Option<&Topology>,
) -> Result<Ctx> {
    // A profile that does not exist is refused, as the AWS CLI refuses it, before the SDK falls back to
    // whatever other credentials it finds.
    let profile = g.profile.clone().or_else(|| std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty()));
    if let Some(profile) = &profile {
        check_profile(profile).await?;
    }
    let aws =
        connect(&ConnectOptions { region, profile: g.profile.clone(), endpoint_url: g.endpoint_url.clone() }).await;
    let identity = check_credentials(&aws, g.profile.as_deref()).await?;
    tracing::info!("AWS credentials of {} (account {})", identity.arn, identity.account);
    Ok(Ctx {
        aws,
        deployment: deployment.to_owned(),
        data: crate::resources::DataPolicy {
            // Without the topology (destroy --name) the safe default holds: take the snapshot.
            db_final_snapshot: topology
                .and_then(|t| t.database.as_ref())
                .is_none_or(|db| db.deletion != crate::topology::DeletionPolicy::Delete),
            delete_data,
        },
    })
}

/// `ctx` for a command that needs no more of a resource than finding it (destroy, `status`, `output`,
/// `spark`): a read that only describes a resource may fail, and is then left out and told as a
/// warning ([`warn_skipped_reads`]), instead of failing the command (`aws::Reads`).
fn lenient(mut ctx: Ctx) -> Ctx {
    ctx.aws.reads = crate::aws::Reads::lenient();
    ctx
}

/// One warning for each descriptive read that failed and was left out since the last call.
fn warn_skipped_reads(ctx: &Ctx, printer: &Printer, command: &str) {
    for err in ctx.aws.reads.skipped() {
        printer.warn(&format!(
            "{}: {} failed ({}); {command} does not need it, so it is left out",
            err.resource,
            err.call,
            err.code_and_message()
        ));
    }
}

/// The context for a topology; `--region`, if given, must agree with the topology.
async fn context_for(g: &AwsArgs, delete_data: bool, topology: &Topology) -> Result<Ctx> {
    if let Some(region) = &g.region {
        if region != &topology.region {
            bail!(
                "--region {region} does not match the topology's region {}; drop --region or change the topology",
                topology.region
            );
        }
    }
    context(g, delete_data, &topology.name, topology.region.clone(), Some(topology)).await
}

/// The region for commands without a topology: `--region`, else the standard AWS chain.
async fn resolve_region(g: &AwsArgs) -> Result<String> {
    if let Some(region) = &g.region {
        return Ok(region.clone());
    }
    let mut chain = aws_config::profile::ProfileFileRegionProvider::builder();
    if let Some(profile) = &g.profile {
        chain = chain.profile_name(profile);
    }
    let provider = aws_config::meta::region::RegionProviderChain::first_try(
        aws_config::environment::EnvironmentVariableRegionProvider::new(),
    )
    .or_else(chain.build());
    match provider.region().await {
        Some(region) => Ok(region.to_string()),
        None => bail!("no AWS region: pass --region, or set AWS_REGION, or a region in your AWS profile"),
    }
}

/// Discover, read facts, diff: the plan for the topology at `path`, and where a canary rollout stands.
/// While one is in progress, the plan holds what it holds (`rollout::hold`), with notes that name `path`.
async fn make_plan(ctx: &Ctx, topology: &Topology, path: &Path, options: PlanArgs) -> Result<(Plan, State)> {
    let actuals = discover_all(ctx).await?;
    let facts = facts::gather(&ctx.aws, topology, &actuals).await?;
    let mut wanted = compose::desired(topology, &facts)?;
    if options.set_desired {
        compose::set_desired(&mut wanted);
    }
    // Read against what the topology composes, so that the step it shows is exact where AWS's weight
    // cap rounded the weights (`rollout::route::fit`).
    let state = State::read(&actuals).with_composed(&wanted);
    let mut plan = diff(&topology.name, &topology.region, &wanted, actuals);
    crate::rollout::hold(&mut plan, &state, &path.display().to_string());
    // What AWS would refuse stops here, at its place in the file, before anything runs.
    if let Some(refused) = refusals::refused(&plan, topology) {
        bail!("{refused}");
    }
    Ok((plan, state))
}

/// The plan on stdout, in full or (`--compact`) one line per resource; with `--quiet`, its summary line.
fn show_plan(plan: &Plan, compact: bool, printer: &Printer) {
    let style = printer.out_style();
    printer.out(&if printer.quiet {
        crate::output::render_plan_summary(plan)
    } else if compact {
        crate::output::render_plan_compact(plan, style)
    } else {
        crate::output::render_plan(plan, style)
    });
}

/// Ask y/N on the terminal; `None` when Ctrl-C came instead of an answer. Without a terminal there is
/// nobody to ask: refuse, and say how to proceed.
async fn confirm(printer: &Printer, stop: &StopSignal, question: &str, verb: &str) -> Result<Option<bool>> {
    if !std::io::stdin().is_terminal() {
        bail!("refusing to {verb} without confirmation: standard input is not a terminal. Re-run with --yes to {verb} non-interactively");
    }
    let style = printer.err_style();
    let answer = ask(printer, stop, &format!("{} [y/N] ", style.bold(question))).await?;
    Ok(answer.map(|a| matches!(a.trim().to_ascii_lowercase().as_str(), "y" | "yes")))
}

/// `prompt` on stderr and the line typed after it; `None` when Ctrl-C came first. The line is read on a
/// thread of its own, so a stop never waits for Enter (the thread is left to the process's end).
async fn ask(printer: &Printer, stop: &StopSignal, prompt: &str) -> Result<Option<String>> {
    printer.prompt(prompt);
    let read = tokio::task::spawn_blocking(|| {
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer).map(|_| answer)
    });
    tokio::select! {
        biased;
        () = stop.stopped() => {
            printer.prompt("\n");
            Ok(None)
        }
        answer = read => Ok(Some(answer.context("reading the answer")?.context("reading the answer")?)),
    }
}
