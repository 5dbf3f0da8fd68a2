//! `clusterup rollout FILE --canary 10,50,100`: a new launch template version through a weighted canary
//! (see `crate::rollout`), or `--rollback` of the one in progress. This file decides what to do from the
//! plan and the rollout's state, asks, and prints; the rollout itself is the library's.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Result};

use super::apply::finish;
use super::{
    confirm, context_for, interrupted_before_changes, load_topology, locked, make_plan, show_plan, until_stopped,
    Confirm, ExitStatus, Locked,
};
use crate::cli::{AwsArgs, PlanArgs, RolloutArgs};
use crate::compose;
use crate::engine::{execute, StopSignal, GRACE};
use crate::model::names::app;
use crate::model::{Kind, Value};
use crate::output::{Printer, ProgressView};
use crate::plan::{Action, Change, Plan};
use crate::resources::autoscaling::group;
use crate::resources::{discover_all, Ctx};
use crate::rollout::{self, template_version, Event, Hook, Input, Options, Outcome, Phase, State, Steps};
use crate::topology::{Route, Stickiness, Topology};

pub async fn run(
    g: &AwsArgs,
    args: RolloutArgs,
    file: &Path,
    how: Confirm,
    stop: &StopSignal,
    printer: &Printer,
) -> Result<ExitStatus> {
    let topology = load_topology(file, printer)?;
    let shown = file.display().to_string();
    let resume = match &args.canary {
        Some(steps) => format!("clusterup rollout {shown} --canary {}", steps_arg(steps)),
        None => format!("clusterup rollout {shown} --rollback"),
    };
    let Some(ctx) = until_stopped(stop, context_for(g, false, &topology)).await? else {
        return Ok(interrupted_before_changes(printer, &resume));
    };
    let lock = Locked { ctx: &ctx, command: "rollout", force: how.force_unlock, stop, resume: &resume };
    locked(lock, printer, || async {
        let Some((plan, state)) = until_stopped(stop, make_plan(&ctx, &topology, file, PlanArgs::default())).await?
        else {
            return Ok(interrupted_before_changes(printer, &resume));
        };
        // The rollout in progress is of the group its canary belongs to; a new one is of the group asked for.
        let state = if state.in_progress() {
            if let Some(asked) = args.group.as_deref().filter(|asked| *asked != state.group) {
                bail!(
                    "a rollout of group {} is in progress ({}), and a deployment runs one at a time: finish it with `clusterup rollout {shown} --group {} --canary STEPS` or undo it with `--rollback`, then roll out group {asked}",
                    state.group,
                    state.summary(),
                    state.group
                );
            }
            state
        } else {
            // Undoing with nothing in progress puts back at most a launch template's default version (a
            // rollout stopped before its canary): of the group asked for, or the one a rollout would pick.
            let group = match (args.rollback, args.group.as_deref()) {
                (true, Some(asked)) => asked.to_owned(),
                (true, None) => rolled_group(&topology, None)
                    .unwrap_or_else(|_| stray_template(&plan.actuals(), &topology).unwrap_or_else(|| state.group.clone())),
                (false, asked) => rolled_group(&topology, asked)?,
            };
            if group == state.group {
                state
            } else {
                State::read_group(&plan.actuals(), &group)
            }
        };
        // What the topology composes for the group's routes: what the rollout's end or undo puts back.
        let composed: Vec<_> = plan.changes.iter().filter_map(|c| c.desired.clone()).collect();
        let state = state.with_composed(&composed);
        let hook = Lines::new(printer.clone());
        if args.rollback {
            let undone = until_grace(stop, undo(&ctx, &state, &hook, printer, &shown)).await;
            return match undone {
                Some(undone) => undone,
                None => {
                    printer.status(&format!(
                        "\nInterrupted while going back; run `{resume}` again to finish going back."
                    ));
                    Ok(ExitStatus::Interrupted)
                }
            };
        }
        let Some(steps) = args.canary.clone() else {
            bail!("give the steps with --canary (e.g. --canary 10,50,100), or --rollback to undo a rollout");
        };
        let options = Options {
            steps,
            step_time: args.step_time,
            max_5xx_percent: args.max_5xx_percent,
            metrics_delay: args.metrics_delay,
            sticky: topology.load_balancer.stickiness.as_ref().map(|s| match s {
                Stickiness::LbCookie { duration } | Stickiness::AppCookie { duration, .. } => *duration,
            }),
        };
        let started = Instant::now();
        let (state, actuals, version) = match state.phase() {
            Phase::Idle => {
                let version = match start(&ctx, &topology, &plan, &state, &options, how, printer, stop, &shown).await? {
                    Started::Version(version) => version,
                    Started::Nothing => return Ok(ExitStatus::Success),
                    Started::Cancelled => return Ok(ExitStatus::Failure),
                    Started::Interrupted => return Ok(ExitStatus::Interrupted),
                };
                // What the launch template change made, read back from AWS.
                let Some(actuals) = until_stopped(stop, async { Ok(discover_all(&ctx).await?) }).await? else {
                    return Ok(interrupted(printer, &resume));
                };
                let state = State::read_group(&actuals, &state.group).with_composed(&composed);
                if state.default_version().as_deref() != Some(version.as_str()) {
                    bail!(
                        "the launch template's default version is {:?} after the change, expected {version}; run the rollout again",
                        state.default_version()
                    );
                }
                (state, actuals, version)
            }
            _ => {
                let version = resumable(&plan, &state, &shown)?;
                printer.status(&format!("Resuming the rollout of launch template v{version}: {}.", state.summary()));
                (state, plan.actuals(), version)
            }
        };
        let capacity = [&state.canary_group, &state.app_group]
            .into_iter()
            .flatten()
            .find_map(|g| g.props.get(group::DESIRED.name).and_then(Value::as_int))
            .unwrap_or(0);
        let Some(canary) = compose::canary(&topology, &composed, &state.group, &version, capacity) else {
            bail!(
                "the topology has no group {} behind the load balancer to roll out: put the group back in the topology, or undo the rollout with `clusterup rollout {shown} --rollback`",
                state.group
            );
        };
        let input = Input { canary: &canary, known: &actuals, state: &state };
        // The rollout stops by itself at its next safe point (between two reads of the canary, before a
        // step); one that is in the middle of a call or a wait past the grace period is left there, as a
        // kill would leave it: the next run picks up where AWS says it stood.
        let Some(outcome) = until_grace(stop, rollout::forward(&ctx, input, &options, &hook, stop, &shown)).await
        else {
            return Ok(interrupted(printer, &resume));
        };
        report(&outcome?, &state, &options.steps, started.elapsed(), printer, &shown)
    })
    .await
}

