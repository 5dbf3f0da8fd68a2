use std::path::Path;

use anyhow::Result;

use super::{load_topology, ExitStatus};
use crate::compose::{desired, offline_facts};
use crate::output::Printer;

/// Offline: no credentials, no AWS call.
pub fn run(file: &Path, printer: &Printer) -> Result<ExitStatus> {
    let topology = load_topology(file, printer)?;
    let resources = desired(&topology, &offline_facts(&topology))?;
    printer.out(&format!(
        "{} is valid: deployment {} in {}, {} resources.\n",
        file.display(),
        topology.name,
        topology.region,
        resources.len()
    ));
    Ok(ExitStatus::Success)
}
