use std::path::Path;

use anyhow::{Context, Result};

use super::status::estimate;
use super::{context_for, load_topology, make_plan, read, ExitStatus};
use crate::cli::GlobalArgs;
use crate::compose;
use crate::cost::Item;
use crate::output::{render_calls, render_cost, render_plan, Printer};
use crate::plan::SavedPlan;

pub async fn run(
    g: &GlobalArgs,
    file: &Path,
    out: Option<&Path>,
    json: bool,
    detailed_exitcode: bool,
    pricing_api: bool,
    printer: &Printer,
) -> Result<ExitStatus> {
    let topology = load_topology(file, printer)?;
    let bytes = read(file)?;
    let ctx = context_for(g, &topology).await?;
    let started = std::time::Instant::now();
    let plan = make_plan(&ctx, &topology).await?;
    let planned_in = started.elapsed();
    // What the deployment costs once applied: the topology's resources (instance types, counts,
    // Multi-AZ, storage do not depend on the account's facts, so the offline composition prices them).
    let wanted = compose::desired(&topology, &compose::offline_facts(&topology))?;
    let items: Vec<Item<'_>> = wanted.iter().map(Item::from).collect();
    let cost = estimate(&ctx, &items, pricing_api).await?;
    if json {
        let body = serde_json::json!({
            "deployment": plan.deployment,
            "region": plan.region,
            "summary": plan.summary(),
            "changes": plan.changes.iter().filter(|c| c.action != crate::plan::Action::NoOp).collect::<Vec<_>>(),
            "cost": cost,
        });
        printer.out(&format!("{body:#}\n"));
    } else {
        printer.out(&render_plan(&plan, printer.out_style()));
        printer.out(&render_cost(&cost, Some(&plan), printer.out_style()));
    }
    // Discovery costs a fixed number of calls per kind of resource, whatever the deployment's size.
    printer.status(&format!(
        "Planned in {:.1}s. {}",
        planned_in.as_secs_f64(),
        render_calls(&ctx.aws.calls.by_service())
    ));
    if let Some(path) = out {
        let saved = SavedPlan::new(file, &bytes, plan.clone());
        std::fs::write(path, saved.to_json()).with_context(|| format!("writing the plan to {}", path.display()))?;
        printer.status(&format!(
            "Saved the plan to {}; apply exactly it with `clusterup apply {}`.",
            path.display(),
            path.display()
        ));
    }
    Ok(if detailed_exitcode && plan.has_changes() { ExitStatus::Changes } else { ExitStatus::Success })
}
