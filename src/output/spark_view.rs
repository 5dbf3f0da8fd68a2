//! Spark steps: the one just submitted, and the recent ones.

use std::fmt::Write as _;

use crate::spark::StepInfo;

/// A step's id, state and where its logs are.
pub fn render_step(step: &StepInfo) -> String {
    let mut out = format!("step  {} ({})\nstate {}\n", step.id, step.name, step.state);
    if let Some(failure) = &step.failure {
        let _ = writeln!(out, "why   {failure}");
    }
    let _ = writeln!(out, "logs  {}", step.logs);
    out
}

/// The recent steps of a cluster, newest first.
pub fn render_steps(cluster_id: &str, steps: &[StepInfo]) -> String {
    if steps.is_empty() {
        return format!("No steps on cluster {cluster_id} yet: `clusterup spark submit` adds one.\n");
    }
    let id_width = steps.iter().map(|s| s.id.len()).max().unwrap_or(0);
    let mut out = format!("Steps on cluster {cluster_id}, newest first:\n");
    for step in steps {
        let _ = writeln!(
            out,
            "  {:<id_width$}  {:<11}  {:<20}  {}",
            step.id,
            step.state,
            step.created.as_deref().unwrap_or("-"),
            step.name
        );
        if let Some(failure) = &step.failure {
            let _ = writeln!(out, "  {:<id_width$}  {failure}", "");
        }
    }
    out
}
