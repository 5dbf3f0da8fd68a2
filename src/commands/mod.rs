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
mod output;
mod plan;
mod refusals;
mod rollout;
mod shell;
mod spark;
mod status;
mod validate;

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use anyhow::{bail, Context, Result};

use crate::aws::{check_credentials, connect, ConnectOptions};
use crate::cli::{AwsArgs, Cli, Command, PlanArgs, SparkCommand};
use crate::compose;
use crate::engine::StopSignal;
use crate::output::Printer;
use crate::plan::{diff, Plan};
use crate::resources::{discover_all, facts, Ctx};
use crate::rollout::State;
use crate::topology::{self, Topology};

use data_guard::guard_data;

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

/// Run `work` holding the deployment's lock, and give the lock back however `work` ends (a killed
/// process leaves it; see [`crate::lock`] for how it is then taken over).
pub(crate) async fn locked<F, Fut>(
    ctx: &Ctx,
    command: &str,
    force: bool,
    printer: &Printer,
    work: F,
) -> Result<ExitStatus>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<ExitStatus>>,
{
    let lock = crate::lock::Lock::acquire(&ctx.aws, &ctx.deployment, command, force).await?;
    if let Some(taken) = &lock.taken_over {
        printer.warn(&format!("warning: {}", taken.note()));
    }
    let result = work().await;
    let released = lock.release().await;
    let status = result?;
    released?;
    Ok(status)
}

pub async fn run(cli: Cli, printer: &Printer) -> Result<ExitStatus> {
    match cli.command {
        Command::Init { name, database, storage, spark, region, out, force } => {
            let sections = init::Sections { database, storage, spark };
            init::run(&name, &region, sections, out.as_deref(), force, printer)
        }
        Command::Validate { file } => validate::run(&file, printer),
        Command::Plan { file, out, json, detailed_exitcode, compact, pricing_api, options, aws } => {
            let view = plan::View { json, compact, pricing_api, detailed_exitcode };
            plan::run(&aws, options, &file, out.as_deref(), view, printer).await
        }
        Command::Apply { file, yes, compact, force_unlock, options, aws, run } => {
            apply::run(&aws, options, &run, &file, Confirm { yes, compact, force_unlock }, printer).await
        }
        Command::Rollout { file, yes, force_unlock, rollout, aws } => {
            rollout::run(&aws, rollout, &file, Confirm { yes, compact: false, force_unlock }, printer).await
        }
        Command::Destroy { file, name, yes, compact, force_unlock, aws, run } => {
            let how = Confirm { yes, compact, force_unlock };
            destroy::run(&aws, &run, file.as_deref(), name.as_deref(), how, printer).await
        }
        Command::Output { name, json, aws } => output::run(&aws, &name, json, printer).await,
        Command::Status { target, json, watch, interval, count, cost, pricing_api, aws } => {
            let options = status::Options {
                json,
                watch,
                interval: std::time::Duration::from_secs(interval),
                count,
                cost,
                pricing_api,
            };
            status::run(&aws, &target, &options, printer).await
        }
        Command::Exec { target, node, group, command, aws } => {
            let select = match &node {
                Some(node) => crate::nodes::Select::Node(node),
                None => crate::nodes::Select::Group(&group),
            };
            exec::run(&aws, &target, select, &command, printer).await
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
            spark::submit(&aws, &submit, printer).await
        }
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
    let state = State::read(&actuals);
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

/// Ask y/N on the terminal. Without a terminal there is nobody to ask: refuse, and say how to proceed.
fn confirm(printer: &Printer, question: &str, verb: &str) -> Result<bool> {
    if !std::io::stdin().is_terminal() {
        bail!("refusing to {verb} without confirmation: standard input is not a terminal. Re-run with --yes to {verb} non-interactively");
    }
    let style = printer.err_style();
    eprint_prompt(&format!("{} [y/N] ", style.bold(question)))?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).context("reading the answer")?;
    Ok(matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes"))
}

#[allow(clippy::print_stderr)]
fn eprint_prompt(text: &str) -> Result<()> {
    eprint!("{text}");
    std::io::stderr().flush().context("writing the prompt")
}

/// First Ctrl-C: stop starting new actions. Second: leave at once.
fn stop_on_ctrl_c() -> StopSignal {
    let stop = StopSignal::default();
    let signal = stop.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            signal.stop();
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(130);
            }
        }
    });
    stop
}