/// `work`, unless a stop comes and `work` has not ended `GRACE` later (`None`: it is dropped there).
async fn until_grace<T>(stop: &StopSignal, work: impl std::future::Future<Output = T>) -> Option<T> {
    tokio::select! {
        done = work => Some(done),
        () = async { stop.stopped().await; tokio::time::sleep(GRACE).await } => None,
    }
}

/// A rollout interrupted where it could not stop at a safe point.
fn interrupted(printer: &Printer, resume: &str) -> ExitStatus {
    printer.status(&format!(
        "\nInterrupted: the rollout stays where it stood (`clusterup status` shows the canary's share). Run `{resume}` again to resume it, or the same with --rollback instead of --canary to undo it."
    ));
    ExitStatus::Interrupted
}

/// How the start of a new rollout went.
enum Started {
    /// The launch template has this new version, which the app group does not run.
    Version(String),
    /// The nodes run what the topology asks for.
    Nothing,
    /// The operator said no.
    Cancelled,
    /// Ctrl-C, before anything changed or while the new version was being made (said already).
    Interrupted,
}

/// The group a canary rollout runs on: `asked` (`--group`), or else the one group that takes the load
/// balancer's default route (several share it: `--group` must say which). The group must get requests
/// from the load balancer (its default route, alone or shared by weight, or its paths and hosts: the
/// canary's weighted forward splits the group's share of that route) and not be a singleton (its canary
/// would be a second node). Other groups' nodes move to a new version with `apply`, by a rolling
/// instance refresh.
/// The one group whose launch template's default version is not the version its nodes run (a rollout
/// stopped after making the version, before its canary), when no single group is the one a rollout would
/// pick (several share the default route); none when no group, or more than one, is so.
fn stray_template(actuals: &[crate::model::Actual], topology: &Topology) -> Option<String> {
    let stray: Vec<&str> = topology
        .groups
        .iter()
        .map(|g| g.name.as_str())
        .filter(|g| {
            let state = State::read_group(actuals, g);
            state.launch_template.is_some() && state.default_version() != state.app_version()
        })
        .collect();
    match stray.as_slice() {
        [one] => Some((*one).to_owned()),
        _ => None,
    }
}

