//! The human view of a plan, in the notation users know: `+` create, `~` update in place, `-/+` replace,
//! `-` delete.

use std::fmt::Write as _;

use super::Style;
use crate::engine::{about, Estimate};
use crate::model::{Op, Value};
use crate::plan::{sha256_hex, Action, Change, Plan, Summary};
use crate::resources::registry;

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

/// `  -/+ network/subnet/private-a (subnet) subnet-0abc`: the first line of a change.
fn change_line(style: Style, change: &Change) -> String {
    // A resource still to be made has no id to show.
    let id = change.id().map(|id| format!(" {}", style.dim(id))).unwrap_or_default();
    format!(
        "  {:>3} {} ({}){id}",
        symbol(style, change.action),
        style.bold(change.address.as_str()),
        registry::label(change.kind)
    )
}

fn render_change(out: &mut String, style: Style, change: &Change) {
    let _ = writeln!(out, "{}", change_line(style, change));
    for note in &change.notes {
        let _ = writeln!(out, "        {}", style.yellow(&format!("# {note}")));
    }
    // A map that changes in place shows just its keys that change, one line each: `tags.team`.
    let lines: Vec<(String, Option<String>, Option<String>, bool)> = change
        .changes
        .iter()
        .flat_map(|prop| {
            let whole = (
                prop.key.clone(),
                prop.before.as_ref().map(show),
                prop.after.as_ref().map(show),
                prop.forces_replacement,
            );
            if prop.entries.is_empty() || change.action == Action::Create {
                return vec![whole];
            }
            prop.entries
                .iter()
                .map(|e| {
                    let key = format!("{}.{}", prop.key, e.key);
                    (key, e.before.as_ref().map(show), e.after.as_ref().map(show), prop.forces_replacement)
                })
                .collect()
        })
        .collect();
    let width = lines.iter().map(|(key, ..)| key.len()).max().unwrap_or(0);
    for (key, before, after, forces) in lines {
        let line = match (before, after, change.action) {
            (_, Some(after), Action::Create) => format!("{key:<width$} = {after}"),
            (Some(before), Some(after), _) => format!("{key:<width$} : {before} -> {after}"),
            (None, Some(after), _) => format!("{key:<width$} : (unset) -> {after}"),
            (Some(before), None, _) => format!("{key:<width$} : {before} -> (removed)"),
            // The diff never lists a property with no value on either side.
            (None, None, _) => key,
        };
        let forces = if forces { style.magenta("  # forces replacement") } else { String::new() };
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
        render_notes_of_unchanged(&mut out, style, plan);
        return out;
    }
    let _ = writeln!(out, "Deployment {} in {}:\n", style.bold(&plan.deployment), plan.region);
    for change in changes {
        render_change(&mut out, style, change);
    }
    render_notes_of_unchanged(&mut out, style, plan);
    render_footer(&mut out, plan);
    out
}

/// Notes on resources with nothing to change (a `desired` the autoscaler owns): said, not hidden.
fn render_notes_of_unchanged(out: &mut String, style: Style, plan: &Plan) {
    for change in plan.changes.iter().filter(|c| c.action == Action::NoOp) {
        for note in &change.notes {
            let _ = writeln!(out, "  note: {}: {}", style.bold(change.address.as_str()), note);
        }
    }
}

/// The plan as one line per change, without properties: the change's first line, and for an update or
/// replacement the names of the properties that differ (those forcing the replacement marked `!`).
/// Same header, summary and estimate as [`render_plan`].
pub fn render_plan_compact(plan: &Plan, style: Style) -> String {
    let changes: Vec<&Change> = plan.changes.iter().filter(|c| c.action != Action::NoOp).collect();
    if changes.is_empty() {
        return render_plan(plan, style);
    }
    let mut out = String::new();
    let _ = writeln!(out, "Deployment {} in {}:\n", style.bold(&plan.deployment), plan.region);
    for change in changes {
        let keys: Vec<String> = match change.action {
            Action::Update | Action::Replace => change
                .changes
                .iter()
                .map(|p| if p.forces_replacement { format!("{}!", p.key) } else { p.key.clone() })
                .collect(),
            _ => Vec::new(),
        };
        let keys = if keys.is_empty() { String::new() } else { format!(": {}", keys.join(", ")) };
        let notes: String = change.notes.iter().map(|n| format!("  # {n}")).collect();
        let notes = if notes.is_empty() { notes } else { style.yellow(&notes) };
        let _ = writeln!(out, "{}{keys}{notes}", change_line(style, change));
    }
    render_notes_of_unchanged(&mut out, style, plan);
    render_footer(&mut out, plan);
    out
}

