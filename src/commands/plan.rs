use std::path::Path;

use anyhow::{Context, Result};

use super::status::estimate;
use super::{context_for, load_topology, make_plan, read, show_plan, ExitStatus};
use crate::cli::{AwsArgs, PlanArgs};
use crate::cost::Item;
use crate::output::{render_calls, render_cost, Printer};
use crate::plan::SavedPlan;

/// How the plan is shown (JSON, in full by default, or compact), priced and answered.
#[derive(Debug, Clone, Copy)]
pub struct View {
    pub json: bool,
    pub compact: bool,
    /// Price with the AWS Price List API instead of the repository's dated table.
    pub pricing_api: bool,
    /// Exit 2 when the plan has changes.
    pub detailed_exitcode: bool,
}

pub async fn run(
    g: &AwsArgs,
    options: PlanArgs,
    file: &Path,
    out: Option<&Path>,
    view: View,
    printer: &Printer,
) -> Result<ExitStatus> {
    let topology = load_topology(file, printer)?;
    let bytes = read(file)?;
    let ctx = context_for(g, false, &topology).await?;
    let started = std::time::Instant::now();
    let (plan, rollout) = make_plan(&ctx, &topology, file, options).await?;
    let planned_in = started.elapsed();
    // What the deployment costs once applied: every resource the plan keeps, as the topology wants it.
    let items: Vec<Item<'_>> = plan.changes.iter().filter_map(|c| c.desired.as_ref()).map(Item::from).collect();
    let cost = estimate(&ctx, &items, view.pricing_api).await?;
    if view.json {
        let mut body = crate::output::plan_json(&plan);
        body["cost"] = serde_json::to_value(&cost)?;
        printer.out(&format!("{body:#}\n"));
    } else {
        show_plan(&plan, view.compact, printer);
        if !printer.quiet {
            printer.out(&render_cost(&cost, Some(&plan), printer.out_style()));
        }
    }
    // Discovery costs a fixed number of calls per kind of resource, whatever the deployment's size.
    printer.status(&format!(
        "Planned in {:.1}s. {}",
        planned_in.as_secs_f64(),
        render_calls(&ctx.aws.calls.by_service())
    ));
    if let Some(path) = out {
        let saved = SavedPlan { set_desired: options.set_desired, ..SavedPlan::new(file, &bytes, plan.clone()) };
        let json = saved.to_json().context("writing the plan as JSON")?;
        std::fs::write(path, json).with_context(|| format!("writing the plan to {}", path.display()))?;
        printer.status(&format!(
            "Saved the plan to {}; apply exactly it with `clusterup apply {}`.",
            path.display(),
            path.display()
        ));
    }
    // A rollout in progress is a difference from what apply would build (a second group, a split
    // forward) even when the plan holds it rather than change it.
    let differs = plan.has_changes() || rollout.in_progress();
    Ok(if view.detailed_exitcode && differs { ExitStatus::Changes } else { ExitStatus::Success })
}