fn rolled_group(topology: &Topology, asked: Option<&str>) -> Result<String> {
    const BY_APPLY: &str = "`clusterup apply` replaces its nodes instead, by a rolling instance refresh that keeps min_healthy_percent of them in service";
    let default_route: Vec<&str> = topology.default_route().iter().map(|(g, _)| g.name.as_str()).collect();
    let asked = match (asked, default_route.as_slice()) {
        (Some(asked), _) => asked,
        (None, [one]) => one,
        (None, []) => bail!("no group of {} takes the load balancer's default route; name the group to roll out with --group", topology.name),
        (None, many) => bail!(
            "groups {} share the load balancer's default route by weight; name the one to roll out with --group (e.g. --group {}): its canary takes a share of that group's share, and the others keep theirs",
            many.join(", "),
            many[0]
        ),
    };
    let names: Vec<&str> = topology.groups.iter().map(|g| g.name.as_str()).collect();
    let Some(chosen) = topology.group(asked) else {
        bail!("there is no group `{asked}` in {}; its groups are {}", topology.name, names.join(", "));
    };
    let why_not = match &chosen.route {
        _ if chosen.nodes.singleton => {
            Some("it is a singleton, and its canary would run a second node beside the one it may have".to_owned())
        }
        Route::None => Some("it is not behind the load balancer, so no traffic can be shifted to a canary".to_owned()),
        // The canary is one more target group in the route's forward.
        Route::Default if default_route.len() >= crate::rollout::route::MAX_TARGET_GROUPS => Some(format!(
            "{} groups share the default route, and with a canary its forward would name {} target groups, where AWS allows {}",
            default_route.len(),
            default_route.len() + 1,
            crate::rollout::route::MAX_TARGET_GROUPS
        )),
        Route::Default | Route::Rules { .. } => None,
    };
    if let Some(why) = why_not {
        bail!("group `{asked}` cannot have a canary rollout: {why}; {BY_APPLY}");
    }
    Ok(asked.to_owned())
}

