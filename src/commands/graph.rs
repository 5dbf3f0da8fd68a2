use std::fmt::Write as _;
use std::path::Path;

use anyhow::Result;

use super::{load_topology, ExitStatus};
use crate::cli::GraphFormat;
use crate::compose::{desired, offline_facts};
use crate::output::Printer;
use crate::plan::topological;

/// The dependency graph, offline: an edge A -> B means A must exist before B.
pub fn run(file: &Path, format: GraphFormat, printer: &Printer) -> Result<ExitStatus> {
    let topology = load_topology(file, printer)?;
    let resources = desired(&topology, &offline_facts(&topology))?;
    let ordered = topological(&resources);
    let id = |s: &str| s.replace(['/', '-'], "_");
    let mut out = String::new();
    match format {
        GraphFormat::Dot => {
            let _ = writeln!(out, "digraph \"{}\" {{\n  rankdir=LR;\n  node [shape=box];", topology.name);
            for r in &ordered {
                let _ = writeln!(out, "  \"{}\";", r.address);
                for dep in r.depends_on() {
                    let _ = writeln!(out, "  \"{dep}\" -> \"{}\";", r.address);
                }
            }
            out.push_str("}\n");
        }
        GraphFormat::Mermaid => {
            out.push_str("flowchart LR\n");
            for r in &ordered {
                let _ = writeln!(out, "  {}[\"{}\"]", id(r.address.as_str()), r.address);
                for dep in r.depends_on() {
                    let _ = writeln!(out, "  {} --> {}", id(dep.as_str()), id(r.address.as_str()));
                }
            }
        }
    }
    printer.out(&out);
    Ok(ExitStatus::Success)
}
