use std::io::IsTerminal;
use std::sync::Arc;

use anyhow::{bail, Result};

use super::apply::{finish, status_of};
use super::target::resolve;
use super::{
    ask, guard_data, interrupted_before_changes, lenient, locked, show_plan, until_stopped, warn_skipped_reads,
    Confirm, ExitStatus, Locked,
};
use crate::cli::{AwsArgs, RunArgs};
use crate::engine::{execute, StopSignal};
use crate::output::{render_time_summary, Printer, ProgressView};
use crate::plan::Plan;
use crate::resources::leftovers::final_check;
use crate::resources::{discover_all, registry, Ctx};

/// Destroy the deployment `target` names (NAME or FILE).
pub async fn run(
    g: &AwsArgs,
    run: &RunArgs,
    target: &str,
    how: Confirm,
    stop: &StopSignal,
    printer: &Printer,
) -> Result<ExitStatus> {
    let resume = format!("clusterup destroy {target}");
    let Some(resolved) = until_stopped(stop, resolve(g, target, run.delete_data, printer)).await? else {
        return Ok(interrupted_before_changes(printer, &resume));
    };
    // Deleting needs each resource's id, not its attributes: a read that only describes one may fail.
    let ctx = lenient(resolved.ctx);
    // Nothing found may mean the wrong place was searched: the region comes from the topology, or
    // from --region and the AWS chain; the account from the credentials.
    let hint = match resolved.topology {
        Some(_) => "wrong --profile or AWS account?",
        None => "wrong --region or --profile?",
    };
    let lock = Locked { ctx: &ctx, command: "destroy", force: how.force_unlock, stop, resume: &resume };
    locked(lock, printer, || async {
        let actuals = until_stopped(stop, async { Ok(discover_all(&ctx).await?) }).await;
        warn_skipped_reads(&ctx, printer, "destroy");
        let Some(actuals) = actuals? else { return Ok(interrupted_before_changes(printer, &resume)) };
        // What destroy keeps (log groups without --delete-data) stays out of the plan; the final check
        // lists it under "Kept:".
        let (kept, actuals): (Vec<_>, Vec<_>) =
            actuals.into_iter().partition(|a| (registry::of(a.kind).spec().kept)(a, ctx.data).is_some());
        if actuals.is_empty() && !kept.is_empty() {
            printer.status(&format!(
                "Nothing to destroy in {}: what is left of deployment {} is kept without --delete-data.",
                ctx.aws.region, ctx.deployment
            ));
            return verify_nothing_left(&ctx, stop, &resume, printer).await;
        }
        if actuals.is_empty() {
            printer.status(&format!(
                "Nothing to destroy: no resource is tagged clusterup:deployment={} in {} ({hint}).",
                ctx.deployment, ctx.aws.region
            ));
            return verify_nothing_left(&ctx, stop, &resume, printer).await;
        }
        let plan = Plan::destroy_all(&ctx.deployment, &ctx.aws.region, actuals);
        show_plan(&plan, how.compact, printer);
        guard_data(&plan, &ctx)?;
        if !how.yes {
            match confirm_destroy(printer, stop, &ctx.deployment, &ctx.aws.region).await? {
                Some(true) => {}
                Some(false) => {
                    printer.status("Destroy cancelled; nothing was changed.");
                    return Ok(ExitStatus::Failure);
                }
                None => return Ok(interrupted_before_changes(printer, &resume)),
            }
        }
        let view = Arc::new(ProgressView::new(printer.clone(), &plan, "Destroying"));
        let report =
            execute(&plan, Arc::new(ctx.clone()), usize::from(run.parallelism), view.clone(), stop.clone()).await;
        view.finish();
        finish(&report, printer, "destroy", &resume)?;
        if !report.succeeded() {
            return Ok(status_of(&report));
        }
        printer.status(&format!("\nDeleted {} resources in {:.1}s.", report.nodes.len(), report.elapsed.as_secs_f64()));
        printer.status(&render_time_summary(&report, &ctx.aws.calls.by_service(), printer.err_style()));
        verify_nothing_left(&ctx, stop, &resume, printer).await
    })
    .await
}

/// Destroying cannot be taken back, so a stray `y` or Enter must not do it: the deployment's name (or
/// `yes`) has to be typed out. Without a terminal there is nobody to ask: refuse, and say how to proceed.
async fn confirm_destroy(printer: &Printer, stop: &StopSignal, deployment: &str, region: &str) -> Result<Option<bool>> {
    if !std::io::stdin().is_terminal() {
        bail!("refusing to destroy without confirmation: standard input is not a terminal. Re-run with --yes to destroy non-interactively");
    }
    let style = printer.err_style();
    let question = format!(
        "{}\nType the deployment name ({}) or yes to confirm: ",
        style.bold(&format!("Destroy every resource of deployment {deployment} in {region}? This cannot be undone.")),
        style.bold(deployment)
    );
    Ok(ask(printer, stop, &question).await?.map(|answer| typed_consent(&answer, deployment)))
}

/// The answer agrees to destroy `deployment`: its name or `yes`, typed in full.
fn typed_consent(answer: &str, deployment: &str) -> bool {
    let answer = answer.trim();
    answer == deployment || answer.eq_ignore_ascii_case("yes")
}

/// Ask AWS again; anything still tagged with the deployment makes destroy fail, loudly, with its id.
/// What AWS keeps on purpose (the final snapshot, EFS's backups) is named, with what it costs and the
/// command that deletes it, and does not fail the run.
async fn verify_nothing_left(ctx: &Ctx, stop: &StopSignal, resume: &str, printer: &Printer) -> Result<ExitStatus> {
    let check = until_stopped(stop, async { Ok(final_check(ctx).await?) }).await;
    warn_skipped_reads(ctx, printer, "destroy");
    let Some(check) = check? else {
        printer.status(&format!(
            "\nInterrupted while checking that nothing is left; run `{resume}` again to check (and delete anything left)."
        ));
        return Ok(ExitStatus::Interrupted);
    };
    for kept in &check.kept {
        printer.status(&format!("Kept: {} {} ({})", kept.what, kept.id, kept.note));
    }
    if check.left.is_empty() {
        printer.status(&format!(
            "Verified: nothing tagged clusterup:deployment={} is left in {}{}.",
            ctx.deployment,
            ctx.aws.region,
            if check.kept.is_empty() { "" } else { " but the data kept above" }
        ));
        return Ok(ExitStatus::Success);
    }
    for item in &check.left {
        printer.error(&format!("still exists: {} {}", item.what, item.id));
    }
    anyhow::bail!(
        "{} resources tagged clusterup:deployment={} are still there; run destroy again, or delete them by hand if clusterup cannot",
        check.left.len(),
        ctx.deployment
    )
}

#[cfg(test)]
mod tests {
    use super::typed_consent;

    #[test]
    fn only_the_name_or_yes_typed_in_full_agrees_to_destroy() {
        for yes in ["shop", "shop\n", "  shop \n", "yes", "YES\n", "Yes"] {
            assert!(typed_consent(yes, "shop"), "{yes:?}");
        }
        for no in ["", "\n", "y", "Y\n", "ye", "no", "sho", "shop-prod", "Shop", "yes please", "n"] {
            assert!(!typed_consent(no, "shop"), "{no:?}");
        }
    }
}
