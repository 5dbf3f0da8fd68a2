use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Result};

use super::{
    confirm, context_for, guard_data, interrupted_before_changes, load_topology, locked, make_plan, read, show_plan,
    until_stopped, Confirm, ExitStatus, Locked,
};
use crate::cli::{AwsArgs, PlanArgs, RunArgs};
use crate::compose::{outputs, serving};
use crate::engine::{execute, Report, StopSignal};
use crate::model::Op;
use crate::output::{render_outputs, render_serving, render_time_summary, Printer, ProgressView};
use crate::plan::{sha256_hex, SavedPlan};

pub async fn run(
    g: &AwsArgs,
    options: PlanArgs,
    run: &RunArgs,
    file: &Path,
    how: Confirm,
    stop: &StopSignal,
    printer: &Printer,
) -> Result<ExitStatus> {
    let text = read(file)?;
    let saved =
        if SavedPlan::looks_like_plan(&String::from_utf8_lossy(&text)) { Some(SavedPlan::load(file)?) } else { None };
    let topology_path = saved.as_ref().map(|s| s.topology.clone()).unwrap_or_else(|| file.to_owned());
    if let Some(saved) = &saved {
        let now = read(&topology_path)?;
        if sha256_hex(&now) != saved.topology_sha256 {
            bail!(
                "{} changed since the plan {} was saved; run `clusterup plan --out` again",
                topology_path.display(),
                file.display()
            );
        }
    }
    let topology = load_topology(&topology_path, printer)?;
    let resume = format!("clusterup apply {}", file.display());
    let Some(ctx) = until_stopped(stop, context_for(g, run.delete_data, &topology)).await? else {
        return Ok(interrupted_before_changes(printer, &resume));
    };
    let lock = Locked { ctx: &ctx, command: "apply", force: how.force_unlock, stop, resume: &resume };
    locked(lock, printer, || async {
        // A saved plan is compared with a fresh one made the same way.
        let options = PlanArgs { set_desired: options.set_desired || saved.as_ref().is_some_and(|s| s.set_desired) };
        let Some((plan, rollout)) = until_stopped(stop, make_plan(&ctx, &topology, &topology_path, options)).await?
        else {
            return Ok(interrupted_before_changes(printer, &resume));
        };
        if let Some(why) = crate::rollout::refusal(&plan, &rollout, &topology_path.display().to_string()) {
            show_plan(&plan, how.compact, printer);
            bail!(why);
        }
        if let Some(saved) = &saved {
            // Compare what was saved (and reviewed) with what would run now, in the saved form.
            if serde_json::to_value(&saved.plan).ok() != serde_json::to_value(&plan).ok() {
                bail!(
                    "the deployment changed in AWS since the plan {} was saved, so it no longer describes what apply would do; run `clusterup plan --out` again and review it",
                    file.display()
                );
            }
        }

        if !plan.has_changes() {
            show_plan(&plan, how.compact, printer);
            printer.out(&render_outputs(&outputs(&plan.actuals())));
            return Ok(ExitStatus::Success);
        }
        guard_data(&plan, &ctx)?;
        // A saved plan was reviewed when it was made; otherwise show it and ask.
        if saved.is_none() {
            show_plan(&plan, how.compact, printer);
            // What it will cost, before the question: the table's prices (no call to the Price List API).
            if !printer.quiet {
                let (cost, change) = super::plan::plan_cost(&ctx, &plan, false).await?;
                super::plan::show_cost(&cost, change.as_deref(), &plan, printer);
            }
            if !how.yes {
                match confirm(printer, stop, "Apply these changes?", "apply").await? {
                    Some(true) => {}
                    Some(false) => {
                        printer.status("Apply cancelled; nothing was changed.");
                        return Ok(ExitStatus::Failure);
                    }
                    None => return Ok(interrupted_before_changes(printer, &resume)),
                }
            }
        }

        let view = Arc::new(ProgressView::new(printer.clone(), &plan, "Applying"));
        let report =
            execute(&plan, Arc::new(ctx.clone()), usize::from(run.parallelism), view.clone(), stop.clone()).await;
        view.finish();
        finish(&report, printer, "apply", &resume)?;
        if report.succeeded() {
            printer.status(&format!(
                "\nApply complete in {:.1}s: {} created, {} updated, {} deleted.\n",
                report.elapsed.as_secs_f64(),
                report.count(Op::Create),
                report.count(Op::Update),
                report.count(Op::Delete)
            ));
            if let Some(line) = render_serving(report.reached(&serving(&topology)), report.elapsed) {
                printer.status(&line);
            }
            printer.status(&render_time_summary(&report, &ctx.aws.calls.by_service(), printer.err_style()));
            printer.out(&render_outputs(&outputs(&report.resources)));
        }
        Ok(status_of(&report))
    })
    .await
}

pub(super) fn status_of(report: &Report) -> ExitStatus {
    if report.succeeded() {
        ExitStatus::Success
    } else if report.stopped && report.failures().next().is_none() {
        ExitStatus::Interrupted
    } else {
        ExitStatus::Failure
    }
}

/// After a run that did not complete: what failed, what did not start, and how to resume.
pub(super) fn finish(report: &Report, printer: &Printer, verb: &str, resume: &str) -> Result<()> {
    if report.succeeded() {
        return Ok(());
    }
    let failures: Vec<_> = report.failures().collect();
    let not_started = report.nodes.iter().filter(|(_, o)| matches!(o, crate::engine::Outcome::NotStarted)).count();
    let abandoned = report.nodes.iter().filter(|(_, o)| matches!(o, crate::engine::Outcome::Interrupted)).count();
    let skipped = report.nodes.iter().filter(|(_, o)| matches!(o, crate::engine::Outcome::Skipped { .. })).count();
    for (node, error) in &failures {
        printer.error(&format!("{} {}: {error}", node.op.verb().0, node.address));
    }
    let done = report.nodes.iter().filter(|(_, o)| matches!(o, crate::engine::Outcome::Done(_))).count();
    let abandoned =
        if abandoned > 0 { format!(", {abandoned} left unfinished at the interrupt") } else { String::new() };
    // A call the endpoint does not implement fails the same way on every run: resuming will not help.
    let lacking: Vec<&str> = failures.iter().filter_map(|(_, error)| error.not_implemented_call()).collect();
    let next = if lacking.is_empty() {
        format!("Everything done so far is recorded in AWS tags; run `{resume}` again to resume where it stopped.")
    } else {
        format!(
            "Everything done so far is recorded in AWS tags, but the endpoint does not implement {}: running `{resume}` again will stop at the same place (see the hint above).",
            lacking.join(", ")
        )
    };
    printer.status(&format!(
        "\n{} {verb}: {done} actions done, {} failed, {skipped} skipped because of a failure{abandoned}, {not_started} not started.\n{next}",
        if report.stopped { "Interrupted" } else { "Incomplete" },
        failures.len(),
    ));
    Ok(())
}
