//! Everything users read: the printer (the only code that writes to the terminal), the plan view, the
//! apply/destroy progress view and the outputs view.

mod cost_view;
mod exec_view;
mod plan_json;
mod plan_view;
mod printer;
mod progress;
mod snapshot_view;
mod spark_view;
mod status_view;
mod style;
mod time_summary;

pub use cost_view::{render_cost, render_cost_change};
pub use exec_view::render_invocation;
pub use plan_json::{plan_json, FORMAT_VERSION as PLAN_JSON_FORMAT_VERSION};
pub use plan_view::{render_plan, render_plan_compact, render_plan_summary, render_summary};
pub use printer::{ColorChoice, Printer};
pub use progress::ProgressView;
pub use snapshot_view::{render_snapshots, snapshots_json};
pub use spark_view::{render_step, render_steps};
pub use status_view::{clear_screen, render_status};
pub use style::Style;
pub use time_summary::{render_calls, render_serving, render_time_summary};

/// How long a plan takes on AWS. The one call into the estimator, for the plan view and the progress
/// view alike.
pub(crate) fn estimate(plan: &crate::plan::Plan) -> Option<crate::engine::Estimate> {
    crate::engine::estimate(plan)
}

/// `4.2s` under a minute, `17m58s` above.
pub(crate) fn secs(d: std::time::Duration) -> String {
    if d.as_secs() >= 60 {
        format!("{}m{:02}s", d.as_secs() / 60, d.as_secs() % 60)
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

/// Outputs as aligned `key = value` lines.
pub fn render_outputs(outputs: &[(String, String)]) -> String {
    let width = outputs.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    outputs.iter().map(|(k, v)| format!("{k:<width$} = {v}\n")).collect()
}

/// Outputs as a JSON object.
pub fn outputs_json(outputs: &[(String, String)]) -> serde_json::Value {
    serde_json::Value::Object(outputs.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone()))).collect())
}
