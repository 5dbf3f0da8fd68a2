//! Which MySQL and EMR versions AWS still gives standard support, as far as clusterup knows.
//!
//! A version past its end of standard support still works on AWS, but costs more (RDS bills Extended
//! Support per vCPU-hour) or gets no fixes (EMR), so `validate` warns about it rather than refusing it.
//! The dates cannot be asked from AWS offline (and the local emulator has no DescribeDBEngineVersions),
//! so they are kept here, each row with the page it was read from. Update the table, and `AS_OF`, when
//! AWS publishes new releases; the warning prints `AS_OF` so that a stale table is visible.

use std::fmt;

/// When the table below was last checked against its sources.
pub const AS_OF: Date = Date::new(2026, 11, 30);

/// A calendar date (UTC), enough for "is this date past?".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    pub const fn new(year: u16, month: u8, day: u8) -> Date {
        Date { year, month, day }
    }

    /// Today, in UTC, from the system clock (a clock before 1970 counts as 1970-01-01).
    pub fn today() -> Date {
        let secs =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default();
        Date::from_days_since_epoch(secs / 86_400)
    }

    /// The civil date of a day count since 1970-01-01 (Howard Hinnant's `civil_from_days`, for days
    /// after the epoch only).
    pub(crate) fn from_days_since_epoch(days: u64) -> Date {
        let z = days + 719_468;
        let era = z / 146_097;
        let doe = z % 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + u64::from(month <= 2);
        // Years past u16 are far beyond any table row; saturating keeps the comparison meaningful.
        Date { year: u16::try_from(year).unwrap_or(u16::MAX), month: month as u8, day: day as u8 }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// One version and the last day of its standard support.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifecycle {
    /// `8.0` (a MySQL major version) or `emr-7.5.0` (an EMR release label).
    pub version: &'static str,
    /// The last day of standard support; `None` when the sources name no date yet.
    pub standard_support_until: Option<Date>,
    /// The page the date was read from.
    pub source: &'static str,
}

/// RDS for MySQL major versions (minor versions follow their major's dates here).
pub const MYSQL: &[Lifecycle] = &[
    Lifecycle {
        version: "5.7",
        standard_support_until: Some(Date::new(2024, 2, 29)),
        source: "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/extended-support.html",
    },
    // Read in a copy of the AWS Database Blog post "Best practices for upgrading Amazon RDS for MySQL
    // 8.0 to 8.4 with prechecks, blue/green, and rollback" (May 2026): "Amazon RDS for MySQL 8.0
    // standard support ends on July 31, 2026".
    Lifecycle {
        version: "8.0",
        standard_support_until: Some(Date::new(2026, 7, 31)),
        source: "https://nuffing.coutinho.net/2026/05/best-practices-for-upgrading-amazon-rds-for-mysql-8-0-to-8-4-with-prechecks-blue-green-and-rollback/",
    },
    // The current LTS, listed among the supported versions; the pages checked name no end of standard
    // support for it yet.
    Lifecycle {
        version: "8.4",
        standard_support_until: None,
        source: "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/MySQL.Concepts.VersionMgmt.html",
    },
];

/// EMR 7 releases, oldest first; each release page has a "supported lifecycle" table.
pub const EMR: &[Lifecycle] = &[
    emr(
        "emr-7.3.0",
        Date::new(2026, 10, 15),
        "https://docs.aws.amazon.com/emr/latest/ReleaseGuide/emr-730-release.html",
    ),
    emr(
        "emr-7.4.0",
        Date::new(2026, 11, 12),
        "https://docs.aws.amazon.com/emr/latest/ReleaseGuide/emr-740-release.html",
    ),
    emr(
        "emr-7.5.0",
        Date::new(2026, 11, 20),
        "https://docs.aws.amazon.com/emr/latest/ReleaseGuide/emr-750-release.html",
    ),
    emr(
        "emr-7.9.0",
        Date::new(2027, 5, 19),
        "https://docs.aws.amazon.com/emr/latest/ReleaseGuide/emr-790-release.html",
    ),
    emr(
        "emr-7.10.0",
        Date::new(2027, 8, 15),
        "https://docs.aws.amazon.com/emr/latest/ReleaseGuide/emr-7100-release.html",
    ),
    emr(
        "emr-7.13.0",
        Date::new(2028, 4, 21),
        "https://docs.aws.amazon.com/emr/latest/ReleaseGuide/emr-7130-release.html",
    ),
    emr(
        "emr-7.14.0",
        Date::new(2028, 9, 8),
        "https://docs.aws.amazon.com/emr/latest/ReleaseGuide/emr-7140-release.html",
    ),
];

const fn emr(version: &'static str, until: Date, source: &'static str) -> Lifecycle {
    Lifecycle { version, standard_support_until: Some(until), source }
}

/// The newest EMR 7 release in the table: the default `spark.release`.
pub const NEWEST_EMR_7: &str = "emr-7.14.0";

/// Why a version is past its standard support: the row that says so (the version's own, or, for an
/// EMR release the table does not list, a later release that is already past it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PastSupport {
    pub row: Lifecycle,
    pub ended: Date,
}

/// The MySQL major version of `version` (`8.0.39` -> `8.0`), past its standard support on `today`?
pub fn mysql_past_support(version: &str, today: Date) -> Option<PastSupport> {
    let major = version.get(..3)?;
    let row = MYSQL.iter().find(|row| row.version == major)?;
    let ended = row.standard_support_until?;
    (today > ended).then_some(PastSupport { row: *row, ended })
}

/// Is EMR release `release` past its standard support on `today`?
///
/// A release the table lists is judged by its own row. An EMR 7 release it does not list (7.0.0,
/// 7.6.0, ...) is judged by the next listed release after it: minor releases come out in order and each
/// gets the same 24 months of standard support from its release date (every row above is its release
/// date plus 24 months), so an earlier release leaves standard support no later than a later one.
/// Releases newer than the table, and other majors, are not judged.
pub fn emr_past_support(release: &str, today: Date) -> Option<PastSupport> {
    let key = emr_key(release)?;
    let row = match EMR.iter().find(|row| row.version == release) {
        Some(row) => row,
        None => EMR.iter().find(|row| emr_key(row.version).is_some_and(|k| k.0 == key.0 && k > key))?,
    };
    let ended = row.standard_support_until?;
    (today > ended).then_some(PastSupport { row: *row, ended })
}

/// `emr-7.10.0` -> (7, 10, 0), for ordering.
fn emr_key(release: &str) -> Option<(u32, u32, u32)> {
    let mut parts = release.strip_prefix("emr-")?.split('.').map(|p| p.parse::<u32>().ok());
    match (parts.next()??, parts.next()??, parts.next()??, parts.next()) {
        (major, minor, patch, None) => Some((major, minor, patch)),
        _ => None,
    }
}
