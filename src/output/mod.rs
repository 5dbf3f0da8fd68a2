//! Everything users read: the printer (the only code that writes to the terminal), the plan view, the
//! apply/destroy progress view and the outputs view.

mod plan_view;
mod printer;
mod progress;
mod style;

pub use plan_view::{render_plan, render_summary};
pub use printer::{ColorChoice, Printer};
pub use progress::ProgressView;
pub use style::Style;

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
