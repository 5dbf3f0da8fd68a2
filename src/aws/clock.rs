//! UTC timestamps for names (final snapshots), without a date-time dependency, and AWS's times as text.

use std::time::{SystemTime, UNIX_EPOCH};

use aws_smithy_types::date_time::{DateTime, Format};

/// A time AWS reported, as RFC 3339 text (`2026-11-30T10:00:00Z`); `None` for one outside what the format
/// can write (years beyond 9999), which no answer about a live resource carries.
pub fn rfc3339(time: &DateTime) -> Option<String> {
    time.fmt(Format::DateTime).ok()
}

/// `YYYYMMDDhhmmss` in UTC, for resource names that must be unique and sort by time.
pub fn utc_stamp(now: SystemTime) -> String {
    let (y, m, d, hh, mm, ss) = utc_parts(now);
    format!("{y:04}{m:02}{d:02}{hh:02}{mm:02}{ss:02}")
}

/// `now` as RFC 3339 text in UTC (`2026-11-30T10:00:00Z`), the form AWS's own times are shown in.
pub fn utc_rfc3339(now: SystemTime) -> String {
    let (y, m, d, hh, mm, ss) = utc_parts(now);
    format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z")
}

/// Year, month, day, hour, minute, second of `now` in UTC (a clock set before 1970 reads as 1970).
fn utc_parts(now: SystemTime) -> (i64, u32, u32, u64, u64, u64) {
    let secs = now.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    (y, m, d, rest / 3600, rest % 3600 / 60, rest % 60)
}

/// Days since 1970-01-01 to (year, month, day): Howard Hinnant's `civil_from_days`.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn formats_known_instants() {
        assert_eq!(utc_stamp(UNIX_EPOCH), "19700101000000");
        // 2026-11-23T12:34:56Z
        assert_eq!(utc_stamp(UNIX_EPOCH + Duration::from_secs(1_795_437_296)), "20261123123456");
        // 2024-02-29T23:59:59Z (leap day)
        assert_eq!(utc_stamp(UNIX_EPOCH + Duration::from_secs(1_709_251_199)), "20240229235959");
        assert_eq!(utc_rfc3339(UNIX_EPOCH + Duration::from_secs(1_709_251_199)), "2024-02-29T23:59:59Z");
        // The same text AWS's own times are shown in.
        let instant = UNIX_EPOCH + Duration::from_secs(1_795_437_296);
        assert_eq!(Some(utc_rfc3339(instant)), rfc3339(&DateTime::from(instant)));
    }
}
