use std::path::Path;

use anyhow::{Context, Result};

use super::{context_for, load_topology, make_plan, read, show_plan, ExitStatus};
use crate::cli::{AwsArgs, PlanArgs};
use crate::output::{render_calls, Printer};
use crate::plan::SavedPlan;

/// How the plan is shown: JSON, in full (the default) or compact.
#[derive(Debug, Clone, Copy)]
pub struct View {
    pub json: bool,
    pub compact: bool,
}

pub async fn run(
    g: &AwsArgs,
    options: PlanArgs,
    file: &Path,
    out: Option<&Path>,
    view: View,
    detailed_exitcode: bool,
    printer: &Printer,
) -> Result<ExitStatus> {
    let topology = load_topology(file, printer)?;
    let bytes = read(file)?;
    let ctx = context_for(g, false, &topology).await?;
    let started = std::time::Instant::now();
    let (plan, rollout) = make_plan(&ctx, &topology, file, options).await?;
    let planned_in = started.elapsed();
    if view.json {
        let body = crate::output::plan_json(&plan);
        printer.out(&format!("{body:#}\n"));
    } else {
        show_plan(&plan, view.compact, printer);
    }
    // Discovery costs a fixed number of calls per kind of resource, whatever the deployment's size.
    printer.status(&format!(
        "Planned in {:.1}s. {}",
        planned_in.as_secs_f64(),
        render_calls(&ctx.aws.calls.by_service())
    ));
    if let Some(path) = out {
        let saved = SavedPlan { set_desired: options.set_desired, ..SavedPlan::new(file, &bytes, plan.clone()) };
        std::fs::write(path, saved.to_json()).with_context(|| format!("writing the plan to {}", path.display()))?;
        printer.status(&format!(
            "Saved the plan to {}; apply exactly it with `clusterup apply {}`.",
            path.display(),
            path.display()
        ));
    }
    // A rollout in progress is a difference from what apply would build (a second group, a split
    // forward) even when the plan holds it rather than change it.
    let differs = plan.has_changes() || rollout.in_progress();
    Ok(if detailed_exitcode && differs { ExitStatus::Changes } else { ExitStatus::Success })
}
