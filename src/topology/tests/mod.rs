//! Tests of the topology module. Error tests assert the exact line, column and field: where an error
//! points is as much the contract as what it says.

mod alerts;
mod app;
mod basics;
mod corpus;
mod docs;
mod fuzz;
mod hostile;
mod load_balancer;
mod network;
mod node_groups;
mod rules;
mod schema;
mod services;
mod versions;
mod warnings;

use std::path::{Path, PathBuf};

use super::{parse, Checked, Diagnostic, TopologyError};

/// The smallest valid file: name, region, app.instance_type. Lines 1-4; `app` is the last section, so
/// `minimal_with("  port: 80\n")` adds to it and `minimal_with("database:\n")` starts a new one.
pub const MINIMAL: &str = "name: web\nregion: us-east-1\napp:\n  instance_type: t3.small\n";

pub fn minimal_with(extra: &str) -> String {
    format!("{MINIMAL}{extra}")
}

pub fn source() -> &'static Path {
    Path::new("topology.yaml")
}

#[track_caller]
pub fn ok(text: &str) -> Checked {
    match parse(source(), text) {
        Ok(checked) => checked,
        Err(err) => panic!("expected the topology to be valid, got: {err}\n---\n{text}"),
    }
}

#[track_caller]
pub fn err(text: &str) -> Diagnostic {
    match parse(source(), text) {
        Err(TopologyError::Invalid(diagnostic)) => diagnostic,
        Err(other) => panic!("expected an Invalid error, got {other:?}"),
        Ok(_) => panic!("expected an error, the topology is valid:\n{text}"),
    }
}

/// Assert the first error's position, field and (a substring of) its message.
#[track_caller]
pub fn expect_err(text: &str, line: usize, column: usize, field: &str, needle: &str) {
    let d = err(text);
    assert_eq!((d.line, d.column, d.field.as_str()), (line, column, field), "wrong place for: {d}\n---\n{text}");
    assert!(d.message.contains(needle), "message lacks {needle:?}: {d}");
}

/// The root of the main crate (the scratch build symlinks `examples` and `tests` to it).
pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A directory under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("clusterup-topology-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }

    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.0.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create dir");
        }
        std::fs::write(&path, contents).expect("write file");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
