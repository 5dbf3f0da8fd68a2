//! The corpus of invalid topologies in tests/fixtures/invalid: each file is invalid for one reason and
//! says where and why on its first line, `# expect: LINE:COL: SUBSTRING`. The integration tests run the
//! real binary over the same files; this test keeps the expectations true for the parser itself.

use std::path::{Path, PathBuf};

use super::*;
use crate::topology::load;

fn corpus() -> Vec<PathBuf> {
    let dir = crate_dir().join("tests/fixtures/invalid");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    files.sort();
    files
}

/// `# expect: 12:5: some text` -> (12, 5, "some text").
fn expectation(path: &Path) -> (usize, usize, String) {
    let bytes = std::fs::read(path).expect("read fixture");
    let first = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
    let first = String::from_utf8_lossy(first);
    let parsed = first.strip_prefix("# expect: ").and_then(|rest| {
        let mut parts = rest.splitn(3, ':');
        let line = parts.next()?.trim().parse().ok()?;
        let column = parts.next()?.trim().parse().ok()?;
        let needle = parts.next()?.trim().to_owned();
        (!needle.is_empty()).then_some((line, column, needle))
    });
    parsed.unwrap_or_else(|| panic!("{}: first line must be `# expect: LINE:COL: SUBSTRING`", path.display()))
}

#[test]
fn corpus_is_large_and_well_named() {
    let files = corpus();
    assert!(files.len() >= 25, "only {} fixtures", files.len());
    for file in &files {
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let well_named = name.len() > 8
            && name.as_bytes()[..2].iter().all(u8::is_ascii_digit)
            && name.as_bytes()[2] == b'-'
            && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
        assert!(well_named, "{name}: expected NN-short-name.yaml");
    }
}

#[test]
fn every_fixture_fails_where_it_says() {
    let mut failures = Vec::new();
    for file in corpus() {
        let (line, column, needle) = expectation(&file);
        match load(&file) {
            Err(TopologyError::Invalid(d)) => {
                let shown = d.to_string();
                let prefix = format!("{}:{line}:{column}: ", file.display());
                if !shown.starts_with(&prefix) || !shown.contains(&needle) {
                    failures.push(format!("expected {line}:{column}: {needle}\n     got {shown}"));
                }
            }
            Err(other) => failures.push(format!("{}: not an Invalid error: {other}", file.display())),
            Ok(_) => failures.push(format!("{}: parsed without error", file.display())),
        }
    }
    assert!(failures.is_empty(), "{} fixture(s) wrong:\n{}", failures.len(), failures.join("\n"));
}

/// Every fixture's whole message, as users read it: a change to any wording or position shows here as a
/// reviewed snapshot change, not only a broken substring.
#[test]
fn corpus_messages_are_as_reviewed() {
    let root = crate_dir();
    let shown: Vec<String> = corpus()
        .iter()
        .map(|file| match load(file) {
            Err(err) => err.to_string().replace(&format!("{}/", root.display()), ""),
            Ok(_) => format!("{}: parsed without error", file.display()),
        })
        .collect();
    insta::assert_snapshot!(shown.join("\n"));
}
