//! The topology file: read it, check it, and hand the rest of clusterup a [`Topology`] it can trust.
//!
//! Reading happens in passes, each with one job:
//! 1. file-level limits here: size, UTF-8, emptiness, and (`depth.rs`) flow nesting depth;
//! 2. `scan.rs`: well-formed YAML, no duplicate keys, bounded alias expansion;
//! 3. serde into the `sections/` structs, whose value types (`types.rs`) check themselves, so a bad
//!    value is reported at its own position;
//! 4. `sections/`: defaults and the rules that span several values, located by `locate.rs`.
//!
//! The same `sections/` structs are the JSON Schema (`schema.rs`), so a setting is declared once.
//!
//! Only the first problem is reported: later ones are often consequences of it.

mod depth;
mod error;
mod locate;
pub mod model;
pub mod names;
mod position;
mod rules;
mod scan;
mod schema;
mod sections;
mod spans;
mod types;
pub mod versions;

#[cfg(test)]
mod tests;

use std::io::Read;
use std::path::Path;

pub use error::{Diagnostic, TopologyError};
pub use model::*;
pub use rules::{duration as parse_duration, format_duration};
pub use schema::json_schema;
pub use spans::Spans;

/// The rule of the topology's `name`, for deployment names given on the command line (`destroy --name`,
/// `output`, `init`): a name the topology would refuse names no deployment.
pub fn check_deployment_name(name: &str) -> Result<(), String> {
    rules::deployment_name(name)
}

/// A region name AWS knows (`--region`), checked as the topology's `region` is.
pub fn check_region(region: &str) -> Result<(), String> {
    rules::region(region)
}

impl Topology {
    /// A diagnostic about the field at `path` (`["database", "storage_gb"]`), at its place in the file
    /// this topology was read from: for rules that only a look at AWS can check (the database's storage
    /// can only grow), reported the way `validate` reports its own.
    pub fn diagnostic(&self, path: &[&str], message: impl Into<String>) -> Diagnostic {
        self.spans.diagnostic(&self.source, path, message)
    }
}

/// templates/app-user-data.sh, as written: the source of [`default_user_data`].
pub const DEFAULT_USER_DATA: &str = include_str!("../../templates/app-user-data.sh");

/// The user-data template used when `app.user_data` is not set: templates/app-user-data.sh without its
/// comment lines. They are a third of the script and EC2 takes at most 16 KB of user data, so the nodes
/// get the commands and the repository keeps the why. Kept: the interpreter lines (`#!`, the script's and
/// those of the scripts it installs) and shellcheck's directives, which the rendered script is checked
/// with. No line of the template's heredocs is a comment that matters to what it writes (checked by
/// tests/app_user_data.rs, which runs what it installs).
pub fn default_user_data() -> String {
    let kept = DEFAULT_USER_DATA.lines().filter(|line| {
        let code = line.trim_start();
        !code.starts_with('#') || code.starts_with("#!") || code.starts_with("# shellcheck ")
    });
    let mut script: String = kept.flat_map(|line| [line, "\n"]).collect();
    script.insert_str(
        script.find('\n').map_or(0, |end| end + 1),
        "# clusterup's default app-node bootstrap; its comments are in clusterup's templates/app-user-data.sh.\n",
    );
    script
}

/// Topology files are a few kilobytes; anything past this is a mistake (or an attack on the parser).
pub const MAX_FILE_BYTES: usize = 1024 * 1024;

const EMPTY: &str = "the topology is empty; expected a mapping with at least name, region and app";

/// A topology that passed every check, and what is weak about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    pub topology: Topology,
    pub warnings: Vec<Diagnostic>,
}

/// Read and check a topology file. A user-data template named in it is read relative to the file's
/// directory; without one, the built-in [`DEFAULT_USER_DATA`] is used.
pub fn load(path: &Path) -> Result<Checked, TopologyError> {
    let read_error = |cause| TopologyError::Read { path: path.to_owned(), cause };
    let file = std::fs::File::open(path).map_err(read_error)?;
    let mut bytes = Vec::new();
    // Read one byte past the limit to know it was exceeded without reading a huge file whole.
    file.take(MAX_FILE_BYTES as u64 + 1).read_to_end(&mut bytes).map_err(read_error)?;
    if bytes.len() > MAX_FILE_BYTES {
        return Err(too_large(path));
    }
    match String::from_utf8(bytes) {
        Ok(text) => parse(path, &text),
        Err(err) => {
            let offset = err.utf8_error().valid_up_to();
            let bytes = err.as_bytes();
            let (line, column) = position::position_of(bytes, offset);
            // The first byte that is not UTF-8 sits at `offset` (a file cut inside a character too: its
            // lead byte is there), so the byte is always named; the fallback only keeps this from panicking.
            let byte = bytes.get(offset).map_or_else(String::new, |b| format!(" (byte 0x{b:02X})"));
            Err(TopologyError::Invalid(error::at(
                path,
                line,
                column,
                format!("the file is not UTF-8 text{byte}; save it as UTF-8"),
            )))
        }
    }
}

/// Same as [`load`], from text. `source` is used in messages and to resolve relative paths.
pub fn parse(source: &Path, text: &str) -> Result<Checked, TopologyError> {
    parse_on(source, text, versions::Date::today())
}

/// [`parse`] as if today were `today` (which versions are past their end of standard support).
pub fn parse_on(source: &Path, text: &str, today: versions::Date) -> Result<Checked, TopologyError> {
    let invalid = TopologyError::Invalid;
    // Editors hide a byte-order mark, so columns on line 1 should not count it.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.len() > MAX_FILE_BYTES {
        return Err(too_large(source));
    }
    // Before any YAML parser: deep flow nesting is slow to parse, not only wrong.
    if let Err(deep) = depth::check(text) {
        return Err(invalid(error::at(source, deep.line, deep.column, depth::message())));
    }
    scan::scan(text).map_err(|err| {
        // Scan only raises its own duplicate-key error about a field; everything else is syntax.
        let about_field = err.inner().to_string().contains(scan::DUPLICATE_KEY);
        invalid(error::from_yaml(source, text, err, about_field))
    })?;
    let raw: Option<sections::RawTopology> = serde_path_to_error::deserialize(serde_yaml::Deserializer::from_str(text))
        .map_err(|err| invalid(error::from_yaml(source, text, err, true)))?;
    let Some(raw) = raw else {
        return Err(invalid(error::at(source, 1, 1, EMPTY)));
    };
    let spans = spans::Spans::new(text);
    let (topology, warnings) = sections::validate(raw, source, spans, &default_user_data(), today)
        .map_err(|finding| invalid(finding.locate(source, text)))?;
    let warnings = warnings.into_iter().map(|w| w.locate(source, text)).collect();
    Ok(Checked { topology, warnings })
}

fn too_large(path: &Path) -> TopologyError {
    TopologyError::Invalid(error::at(
        path,
        1,
        1,
        format!("the file is larger than {MAX_FILE_BYTES} bytes (1 MiB); a topology is a few kilobytes"),
    ))
}
