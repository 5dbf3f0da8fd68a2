//! The cost estimate: one line per billed resource (what, per hour, per month), the total, and what is
//! not in it, with the date (or source) of the prices next to the figures.

use std::fmt::Write as _;

use super::Style;
use crate::cost::Estimate;
use crate::plan::{Action, Plan};

fn money(value: f64, decimals: usize) -> String {
    format!("${value:.decimals$}")
}

/// With a plan, each line carries the plan's symbol for that resource (`+` to be created). A region with
/// no prices is said once, without lines or a total.
pub fn render_cost(estimate: &Estimate, plan: Option<&Plan>, style: Style) -> String {
    let mut out = String::new();
    let title = if plan.is_some_and(Plan::has_changes) { "Estimated cost once applied" } else { "Estimated cost" };
    if let Some(why) = &estimate.unpriced_region {
        let _ = writeln!(out, "\n{}: not available for {}: {why}.", style.bold(title), estimate.region);
        return out;
    }
    let _ = writeln!(out, "\n{} ({}, on demand, {}):", style.bold(title), estimate.region, estimate.basis.describe());
    let width = estimate.lines.iter().map(|l| l.address.len()).max().unwrap_or(0);
    let what_width = estimate.lines.iter().map(|l| l.what.len()).max().unwrap_or(0);
    for line in &estimate.lines {
        let symbol = plan
            .and_then(|p| p.changes.iter().find(|c| c.address.as_str() == line.address))
            .map(|c| match c.action {
                Action::NoOp => " ",
                other => other.symbol(),
            })
            .unwrap_or(" ");
        let figures = format!("{:>10}/h {:>10}/month", money(line.hourly, 4), money(line.monthly, 2));
        // A line without a note ends with its figures.
        let mut note = line.note.as_ref().map(|n| format!("  ({n})")).unwrap_or_default();
        if !line.unpriced.is_empty() {
            note.push_str(&format!("  not priced: {}", line.unpriced.join("; ")));
        }
        let _ = writeln!(out, "  {symbol:>3} {:<width$}  {:<what_width$}  {figures}{note}", line.address, line.what);
    }
    let partial = if estimate.complete { "" } else { "  (without what is marked not priced)" };
    if let (Some(hourly), Some(monthly)) = (estimate.total_hourly, estimate.total_monthly) {
        let _ = writeln!(
            out,
            "  {} {:>10}/h {:>10}/month{partial}",
            style.bold(&format!("{:<w$}", "Total", w = width + what_width + 7)),
            money(hourly, 4),
            money(monthly, 2),
        );
    }
    let _ = writeln!(
        out,
        "  Not included: the usage-based charges noted above, data transfer, EBS volumes of the nodes, backups and snapshots beyond the free allowance, CloudWatch other than alarms, SNS notifications (email is free for the first 1,000 a month), the database password's Secrets Manager secret (RDS's or clusterup's own: $0.40 a month) and S3. A month is {} hours.",
        estimate.hours_per_month
    );
    out
}

/// What applying the plan changes the monthly cost by (`Estimate::change_from`), under the estimate.
pub fn render_cost_change(change: &str, style: Style) -> String {
    format!("  {} {change}\n", style.bold("Monthly cost once applied:"))
}
