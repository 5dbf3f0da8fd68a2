//! Hostile or broken input: errors, never hangs or panics.

use std::time::{Duration, Instant};

use super::*;
use crate::topology::{load, parse, MAX_FILE_BYTES};

/// Generous for a debug build on a slow machine; a hang would take minutes.
const QUICK: Duration = Duration::from_secs(5);

#[track_caller]
fn quick_err(text: &str) -> Diagnostic {
    let start = Instant::now();
    let d = err(text);
    assert!(start.elapsed() < QUICK, "took {:?}", start.elapsed());
    d
}

#[test]
fn billion_laughs_is_stopped() {
    let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for level in 1..10u8 {
        let (prev, this) = (char::from(b'a' + level - 1), char::from(b'a' + level));
        let items = vec![format!("*{prev}"); 10].join(", ");
        text.push_str(&format!("{this}: &{this} [{items}]\n"));
    }
    let d = quick_err(&text);
    assert!(d.message.contains("alias bomb"), "{d}");
    assert_eq!(d.field, "");
}

#[test]
fn doubling_aliases_are_stopped_and_located() {
    // Small enough that serde_yaml's own repetition limit fires first; it has no position, so the
    // first alias is named.
    let mut text = String::from("a0: &a0 x\n");
    for i in 1..15 {
        text.push_str(&format!("a{i}: &a{i} [*a{p}, *a{p}]\n", p = i - 1));
    }
    let d = quick_err(&text);
    assert_eq!((d.line, d.column), (2, 10), "{d}");
    assert!(d.message.contains("alias bomb"), "{d}");
}

#[test]
fn one_big_anchor_replayed_many_times_is_stopped() {
    let text = format!("x: &a [{}]\ny: [{}]\n", "1,".repeat(50_000), "*a,".repeat(50_000));
    assert!(text.len() < MAX_FILE_BYTES);
    let d = quick_err(&text);
    assert!(d.message.contains("more than 20000 values once aliases are expanded"), "{d}");
}

#[test]
fn deep_nesting_is_an_error() {
    let flow = minimal_with(&format!("tags: {}{}\n", "[".repeat(5000), "]".repeat(5000)));
    let d = quick_err(&flow);
    assert!(d.message.contains("nested too deeply"), "{d}");
    // The 129th bracket: `tags: ` is 6 characters.
    assert_eq!((d.line, d.column), (5, 6 + 129), "{d}");
    let block: String = (0..300).map(|i| format!("{}k{i}:\n", " ".repeat(2 * i))).collect();
    let d = quick_err(&block);
    assert!(d.message.contains("nested too deeply"), "{d}");
    // 100,000 levels of block sequences cost the parser linear time; serde_yaml refuses them.
    let dashes = format!("name:\n{}x\n", "- ".repeat(100_000));
    let d = quick_err(&dashes);
    assert!(d.message.contains("nested too deeply (serde_yaml stops at 128 levels)"), "{d}");
}