/// A new rollout: what the plan changes must be a new launch template version and nothing else. Shows
/// it, asks, and makes the new version (not the app group's replacement).
#[allow(clippy::too_many_arguments)]
async fn start(
    ctx: &Ctx,
    topology: &Topology,
    plan: &Plan,
    state: &State,
    options: &Options,
    how: Confirm,
    printer: &Printer,
    stop: &StopSignal,
    shown: &str,
) -> Result<Started> {
    let label = state.group_label();
    let Some(app_group) = &state.app_group else {
        bail!("deployment {} has no {label} yet: build it with `clusterup apply` first", topology.name);
    };
    let (group_address, template_address) = (app::auto_scaling_group(&state.group), app::launch_template(&state.group));
    let is_version_change = |c: &Change| {
        c.address.as_str() == group_address && c.changes.iter().all(|p| p.key == group::LAUNCH_TEMPLATE_VERSION.name)
    };
    let others: Vec<String> = plan
        .changes
        .iter()
        .filter(|c| c.action != Action::NoOp && c.address.as_str() != template_address && !is_version_change(c))
        .map(|c| format!("{} {}", c.action.symbol().trim(), c.address))
        .collect();
    if !others.is_empty() {
        bail!(
            "a rollout changes only what the nodes boot from (a new launch template version), and this topology also changes: {}. \
             Apply those first on their own (`clusterup apply` with the nodes' instance type, image and user data as they run now), then roll out",
            others.join(", ")
        );
    }
    let template_change =
        plan.changes.iter().find(|c| c.address.as_str() == template_address && c.action != Action::NoOp);
    let version_change = plan.changes.iter().find(|c| is_version_change(c) && c.action == Action::Update);
    let running = template_version(state.app_version());
    let Some(version_change) = version_change else {
        if template_change.is_some() {
            bail!("the launch template change makes no new version (nothing the nodes boot from changes): apply it with `clusterup apply`");
        }
        printer.status(&format!(
            "Nothing to roll out: the {} nodes run {running}, which matches the topology.",
            state.group
        ));
        return Ok(Started::Nothing);
    };
    let version = match version_change.changes.iter().find_map(|p| p.after.clone()) {
        Some(Value::Str(version)) if version.parse::<u64>().is_ok() => version,
        other => bail!("cannot tell which launch template version the change makes (the plan says {other:?}); run `clusterup plan` and check the launch template"),
    };

    // Show what will happen, and ask.
    if let Some(change) = template_change {
        show_plan(&only(plan, change), how.compact, printer);
    }
    printer.out(&format!(
        "\nRollout of launch template v{version} (the {label} {} runs {running}, {} nodes):\n  \
         canary: {} nodes on v{version} in group {}, behind target group {}\n  \
         steps: {}, {} each; a step fails when a canary target is not healthy or more than {}% of its answers are 5xx, and then all traffic goes back at once\n  \
         end: the {label} moves to v{version} (instance refresh, while it takes no traffic), takes the traffic back, and the canary is deleted\n",
        app_group.id,
        app_group.props.get(group::DESIRED.name).map_or_else(|| "?".to_owned(), ToString::to_string),
        app_group.props.get(group::DESIRED.name).map_or_else(|| "?".to_owned(), ToString::to_string),
        app::canary_name(&topology.name),
        app::canary_name(&topology.name),
        options.steps,
        crate::topology::format_duration(options.step_time),
        options.max_5xx_percent,
    ));
    if !how.yes {
        match confirm(printer, stop, "Roll out?", "roll out").await? {
            Some(true) => {}
            Some(false) => {
                printer.status("Rollout cancelled; nothing was changed.");
                return Ok(Started::Cancelled);
            }
            None => {
                printer.status("\nInterrupted before anything was changed.");
                return Ok(Started::Interrupted);
            }
        }
    }

    // The new version first; the app group is left on the one it runs.
    if let Some(change) = template_change {
        let lt_plan = only(plan, change);
        let view = Arc::new(ProgressView::new(printer.clone(), &lt_plan, "Applying"));
        let report = execute(&lt_plan, Arc::new(ctx.clone()), 1, view.clone(), stop.clone()).await;
        view.finish();
        finish(
            &report,
            printer,
            "rollout",
            &format!("clusterup rollout {shown} --canary {}", steps_arg(&options.steps)),
        )?;
        if report.stopped {
            // A stop that came while the new version was being made, which then completed: `finish` says
            // nothing of a plan that succeeded, so this is said here.
            if report.succeeded() {
                printer.status(&format!(
                    "\nInterrupted after making launch template v{version}, before the canary. Run `clusterup rollout {shown} --canary {}` again to go on, or `clusterup rollout {shown} --rollback` to put the template's default version back.",
                    steps_arg(&options.steps)
                ));
            }
            return Ok(Started::Interrupted);
        }
        if !report.succeeded() {
            bail!("the launch template change did not complete; nothing else was changed");
        }
    }
    Ok(Started::Version(version))
}

/// `10,50,100`: the steps as `--canary` takes them.
fn steps_arg(steps: &Steps) -> String {
    steps.as_slice().iter().map(ToString::to_string).collect::<Vec<_>>().join(",")
}

/// `plan` with only `change` to make: everything else unchanged (and known, for references).
fn only(plan: &Plan, change: &Change) -> Plan {
    let changes = plan
        .changes
        .iter()
        .filter(|c| c.actual.is_some() || c.address == change.address)
        .map(|c| {
            if c.address == change.address {
                c.clone()
            } else {
                Change { action: Action::NoOp, changes: Vec::new(), notes: Vec::new(), ..c.clone() }
            }
        })
        .collect();
    Plan { changes, ..plan.clone() }
}

