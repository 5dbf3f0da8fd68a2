use std::path::Path;

use anyhow::{Context, Result};

use super::status::prices;
use super::{context_for, load_topology, make_plan, read, show_plan, ExitStatus};
use crate::cli::{AwsArgs, PlanArgs};
use crate::cost::{Estimate, Item};
use crate::output::{render_calls, render_cost, render_cost_change, Printer};
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

/// What the deployment costs once the plan is applied (every resource the plan keeps, as the topology
/// wants it) and, for a plan that changes a deployment that exists, what that changes the monthly cost
/// by (`$412.00 → $538.00/month, +$126.00`).
pub(super) async fn plan_cost(
    ctx: &crate::resources::Ctx,
    plan: &crate::plan::Plan,
    pricing_api: bool,
) -> Result<(Estimate, Option<String>)> {
    let wanted: Vec<Item<'_>> = plan.changes.iter().filter_map(|c| c.desired.as_ref()).map(Item::from).collect();
    let existing = plan.actuals();
    let now: Vec<Item<'_>> = existing.iter().map(Item::from).collect();
    let both: Vec<Item<'_>> = wanted.iter().chain(&now).cloned().collect();
    // One set of prices for both, so the difference is made of the same figures.
    let prices = prices(ctx, &both, pricing_api).await?;
    let after = crate::cost::estimate(&wanted, &prices);
    let change = (plan.has_changes() && !now.is_empty())
        .then(|| after.change_from(&crate::cost::estimate(&now, &prices)))
        .flatten();
    Ok((after, change))
}

/// The estimate under the plan, and what the plan changes the monthly cost by.
pub(super) fn show_cost(cost: &Estimate, change: Option<&str>, plan: &crate::plan::Plan, printer: &Printer) {
    printer.out(&render_cost(cost, Some(plan), printer.out_style()));
    if let Some(change) = change {
        printer.out(&render_cost_change(change, printer.out_style()));
    }
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
    let (cost, change) = plan_cost(&ctx, &plan, view.pricing_api).await?;
    if view.json {
        let mut body = crate::output::plan_json(&plan);
        body["cost"] = serde_json::to_value(&cost)?;
        printer.out(&format!("{body:#}\n"));
    } else {
        show_plan(&plan, view.compact, printer);
        if !printer.quiet {
            show_cost(&cost, change.as_deref(), &plan, printer);
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
