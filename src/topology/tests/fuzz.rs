//! Property tests over the parser (proptest, a bounded number of cases so they run in CI every time):
//! whatever the text, `parse` returns, never panics, and every error it gives points at a line and column
//! inside the text.

use proptest::prelude::*;

use super::*;

const EXAMPLES: [&str; 3] = [
    include_str!("../../../examples/web-tier.yaml"),
    include_str!("../../../examples/smarten.yaml"),
    include_str!("../../../examples/smarten-spark.yaml"),
];

/// Words a topology is made of, so random documents reach deep into the checks.
const WORDS: &[&str] = &[
    "name",
    "region",
    "app",
    "instance_type",
    "network",
    "cidr",
    "availability_zones",
    "nat",
    "database",
    "spark",
    "release",
    "scaling",
    "min",
    "max",
    "mode",
    "core",
    "count",
    "load_balancer",
    "listeners",
    "port",
    "tags",
    "shared_storage",
    "mount_path",
    "metastore",
    "us-east-1",
    "emr-7.5.0",
    "t3.small",
    "10.0.0.0/16",
    "single",
    "managed",
    "custom",
    "80",
    "-1",
    "0",
    "99999999999",
    "true",
    "null",
    "~",
    "&a",
    "*a",
    "!!binary",
    "[",
    "]",
    "{",
    "}",
    ":",
    "-",
    "'",
    "\"",
    "#",
    "\t",
    "é",
    "\u{0}",
];

fn check(text: &str) -> Result<(), TestCaseError> {
    if let Err(TopologyError::Invalid(d)) = parse(source(), text) {
        let lines = text.lines().count().max(1);
        prop_assert!(d.line >= 1 && d.line <= lines + 1, "line {} outside 1..={}: {d}", d.line, lines + 1);
        prop_assert!(d.column >= 1, "column {}: {d}", d.column);
        prop_assert!(!d.message.is_empty());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_is_answered_without_panic(text in "\\PC{0,300}") {
        check(&text)?;
    }

    #[test]
    fn documents_of_topology_words_are_answered_without_panic(
        lines in prop::collection::vec((0usize..4, prop::collection::vec(prop::sample::select(WORDS), 1..4)), 0..20)
    ) {
        let text: String = lines
            .iter()
            .map(|(indent, words)| format!("{}{}\n", "  ".repeat(*indent), words.join(": ")))
            .collect();
        check(&text)?;
    }

    #[test]
    fn edited_examples_are_answered_without_panic(
        example in 0usize..EXAMPLES.len(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), prop::sample::select(WORDS)), 1..6)
    ) {
        let mut text = EXAMPLES[example].to_owned();
        for (at, word) in edits {
            let mut cut = at.index(text.len() + 1);
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.insert_str(cut, word);
        }
        check(&text)?;
    }
}

/// Found by the proptest above: the YAML parser ends lines at U+2028 too (and counts it as two), but
/// editors do not; the location must stay inside the file as the user sees it.
#[test]
fn a_unicode_line_separator_does_not_move_the_location_past_the_file() {
    check("$: 0\u{2028}¡").expect("located inside the text");
    let Err(TopologyError::Invalid(d)) = parse(source(), "name: demo\nregion: [\u{2028}x") else {
        panic!("must be rejected")
    };
    assert_eq!(d.line, 2, "{d}");
}