/// The version a rollout in progress rolls out, if this run may take it on.
fn resumable(plan: &Plan, state: &State, shown: &str) -> Result<String> {
    let Some(version) = state.canary_version() else {
        bail!(
            "a listener splits traffic ({}), but there is no canary of clusterup's to go with it; undo it with `clusterup rollout {shown} --rollback`",
            state.summary()
        );
    };
    if state.phase() != Phase::Finishing {
        if state.default_version().as_deref() != Some(version.as_str()) {
            bail!(
                "the canary runs launch template v{version}, but the template's default version is now {}; undo the rollout with `clusterup rollout {shown} --rollback`, then roll out again",
                template_version(state.default_version())
            );
        }
        let template_changes = plan.changes.iter().any(|c| c.kind == Kind::LaunchTemplate && c.action != Action::NoOp);
        if template_changes {
            bail!(
                "a rollout of launch template v{version} is in progress ({}), and the topology now asks for another version. \
                 Finish it first with the topology it started with, or undo it with `clusterup rollout {shown} --rollback`; then roll out the new change",
                state.summary()
            );
        }
    }
    Ok(version)
}

async fn undo(ctx: &Ctx, state: &State, hook: &Lines, printer: &Printer, shown: &str) -> Result<ExitStatus> {
    if !state.in_progress() && state.default_version() == state.app_version() {
        printer.status("No rollout in progress: nothing to undo.");
        return Ok(ExitStatus::Success);
    }
    printer.status(&format!("Undoing the rollout ({}).", state.summary()));
    rollout::undo(ctx, state, hook, shown).await?;
    printer.status(&format!(
        "Rolled back: all the {label}'s traffic is on it again ({}), and the canary is gone.",
        template_version(state.app_version()),
        label = state.group_label()
    ));
    Ok(ExitStatus::Success)
}

fn report(
    outcome: &Outcome,
    state: &State,
    steps: &Steps,
    took: Duration,
    printer: &Printer,
    shown: &str,
) -> Result<ExitStatus> {
    match outcome {
        Outcome::Done { version, nodes } => {
            printer.status(&format!(
                "\nRollout complete in {}: the {label}'s {nodes} nodes run launch template v{version}, the canary is gone, and the {label} takes all its traffic again.",
                crate::output::secs(took),
                label = state.group_label()
            ));
            Ok(ExitStatus::Success)
        }
        Outcome::RolledBack { version, reason } => {
            printer.error(&format!(
                "the rollout of launch template v{version} failed: {reason}.\n  \
                 Rolled back: all the {label}'s traffic is on it again ({}), the canary group and target group are deleted, and the launch template's default version is {} again.\n  \
                 hint: find out why the new version failed (its nodes' logs, the load balancer's access logs), fix the topology and run `clusterup rollout {shown} --canary {}` again; or change the topology back to what the nodes run",
                template_version(state.app_version()),
                // `v3`, as the docs show it: "the launch template's default version is launch template v3" reads twice.
                state.app_version().map_or_else(|| "the one the group runs".to_owned(), |v| format!("v{v}")),
                steps_arg(steps),
                label = state.group_label(),
            ));
            Ok(ExitStatus::Failure)
        }
        Outcome::Stopped { percent } => {
            printer.status(&format!(
                "\nInterrupted: the canary keeps {percent}% of the {}'s traffic. {}.",
                state.group_label(),
                crate::rollout::hold::how_to_end(shown)
            ));
            Ok(ExitStatus::Interrupted)
        }
    }
}

/// The rollout's events as plain lines on stderr: what it does, long waits (again when what is seen
/// changes, or every 15 s), and the canary's gate readings (each step's first, then on a change or
/// every 30 s).
struct Lines {
    printer: Printer,
    last: Mutex<Option<(String, Instant)>>,
}

const REPEAT_EVERY: Duration = Duration::from_secs(30);
const REPEAT_WAIT_EVERY: Duration = Duration::from_secs(15);

impl Lines {
    fn new(printer: Printer) -> Lines {
        Lines { printer, last: Mutex::new(None) }
    }