/// 100,000 nested brackets (200 KB) took the YAML parser minutes (its work grows with the square of
/// the depth). The depth pre-scan refuses them before the parser sees them, at the bracket past the
/// limit; its message (not serde_yaml's) shows which pass did.
#[test]
fn a_hundred_thousand_nested_brackets_are_refused_by_the_pre_scan() {
    let text = format!("name: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
    let d = err(&text);
    assert_eq!((d.line, d.column, d.field.as_str()), (1, 6 + 129, ""), "{d}");
    assert_eq!(
        d.message,
        "the document is nested too deeply: more than 128 levels of [ ] or { } here; a topology needs a few"
    );
    // Braces, mixed, on several lines, count the same.
    let text = format!("{MINIMAL}tags:\n  team: {}\n", "{a: [\n".repeat(50_000));
    let d = err(&text);
    // Two levels a line from line 6: the 129th is the `{` of line 70.
    assert_eq!((d.line, d.column), (70, 1), "{d}");
    assert!(d.message.contains("more than 128 levels"), "{d}");
}

/// Brackets in comments, quoted strings, block scalars and plain text are not nesting.
#[test]
fn brackets_that_are_text_do_not_count() {
    let many = "[".repeat(300);
    let braces = "{".repeat(300);
    ok(&minimal_with(&format!("# {many}\n  # {braces}\n")));
    let lb = |path: &str| {
        minimal_with(&format!("network:\n  nat: per_az\nload_balancer:\n  health_check:\n    path: {path}\n"))
    };
    for (written, read) in [
        (format!("\"/{many}\""), format!("/{many}")),
        (format!("'/{many}'"), format!("/{many}")),
        (format!("'/it''s{many}'"), format!("/it's{many}")),
        (format!("\"/\\\"{many}\""), format!("/\"{many}")),
        (format!("/{many}"), format!("/{many}")),
        (format!("/a{braces}"), format!("/a{braces}")),
    ] {
        assert_eq!(ok(&lb(&written)).topology.load_balancer.health_check.path, read);
    }
    // In flow collections too.
    ok(&minimal_with(&format!("load_balancer:\n  health_check: {{ path: \"/{many}\" }}  # {many}\n")));
    ok(&minimal_with(&format!("load_balancer: {{ health_check: {{ path: '/{many}' }} }}\n")));
}

#[test]
fn the_depth_pre_scan_reads_yaml_as_yaml() {
    use crate::topology::depth::{check, TooDeep};
    let deep = "[".repeat(129);
    let refused = |text: &str| check(text).expect_err(text);
    // Not nesting: comments, both quote styles (with their escapes), block scalars, plain scalars.
    for text in [
        format!("a: 1 # {deep}\n"),
        format!("# {deep}\n"),
        format!("a: \"{deep}\"\n"),
        format!("a: \"x\\\"{deep}\"\n"),
        format!("a: 'it''s {deep}'\n"),
        format!("a: '\n  {deep}\n  '\n"),
        format!("a: |\n  {deep}\n  {deep}\n\n  {deep}\nb: 1\n"),
        format!("- >-\n   {deep}\n"),
        format!("a:\n  - key: |\n      {deep}\n"),
        format!("a: see {deep}\n"),
        format!("a: it's {deep}\n"),
        format!("a: [\"{deep}\", '{deep}', x # {deep}\n  ]\n"),
        format!("{{\"a\":\"{deep}\"}}\n"),
        format!("a: b\n  c {deep}\n"),
        format!("%YAML 1.1\n--- |\n  {deep}\n"),
    ] {
        assert_eq!(check(&text), Ok(()), "{text}");
    }
    // Nesting wherever YAML reads a bracket as one.
    assert_eq!(refused(&deep), TooDeep { line: 1, column: 129 });
    assert_eq!(refused(&format!("a:\n  - {deep}")), TooDeep { line: 2, column: 133 });
    assert_eq!(refused(&format!("? {deep}")), TooDeep { line: 1, column: 131 });
    assert_eq!(refused(&format!("--- {deep}")), TooDeep { line: 1, column: 133 });
    assert_eq!(refused(&format!("a: &x !!seq {deep}")), TooDeep { line: 1, column: 141 });
    assert_eq!(refused(&format!("a: [x, 'y', \"z\", {deep}")).line, 1);
    // After a block scalar ends, brackets count again.
    assert_eq!(refused(&format!("a: |\n  text\nb: {deep}")).line, 3);
    // A line that may continue a plain scalar: a bracket starting it counts, and what looks like a
    // quote there does not hide the rest of the document.
    assert_eq!(refused(&format!("a: b\n  {deep}")).line, 2);
    assert_eq!(refused(&format!("a: b\n  \"c\nd: {deep}")).line, 3);
    assert_eq!(refused(&format!("a:\n  b\n \"c\nd: {deep}")).line, 4);
    assert_eq!(refused(&format!("a: b\n  [x, 'y\nd: {deep}")).line, 3);
    // A quoted key at the start of a line is a quote.
    assert_eq!(refused(&format!("a: b\n\"k # {deep}\": {deep}")).column, 5 + 129 + 3 + 129);
}

#[test]
fn aliases_that_stay_small_are_fine() {
    let t = ok("name: web\nregion: us-east-1\napp:\n  instance_type: &type t3.small\nspark:\n  release: emr-7.5.0\n  core: { instance_type: *type }\n");
    assert_eq!(t.topology.spark.map(|s| s.core.instance_type), Some("t3.small".into()));
    quick_err(&minimal_with("tags: *nowhere\n"));
}

#[test]
fn text_over_the_limit_is_refused_before_parsing() {
    let text = format!("{MINIMAL}#{}\n", "x".repeat(MAX_FILE_BYTES));
    let d = quick_err(&text);
    assert_eq!((d.line, d.column), (1, 1));
    assert!(d.message.contains("larger than 1048576 bytes (1 MiB)"), "{d}");
}

#[test]
fn load_refuses_large_files_without_reading_them_whole() {
    let dir = TempDir::new("large");
    let path = dir.write("big.yaml", vec![b'#'; MAX_FILE_BYTES + 10]);
    match load(&path) {
        Err(TopologyError::Invalid(d)) => assert!(d.message.contains("1 MiB"), "{d}"),
        other => panic!("{other:?}"),
    }
    // Exactly at the limit is fine as far as size goes (here: a file of comments, so empty).
    let path = dir.write("limit.yaml", vec![b'#'; MAX_FILE_BYTES]);
    match load(&path) {
        Err(TopologyError::Invalid(d)) => {
            assert!(d.message.contains("the topology is empty"), "{d}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn non_utf8_is_located() {
    let dir = TempDir::new("latin1");
    let path = dir.write("t.yaml", b"name: web\nregion: us-east-1\ntags: { owner: \"J\xe9r\xf4me\" }\n");
    match load(&path) {
        Err(TopologyError::Invalid(d)) => {
            assert_eq!((d.line, d.column, d.field.as_str()), (3, 18, ""), "{d}");
            assert!(d.message.contains("not UTF-8 text (byte 0xE9)"), "{d}");
            assert_eq!(d.file, path);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn unreadable_file_is_a_read_error() {
    let dir = TempDir::new("missing");
    let path = dir.0.join("nope.yaml");
    match load(&path) {
        Err(err @ TopologyError::Read { .. }) => {
            assert!(err.to_string().starts_with(&format!("cannot read {}: ", path.display())), "{err}");
        }
        other => panic!("{other:?}"),
    }
    // A directory opens on Linux but cannot be read.
    assert!(matches!(load(&dir.0), Err(TopologyError::Read { .. })));
}

#[test]
fn control_characters_and_odd_scalars_are_errors() {
    quick_err("name: web\u{0007}\nregion: us-east-1\napp: { instance_type: t3.small }\n");
    quick_err(&minimal_with("? [a, b]\n: 1\n"));
    quick_err(&minimal_with("tags: !!binary aGVsbG8=\n"));
}

/// Every one-character edit of a realistic file either parses or errors; none panics.
#[test]
fn single_character_edits_never_panic() {
    let original = "name: web\nregion: us-east-1\ntags: { team: bi }\nnetwork:\n  cidr: 10.20.0.0/16\n  availability_zones: [us-east-1a, us-east-1b]\nload_balancer:\n  listeners: [{ port: 80 }]\n  stickiness: { duration: 1h }\napp:\n  instance_type: t3.small\n  capacity: { min: 2, max: 4 }\n  scaling: { cpu_target: 60 }\ndatabase:\n  engine_version: 8.0\nspark:\n  release: emr-7.5.0\n";
    let chars: Vec<char> = original.chars().collect();
    let replacements = [
        None,
        Some(':'),
        Some('-'),
        Some('['),
        Some('{'),
        Some('"'),
        Some('\t'),
        Some('&'),
        Some('*'),
        Some('!'),
        Some('\n'),
        Some('0'),
    ];
    for i in 0..chars.len() {
        for replacement in replacements {
            let mut edited = chars.clone();
            match replacement {
                Some(c) => edited[i] = c,
                None => {
                    edited.remove(i);
                }
            }
            let text: String = edited.into_iter().collect();
            // Any result is fine; reaching the next iteration means no panic.
            if let Err(TopologyError::Invalid(d)) = parse(source(), &text) {
                assert!(d.line >= 1 && d.column >= 1, "{d}");
            }
        }
    }
}
