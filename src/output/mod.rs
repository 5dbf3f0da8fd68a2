//! Everything users read: the printer (the only code that writes to the terminal), the plan view, the
//! apply/destroy progress view and the outputs view.

mod plan_view;
mod printer;
mod progress;
mod style;
mod time_summary;

pub use plan_view::{render_plan, render_summary};
pub use printer::{ColorChoice, Printer};
pub use progress::ProgressView;
pub use style::Style;
pub use time_summary::{render_calls, render_serving, render_time_summary};

/// `4.2s` under a minute, `17m58s` above.
pub(crate) fn secs(d: std::time::Duration) -> String {
    if d.as_secs() >= 60 {
        format!("{}m{:02}s", d.as_secs() / 60, d.as_secs() % 60)
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

/// Outputs as aligned `key = value` lines.
pub fn render_outputs(outputs: &[(&'static str, String)]) -> String {
    let width = outputs.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    outputs.iter().map(|(k, v)| format!("{k:<width$} = {v}\n")).collect()
}

/// Outputs as a JSON object.
pub fn outputs_json(outputs: &[(&'static str, String)]) -> serde_json::Value {
    serde_json::Value::Object(
        outputs.iter().map(|(k, v)| ((*k).to_owned(), serde_json::Value::String(v.clone()))).collect(),
    )
}
