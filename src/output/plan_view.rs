//! The human view of a plan, in the notation users know: `+` create, `~` update in place, `-/+` replace,
//! `-` delete.

use std::fmt::Write as _;

use super::Style;
use crate::model::Value;
use crate::plan::{sha256_hex, Action, Change, Plan, Summary};

/// Long text (user data) is shown by size and digest, not dumped into the plan.
fn show(value: &Value) -> String {
    match value {
        Value::Str(s) if s.len() > 80 || s.contains('\n') => {
            let digest = sha256_hex(s.as_bytes());
            format!("({} lines, {} bytes, sha256 {})", s.lines().count(), s.len(), &digest[..12])
        }
        other => other.to_string(),
    }
}

fn symbol(style: Style, action: Action) -> String {
    let s = action.symbol();
    match action {
        Action::Create => style.green(s),
        Action::Update => style.yellow(s),
        Action::Replace => style.magenta(s),
        Action::Delete => style.red(s),
        Action::NoOp => s.to_owned(),
    }
}

fn render_change(out: &mut String, style: Style, change: &Change) {
    let id = change.id().map(|id| format!(" {}", style.dim(id))).unwrap_or_default();
    let _ = writeln!(
        out,
        "  {:>3} {} ({}){id}",
        symbol(style, change.action),
        style.bold(change.address.as_str()),
        change.kind.label()
    );
    let width = change.changes.iter().map(|c| c.key.len()).max().unwrap_or(0);
    for prop in &change.changes {
        let after = prop.after.as_ref().map(show).unwrap_or_default();
        let line = match (&prop.before, change.action) {
            (_, Action::Create) => format!("{:<width$} = {after}", prop.key),
            (Some(before), _) => format!("{:<width$} : {} -> {after}", prop.key, show(before)),
            (None, _) => format!("{:<width$} : (unset) -> {after}", prop.key),
        };
        let forces = if prop.forces_replacement { style.magenta("  # forces replacement") } else { String::new() };
        let _ = writeln!(out, "        {line}{forces}");
    }
}

/// The full plan: every change with its properties, then the summary line.
pub fn render_plan(plan: &Plan, style: Style) -> String {
    let mut out = String::new();
    let changes: Vec<&Change> = plan.changes.iter().filter(|c| c.action != Action::NoOp).collect();
    if changes.is_empty() {
        let _ = writeln!(
            out,
            "No changes. Deployment {} ({}) matches the topology: {} resources up to date.",
            plan.deployment,
            plan.region,
            plan.summary().unchanged
        );
        return out;
    }
    let _ = writeln!(out, "Deployment {} in {}:\n", style.bold(&plan.deployment), plan.region);
    for change in changes {
        render_change(&mut out, style, change);
    }
    let _ = writeln!(out, "\n{}", render_summary(&plan.summary()));
    if let Some(estimate) = super::estimate(plan) {
        let _ = writeln!(out, "{}", render_estimate(&estimate));
    }
    out
}

/// `Estimated time on AWS: about 28 min, along network/vpc -> ... -> spark/cluster (9 min)`: the longest
/// chain, with the steps that take a minute or more.
pub fn render_estimate(estimate: &crate::plan::Estimate) -> String {
    let steps: Vec<String> = estimate
        .path
        .iter()
        .map(|(address, op, took)| {
            let verb = match op {
                crate::engine::Op::Create => "",
                crate::engine::Op::Update => " (update)",
                crate::engine::Op::Delete => " (delete)",
            };
            if took.as_secs() >= 60 {
                format!("{address}{verb} {}", crate::plan::about(*took).trim_start_matches("about "))
            } else {
                format!("{address}{verb}")
            }
        })
        .collect();
    format!(
        "Estimated time on AWS: {} (typical times), along the longest chain: {}",
        crate::plan::about(estimate.total),
        steps.join(" -> ")
    )
}

pub fn render_summary(s: &Summary) -> String {
    format!("Plan: {} to add, {} to change, {} to replace, {} to destroy.", s.add, s.change, s.replace, s.destroy)
}
