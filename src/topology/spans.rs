//! Where each field of a topology file is, kept with the checked topology.
//!
//! Some findings about a field can only be made after loading: a change AWS refuses (a database's
//! storage can only grow) shows once AWS has been asked what exists. The checked [`super::Topology`]
//! carries the text it was read from, and a finding is located in it on demand by the same parser that
//! reports syntax errors (`locate.rs`), so positions always agree and the file is never read again (it
//! may have changed since, or be gone).

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use super::error::{Diagnostic, Finding};
use super::locate::YamlPath;

#[derive(Clone, PartialEq, Eq, Default)]
pub struct Spans {
    text: Arc<str>,
}

impl Spans {
    pub fn new(text: &str) -> Self {
        Spans { text: Arc::from(text) }
    }

    /// A diagnostic about the field at `path` (`["database", "storage_gb"]`) of the file `file` this was
    /// read from; a field the file leaves to its default points at the nearest enclosing one written.
    pub fn diagnostic(&self, file: &Path, path: &[&str], message: impl Into<String>) -> Diagnostic {
        let field = path.iter().fold(YamlPath::root(), |p, key| p.key(key));
        Finding::new(field, message).locate(file, &self.text)
    }
}

/// The text itself is not worth printing in a topology's debug view.
impl fmt::Debug for Spans {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Spans({} bytes)", self.text.len())
    }
}
