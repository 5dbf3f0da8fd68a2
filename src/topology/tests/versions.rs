//! Version defaults and the lifecycle table: warnings for versions past their end of standard support,
//! located at the field, with the table's date.

use super::*;
use crate::topology::parse_on;
use crate::topology::sections::database::ENGINE_VERSION as DEFAULT_ENGINE_VERSION;
use crate::topology::sections::spark::RELEASE as DEFAULT_SPARK_RELEASE;
use crate::topology::versions::{self, Date, AS_OF, EMR, MYSQL, NEWEST_EMR_7};

/// No NAT warning, so that the only warnings are about versions.
const PER_AZ: &str = "network:\n  nat: per_az\n";

fn warnings_on(text: &str, today: Date) -> Vec<(usize, usize, String, String)> {
    match parse_on(source(), text, today) {
        Ok(checked) => checked.warnings.into_iter().map(|w| (w.line, w.column, w.field, w.message)).collect(),
        Err(err) => panic!("expected a valid topology, got {err}\n---\n{text}"),
    }
}

fn database(version: &str) -> String {
    minimal_with(&format!("{PER_AZ}database:\n  engine_version: {version}\n"))
}

fn spark(release: &str) -> String {
    minimal_with(&format!("{PER_AZ}spark:\n  release: {release}\n"))
}

#[test]
fn the_defaults_are_mysql_8_4_and_the_newest_emr_7_release() {
    let t = ok(&minimal_with(&format!("{PER_AZ}database:\nspark:\n")));
    assert!(t.warnings.is_empty(), "{:?}", t.warnings);
    assert_eq!(t.topology.database.map(|d| d.engine_version), Some("8.4".into()));
    assert_eq!(t.topology.spark.map(|s| s.release), Some("emr-7.14.0".into()));
}

#[test]
fn mysql_8_0_is_past_standard_support_located_at_the_version() {
    let found = warnings_on(&database("\"8.0\""), AS_OF);
    assert_eq!(found.len(), 1, "{found:?}");
    let (line, column, field, message) = &found[0];
    assert_eq!((*line, *column, field.as_str()), (8, 19, "database.engine_version"));
    assert!(message.starts_with("MySQL 8.0 left RDS standard support on 2026-07-31"), "{message}");
    assert!(message.contains("Use \"8.4\", the current LTS"), "{message}");
    assert!(message.contains("clusterup's version table as of 2026-11-30; source: https://"), "{message}");
    // A minor version follows its major; so does 5.7.
    let found = warnings_on(&database("8.0.39"), AS_OF);
    assert!(found[0].3.starts_with("MySQL 8.0.39 (8.0) left RDS standard support on 2026-07-31"), "{found:?}");
    let found = warnings_on(&database("\"5.7\""), AS_OF);
    assert!(found[0].3.starts_with("MySQL 5.7 left RDS standard support on 2024-02-29"), "{found:?}");
    // And with today's clock (later than any of these dates).
    let d = ok(&database("\"8.0\""));
    assert_eq!(d.warnings.len(), 1);
    assert_eq!((d.warnings[0].line, d.warnings[0].column), (8, 19));
}

#[test]
fn the_last_day_of_standard_support_is_still_supported() {
    assert!(warnings_on(&database("\"8.0\""), Date::new(2026, 7, 31)).is_empty());
    assert_eq!(warnings_on(&database("\"8.0\""), Date::new(2026, 8, 1)).len(), 1);
    assert!(warnings_on(&database("\"8.4\""), AS_OF).is_empty());
    assert!(warnings_on(&database("8.4.3"), Date::new(2040, 1, 1)).is_empty(), "no date is known for 8.4");
}

#[test]
fn emr_releases_past_standard_support_warn_at_the_release() {
    let found = warnings_on(&spark("emr-7.5.0"), AS_OF);
    assert_eq!(found.len(), 1, "{found:?}");
    let (line, column, field, message) = &found[0];
    assert_eq!((*line, *column, field.as_str()), (8, 12, "spark.release"));
    assert!(message.starts_with("emr-7.5.0 left EMR standard support on 2026-11-20"), "{message}");
    assert!(message.contains("Use emr-7.14.0, the newest EMR 7 release"), "{message}");
    assert!(message.contains("as of 2026-11-30; source: https://docs.aws.amazon.com/emr/"), "{message}");
    assert!(warnings_on(&spark("emr-7.5.0"), Date::new(2026, 11, 20)).is_empty());
    assert!(warnings_on(&spark("emr-7.14.0"), AS_OF).is_empty());
}

#[test]
fn an_unlisted_emr_7_release_is_judged_by_the_next_listed_one() {
    let found = warnings_on(&spark("emr-7.2.0"), AS_OF);
    assert!(
        found[0].3.starts_with("emr-7.2.0 is older than emr-7.3.0, which left EMR standard support on 2026-10-15"),
        "{found:?}"
    );
    // emr-7.6.0 comes before emr-7.9.0, still supported on the table's date, and not after it.
    assert!(warnings_on(&spark("emr-7.6.0"), AS_OF).is_empty());
    assert_eq!(warnings_on(&spark("emr-7.6.0"), Date::new(2027, 5, 20)).len(), 1);
    // Newer than the table, or another major: nothing known, nothing said.
    assert!(warnings_on(&spark("emr-7.15.0"), Date::new(2040, 1, 1)).is_empty());
    assert!(warnings_on(&spark("emr-6.15.0"), AS_OF).is_empty());
}

#[test]
fn mysql_9_is_refused_as_preview_only() {
    expect_err(
        &minimal_with("database:\n  engine_version: \"9.1\"\n"),
        6,
        19,
        "database.engine_version",
        "RDS offers MySQL 9 only in its Database Preview environment",
    );
}

#[test]
fn the_table_is_ordered_sourced_and_agrees_with_the_defaults() {
    for row in MYSQL.iter().chain(EMR) {
        assert!(row.source.starts_with("https://"), "{row:?}");
    }
    let keys: Vec<_> = EMR.iter().map(|r| r.standard_support_until).collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "EMR rows are oldest first");
    assert_eq!(EMR.last().map(|r| r.version), Some(NEWEST_EMR_7));
    assert_eq!(DEFAULT_SPARK_RELEASE, NEWEST_EMR_7);
    // The defaults are not past their support on the table's date.
    assert_eq!(versions::mysql_past_support(DEFAULT_ENGINE_VERSION, AS_OF), None);
    assert_eq!(versions::emr_past_support(DEFAULT_SPARK_RELEASE, AS_OF), None);
}

#[test]
fn dates_from_the_clock() {
    assert_eq!(Date::new(2026, 11, 30).to_string(), "2026-11-30");
    assert!(Date::new(2026, 7, 31) < Date::new(2026, 8, 1));
    assert!(Date::new(2026, 12, 1) > Date::new(2026, 11, 30));
    // Day counts since 1970-01-01 of known dates (leap days and century rules included).
    for (days, date) in [
        (0, Date::new(1970, 1, 1)),
        (10_956, Date::new(1999, 12, 31)),
        (11_017, Date::new(2000, 3, 1)),
        (19_782, Date::new(2024, 2, 29)),
        (20_787, Date::new(2026, 11, 30)),
        (47_541, Date::new(2100, 3, 1)),
    ] {
        assert_eq!(Date::from_days_since_epoch(days), date, "{days}");
    }
}
