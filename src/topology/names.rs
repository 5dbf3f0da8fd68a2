//! The names AWS knows, checked offline: regions, EC2 instance types (also EMR's nodes) and RDS for
//! MySQL DB instance classes, from the dated table `data/aws-names.json` that
//! `scripts/aws-names/generate.py` writes from botocore's copies of AWS's service models and endpoint
//! data (RDS's classes are derived from the EC2 types of the families RDS for MySQL documents; the
//! script says how). A name not in the table is refused with the closest known name, so a typo such as
//! `t3.smal` is caught by `validate`, not by AWS half-way through an apply.
//!
//! The same edit distance suggests the key meant by an unknown topology key (`instnce_type`).

use std::collections::BTreeSet;
use std::sync::OnceLock;

use serde::Deserialize;

/// Where the table lives, as messages name it.
pub const FILE: &str = "data/aws-names.json";

#[derive(Debug, Deserialize)]
struct Table {
    generated_on: String,
    regions: BTreeSet<String>,
    ec2_instance_types: BTreeSet<String>,
    rds_mysql_instance_classes: BTreeSet<String>,
}

/// The table, read once. It is part of the build and a unit test parses it, so an unreadable one is a
/// bug; should it happen anyway, nothing is refused for want of a list (`None`).
fn table() -> Option<&'static Table> {
    static TABLE: OnceLock<Option<Table>> = OnceLock::new();
    TABLE.get_or_init(|| serde_json::from_str(include_str!("../../data/aws-names.json")).ok()).as_ref()
}

/// What kind of name, for the message and the list it is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Known {
    Region,
    InstanceType,
    DbInstanceClass,
}

impl Known {
    fn list(self, table: &Table) -> &BTreeSet<String> {
        match self {
            Known::Region => &table.regions,
            Known::InstanceType => &table.ec2_instance_types,
            Known::DbInstanceClass => &table.rds_mysql_instance_classes,
        }
    }

    fn what(self) -> &'static str {
        match self {
            Known::Region => "an AWS region",
            Known::InstanceType => "an EC2 instance type",
            Known::DbInstanceClass => "an RDS for MySQL DB instance class",
        }
    }
}

/// `name` is one AWS knows, or a sentence saying which known name is closest.
pub fn check(kind: Known, name: &str) -> Result<(), String> {
    let Some(table) = table() else { return Ok(()) };
    let list = kind.list(table);
    if list.contains(name) {
        return Ok(());
    }
    let known = format!("AWS's list of {} in {FILE}", table.generated_on);
    Err(match closest(name, list.iter().map(String::as_str)) {
        Some(near) => format!("`{name}` is not {} (checked against {known}); did you mean {near}?", kind.what()),
        None => format!(
            "`{name}` is not {} (checked against {known}; if AWS added it since, regenerate the list with scripts/aws-names/generate.py)",
            kind.what()
        ),
    })
}

/// The candidate closest to `word` by edit distance (insertions, deletions, substitutions and swaps of
/// two neighbours), if it is close enough to be a typo of it: at most a third of the word's length, and
/// at least one edit. The first of equally close candidates wins.
pub fn closest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        let distance = edit_distance(word, candidate);
        if distance <= limit && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

/// Optimal string alignment distance: Levenshtein with the swap of two neighbouring characters counted
/// as one edit (`isntance` is one edit from `instance`).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // rows[i][j]: distance between a[..i] and b[..j].
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[i - 1][j] + 1).min(rows[i][j - 1] + 1).min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = best;
        }
    }
    rows[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_parses_is_dated_and_holds_names_everyone_uses() {
        let table = table().expect("data/aws-names.json parses");
        assert_eq!(table.generated_on.len(), 10, "a date: {}", table.generated_on);
        for region in ["us-east-1", "eu-west-1", "eu-central-1", "us-west-2", "ap-southeast-2", "us-gov-west-1"] {
            assert!(table.regions.contains(region), "{region}");
        }
        for instance_type in ["t3.small", "t3.large", "m5.xlarge", "m7g.large", "c7gn.16xlarge", "r6i.2xlarge"] {
            assert!(table.ec2_instance_types.contains(instance_type), "{instance_type}");
        }
        for class in ["db.t3.medium", "db.t4g.micro", "db.m5.large", "db.r6g.xlarge", "db.m8g.large", "db.x2g.large"] {
            assert!(table.rds_mysql_instance_classes.contains(class), "{class}");
        }
        // Families RDS for MySQL does not offer as DB instances are not there.
        assert!(!table.rds_mysql_instance_classes.contains("db.c5.large"));
        assert!(!table.regions.contains("us-east-9"));
    }

    #[test]
    fn a_typo_gets_the_closest_known_name() {
        let err = check(Known::InstanceType, "t3.smal").expect_err("typo");
        assert!(err.starts_with("`t3.smal` is not an EC2 instance type (checked against AWS's list of "), "{err}");
        assert!(err.ends_with("did you mean t3.small?"), "{err}");
        let err = check(Known::DbInstanceClass, "db.t3.meduim").expect_err("typo");
        assert!(err.ends_with("did you mean db.t3.medium?"), "{err}");
        let err = check(Known::Region, "us-east-9").expect_err("no such region");
        assert!(err.contains("did you mean us-east-1?"), "{err}");
        let err = check(Known::Region, "moon-base-7").expect_err("far from anything");
        assert!(err.contains("regenerate the list with scripts/aws-names/generate.py"), "{err}");
        assert_eq!(check(Known::InstanceType, "m5.xlarge"), Ok(()));
    }

    #[test]
    fn suggestions_are_typos_not_guesses() {
        let keys = ["instance_type", "image", "port", "capacity", "scaling", "user_data"];
        assert_eq!(closest("instnce_type", keys.iter().copied()), Some("instance_type"));
        assert_eq!(closest("capcity", keys.iter().copied()), Some("capacity"));
        assert_eq!(closest("isntance_type", keys.iter().copied()), Some("instance_type"), "a swap is one edit");
        assert_eq!(closest("protocol", keys.iter().copied()), None);
        assert_eq!(closest("x", ["y", "port"].into_iter()), Some("y"), "one edit is always allowed");
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}
