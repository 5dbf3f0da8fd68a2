//! Live progress of apply and destroy, one line per event on stderr (readable in CI logs too).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use super::{secs, Printer};
use crate::engine::{Event, Hook};
use crate::model::Address;

/// How often a long wait is reported again when nothing else changes.
const REPEAT_WAIT_EVERY: Duration = Duration::from_secs(15);

pub struct ProgressView {
    printer: Printer,
    /// Per resource: the last wait line shown and when.
    last_wait: Mutex<HashMap<Address, (String, Duration)>>,
}

impl ProgressView {
    pub fn new(printer: Printer) -> Self {
        ProgressView { printer, last_wait: Mutex::new(HashMap::new()) }
    }
}

impl Hook for ProgressView {
    fn event(&self, event: &Event<'_>) {
        let style = self.printer.err_style();
        match event {
            Event::Started { address, op } => {
                self.printer.progress(&format!("  {} {address}", style.dim(op.verb().0)));
            }
            Event::Waiting { address, seen, waited } => {
                let Ok(mut last) = self.last_wait.lock() else { return };
                let show = match last.get(*address) {
                    Some((text, at)) => text != seen || *waited >= *at + REPEAT_WAIT_EVERY,
                    None => true,
                };
                if show {
                    last.insert((*address).clone(), ((*seen).to_owned(), *waited));
                    self.printer.progress(&format!("  {} {address}: {seen} ({})", style.dim("waiting "), secs(*waited)));
                }
            }
            Event::Finished { address, op, elapsed } => {
                self.printer.progress(&format!("  {} {address} in {}", style.green(op.verb().1), secs(*elapsed)));
            }
            Event::Failed { address, op, error } => {
                self.printer.status(&format!("  {} {} {address}: {error}", style.red("failed"), op.verb().0));
            }
            Event::Skipped { address, because, .. } => {
                self.printer.status(&format!("  {} {address} (needs {because}, which failed)", style.yellow("skipped")));
            }
            Event::Stopping => self.printer.status(&format!(
                "{} interrupt received: finishing the actions in flight, starting nothing new (press Ctrl-C again to exit at once)",
                style.yellow("stopping:")
            )),
        }
    }
}
