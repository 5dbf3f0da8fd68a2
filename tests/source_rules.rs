//! Rules about the source itself that a reviewer would otherwise have to count by hand.

use std::path::{Path, PathBuf};

/// The most `unwrap_or_default` calls outside tests (issue 24: AWS answers are read strictly, and a
/// default is kept only where absence means something).
const MAX_UNWRAP_OR_DEFAULT: usize = 40;

/// How many lines above a call its statement and comment may start.
const COMMENT_REACH: usize = 8;

/// Whether the call on `lines[at]` has a comment: on its statement's lines or just above them, or in the
/// doc of the function whose first statement it is.
fn commented(lines: &[(usize, &str)], at: usize) -> bool {
    let mut line = at;
    loop {
        if lines[line].1.contains("//") {
            return true;
        }
        if line == 0 || at - line >= COMMENT_REACH {
            return false;
        }
        let above = lines[line - 1].1.trim();
        let ends_a_statement = above.ends_with(';') || above.ends_with('}') || above.ends_with('{');
        if ends_a_statement && !above.starts_with("//") && !above.contains("fn ") {
            return false;
        }
        line -= 1;
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            // Test modules in their own directory (`foo/tests/*.rs`) are test code.
            if path.file_name().is_some_and(|n| n != "tests") {
                rust_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name != "tests.rs" && !name.ends_with("_tests.rs") {
                out.push(path);
            }
        }
    }
}

/// The lines of `text` outside items marked `#[cfg(test)]`, with their 1-based numbers.
fn non_test_lines(text: &str) -> Vec<(usize, &str)> {
    let mut kept = Vec::new();
    let (mut marked, mut depth, mut inside) = (false, 0i64, false);
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if !inside && trimmed.starts_with("#[cfg(test)]") {
            marked = true;
            continue;
        }
        if marked {
            if line.contains('{') {
                (marked, inside, depth) = (false, true, 0);
            } else if trimmed.ends_with(';') {
                // A one-line item (`mod tests;`, a `use`): nothing follows it.
                marked = false;
                continue;
            }
        }
        if inside {
            depth += line.matches('{').count() as i64 - line.matches('}').count() as i64;
            if depth <= 0 && line.contains('}') {
                inside = false;
            }
            continue;
        }
        kept.push((i + 1, line));
    }
    kept
}

#[test]
fn unwrap_or_default_outside_tests_is_rare_and_says_what_absence_means() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    assert!(files.len() > 100, "the walk found the sources ({} files)", files.len());
    let (mut calls, mut silent) = (Vec::new(), Vec::new());
    for file in &files {
        let text = std::fs::read_to_string(file).expect("a source file is UTF-8");
        let lines = non_test_lines(&text);
        for (at, &(number, line)) in lines.iter().enumerate() {
            if !line.contains("unwrap_or_default") {
                continue;
            }
            let place = format!("{}:{number}", file.strip_prefix(&root).unwrap_or(file).display());
            if !commented(&lines, at) {
                silent.push(place.clone());
            }
            calls.push(place);
        }
    }
    assert!(
        calls.len() <= MAX_UNWRAP_OR_DEFAULT,
        "{} unwrap_or_default outside tests (at most {MAX_UNWRAP_OR_DEFAULT}): read AWS's answers strictly \
         (`.required(call, field, resource)`) and keep a default only where absence means something:\n{}",
        calls.len(),
        calls.join("\n")
    );
    assert!(silent.is_empty(), "say what absence means in a comment beside these:\n{}", silent.join("\n"));
}

#[test]
fn test_items_are_told_apart_from_the_code_around_them() {
    let text = "fn a() {}\n#[cfg(test)]\nmod tests {\n    fn b() { x.unwrap_or_default() }\n}\nfn c() {}\n#[cfg(test)]\nmod more;\nfn d() {}\n";
    let kept: Vec<&str> = non_test_lines(text).into_iter().map(|(_, l)| l).collect();
    assert_eq!(kept, ["fn a() {}", "fn c() {}", "fn d() {}"]);
}

#[test]
fn a_comment_counts_on_the_statement_above_it_or_on_the_functions_doc() {
    let lines = |text: &'static str| -> Vec<(usize, &'static str)> { text.lines().enumerate().collect() };
    let chain = lines("let a = 1;\n// absent: none\nlet b = x\n    .map(f)\n    .unwrap_or_default();");
    assert!(commented(&chain, 4));
    let bare = lines("// about a\nlet a = 1;\nlet b = x.unwrap_or_default();");
    assert!(!commented(&bare, 2), "a comment on the statement before does not count");
    let doc = lines("/// Empty when absent.\nfn f() -> Vec<u8> {\n    x.unwrap_or_default()");
    assert!(commented(&doc, 2));
}