    /// Print `line` unless it says the same as the last one (`key`) within `every`.
    fn say(&self, key: String, line: &str, every: Duration) {
        let Ok(mut last) = self.last.lock() else { return };
        let repeat = last.as_ref().is_some_and(|(k, at)| *k == key && at.elapsed() < every);
        if !repeat {
            self.printer.progress(line);
            *last = Some((key, Instant::now()));
        }
    }
}

impl Hook for Lines {
    fn event(&self, event: &Event<'_>) {
        match event {
            Event::Doing(text) => self.say((*text).to_owned(), &format!("  {text}"), Duration::ZERO),
            Event::Waiting { address, seen, waited } => self.say(
                format!("{address}: {seen}"),
                &format!("  waiting  {address}: {seen} ({})", crate::output::secs(*waited)),
                REPEAT_WAIT_EVERY,
            ),
            Event::Watched { percent, reading, left, awaiting_metrics } => {
                let seen = format!(
                    "canary at {percent}%: {}/{} healthy, {:.1}% failed, load balancer {:.1}% 5xx",
                    reading.healthy,
                    reading.expected,
                    reading.five_xx_percent(),
                    reading.lb_five_xx_percent()
                );
                let waiting = if *awaiting_metrics { " (waiting for CloudWatch's last minutes)" } else { "" };
                self.say(
                    format!("{seen}{waiting}"),
                    &format!("  {seen}, {} left{waiting}", left_text(*left)),
                    REPEAT_EVERY,
                );
            }
        }
    }
}

/// `4m12s`, `42s`, `0s`: whole seconds, as a countdown reads.
fn left_text(left: Duration) -> String {
    let secs = left.as_secs() + u64::from(left.subsec_millis() >= 500);
    if secs >= 60 {
        format!("{}m{:02}s", secs / 60, secs % 60)
    } else {
        format!("{secs}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topology(groups: &str) -> Topology {
        let text = format!("name: shop\nregion: us-east-1\nnode_groups:\n{groups}");
        crate::topology::parse(Path::new("shop.yaml"), &text).expect("valid").topology
    }

    #[test]
    fn a_group_sharing_the_default_route_or_routed_by_paths_may_have_a_canary() {
        let t = topology(
            "  web: { instance_type: t3.small, route: default, weight: 3 }\n  web-small: { instance_type: t3.small, route: default, weight: 1 }\n  api: { instance_type: t3.small, route: { paths: [/api/*] } }\n  workers: { instance_type: t3.small, route: none }\n  keeper: { instance_type: t3.small, singleton: true, route: { hosts: [keeper.example.com] } }\n",
        );
        assert_eq!(rolled_group(&t, Some("web")).ok().as_deref(), Some("web"));
        assert_eq!(rolled_group(&t, Some("web-small")).ok().as_deref(), Some("web-small"));
        assert_eq!(rolled_group(&t, Some("api")).ok().as_deref(), Some("api"));
        let err = |asked: Option<&str>| rolled_group(&t, asked).expect_err("refused").to_string();
        assert!(err(None).contains("groups web, web-small share the load balancer's default route by weight; name the one to roll out with --group (e.g. --group web)"), "{}", err(None));
        assert!(
            err(Some("workers"))
                .contains("group `workers` cannot have a canary rollout: it is not behind the load balancer"),
            "{}",
            err(Some("workers"))
        );
        assert!(err(Some("keeper")).contains("it is a singleton"), "{}", err(Some("keeper")));
        assert!(err(Some("nope")).contains("there is no group `nope`"), "{}", err(Some("nope")));

        // Five groups share the route: the canary would be a sixth target group in the forward.
        let five: String =
            (1..=5).map(|i| format!("  g{i}: {{ instance_type: t3.small, route: default, weight: 1 }}\n")).collect();
        let t = topology(&five);
        let refused = rolled_group(&t, Some("g1")).expect_err("refused").to_string();
        assert!(refused.contains("5 groups share the default route, and with a canary its forward would name 6 target groups, where AWS allows 5"), "{refused}");
    }

    #[test]
    fn time_left_reads_as_a_countdown() {
        assert_eq!(left_text(Duration::from_secs(252)), "4m12s");
        assert_eq!(left_text(Duration::from_millis(41_600)), "42s");
        assert_eq!(left_text(Duration::ZERO), "0s");
    }
}
