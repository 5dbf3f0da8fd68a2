//! The corpus in tests/fixtures/invalid: every file is rejected by `validate` and by `plan`, with
//! exit code 1, a message at the exact file:line:col the file's first line names, and no AWS call.

use std::path::Path;

use crate::support::{assert_code, clusterup_with_endpoint, stderr, CallCounter};

/// `# expect: LINE:COL: SUBSTRING`
fn expectation(path: &Path) -> (String, String) {
    let bytes = std::fs::read(path).expect("read fixture");
    let first = String::from_utf8_lossy(&bytes).lines().next().unwrap_or_default().to_owned();
    let rest =
        first.strip_prefix("# expect: ").unwrap_or_else(|| panic!("{} lacks a `# expect:` line", path.display()));
    let (line, rest) = rest.split_once(':').expect("LINE:");
    let (col, substring) = rest.split_once(':').expect("COL:");
    (format!("{}:{line}:{col}:", path.display()), substring.trim().to_owned())
}

#[test]
fn every_invalid_topology_is_rejected_at_its_place_without_aws_calls() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/invalid");
    let mut files: Vec<_> =
        std::fs::read_dir(&dir).expect("fixtures").filter_map(|e| e.ok().map(|e| e.path())).collect();
    files.sort();
    assert!(files.len() >= 25, "the corpus has only {} files", files.len());
    let counter = CallCounter::start();
    for file in &files {
        let (place, substring) = expectation(file);
        for command in ["validate", "plan"] {
            let out = clusterup_with_endpoint(&counter.url, &[command, &file.to_string_lossy()]);
            assert_code(&out, 1);
            let err = stderr(&out);
            assert!(err.contains(&place), "{command} {}: expected {place} in:\n{err}", file.display());
            assert!(err.contains(&substring), "{command} {}: expected {substring:?} in:\n{err}", file.display());
            assert!(!err.contains("panicked"), "{command} {} panicked:\n{err}", file.display());
        }
    }
    assert_eq!(counter.connections(), 0, "an invalid topology made an AWS call");
    eprintln!("{} invalid topologies rejected with a located message and zero AWS calls", files.len());
}