fn render_footer(out: &mut String, plan: &Plan) {
    let _ = writeln!(out, "\n{}", render_summary(&plan.summary()));
    if let Some(estimate) = super::estimate(plan) {
        let _ = writeln!(out, "{}", render_estimate(&estimate));
    }
}

/// `Estimated time on AWS: about 28 min, along network/vpc -> ... -> spark/cluster (9 min)`: the longest
/// chain, with the steps that take a minute or more.
pub fn render_estimate(estimate: &Estimate) -> String {
    let steps: Vec<String> = estimate
        .path
        .iter()
        .map(|(address, op, took)| {
            let verb = match op {
                Op::Create => "",
                Op::Update => " (update)",
                Op::Delete => " (delete)",
            };
            if took.as_secs() >= 60 {
                format!("{address}{verb} {}", about(*took).trim_start_matches("about "))
            } else {
                format!("{address}{verb}")
            }
        })
        .collect();
    format!(
        "Estimated time on AWS: {} (typical times), along the longest chain: {}",
        about(estimate.total),
        steps.join(" -> ")
    )
}

/// The plan in one line, for `--quiet`: its summary, or that nothing changes.
pub fn render_plan_summary(plan: &Plan) -> String {
    if plan.has_changes() {
        format!("{}\n", render_summary(&plan.summary()))
    } else {
        format!("No changes. Deployment {} ({}) matches the topology.\n", plan.deployment, plan.region)
    }
}

pub fn render_summary(s: &Summary) -> String {
    format!("Plan: {} to add, {} to change, {} to replace, {} to destroy.", s.add, s.change, s.replace, s.destroy)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Actual, Address, Kind};
    use crate::plan::PropChange;

    fn change(address: &str, kind: Kind, action: Action, id: Option<&str>, props: &[(&str, bool)]) -> Change {
        Change {
            address: Address::new(address),
            kind,
            action,
            changes: props
                .iter()
                .map(|(key, forces)| PropChange {
                    key: (*key).to_owned(),
                    before: Some(Value::Int(1)),
                    after: Some(Value::Int(2)),
                    forces_replacement: *forces,
                    entries: Vec::new(),
                })
                .collect(),
            desired: None,
            actual: id.map(|id| Actual {
                address: Address::new(address),
                kind,
                id: id.to_owned(),
                props: Default::default(),
                attrs: Default::default(),
            }),
            notes: Vec::new(),
        }
    }

    #[test]
    fn the_compact_view_is_one_line_per_change_naming_what_differs() {
        let plan = Plan {
            deployment: "shop".into(),
            region: "us-east-1".into(),
            changes: vec![
                change("network/vpc", Kind::Vpc, Action::Create, None, &[("cidr", false), ("tags", false)]),
                change(
                    "network/subnet/private-a",
                    Kind::Subnet,
                    Action::Replace,
                    Some("subnet-1"),
                    &[("cidr", true), ("tags", false)],
                ),
                change(
                    "app/auto-scaling-group",
                    Kind::AutoScalingGroup,
                    Action::Update,
                    Some("shop-app"),
                    &[("max", false)],
                ),
                change("network/route-table/public", Kind::RouteTable, Action::NoOp, Some("rtb-1"), &[]),
                change("network/eip/nat-a", Kind::ElasticIp, Action::Delete, Some("eipalloc-1"), &[]),
            ],
        };
        let style = Style { enabled: false };
        let compact = render_plan_compact(&plan, style);
        let full = render_plan(&plan, style);
        let body: Vec<&str> = compact.lines().skip(2).take(4).collect();
        assert_eq!(
            body,
            [
                "    + network/vpc (VPC)",
                "  -/+ network/subnet/private-a (subnet) subnet-1: cidr!, tags",
                "    ~ app/auto-scaling-group (auto scaling group) shop-app: max",
                "    - network/eip/nat-a (Elastic IP) eipalloc-1",
            ]
        );
        // Same header and footer (summary, estimate) as the full view, which lists every property.
        let footer = |text: &str| text[text.find("\nPlan: ").unwrap_or(0)..].to_owned();
        assert_eq!(compact.lines().next(), full.lines().next());
        assert_eq!(footer(&compact), footer(&full));
        assert!(footer(&compact).contains("Plan: 1 to add, 1 to change, 1 to replace, 1 to destroy."), "{compact}");
        assert!(full.contains("cidr : 1 -> 2  # forces replacement"), "{full}");
        assert_eq!(compact.lines().count() + 5, full.lines().count(), "{compact}\n{full}");
    }
}
