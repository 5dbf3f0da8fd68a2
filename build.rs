//! Build facts for `clusterup --version`: the commit the binary was built from and the build date.
//!
//! Both come from the environment when a release build sets them (`CLUSTERUP_COMMIT`,
//! `SOURCE_DATE_EPOCH`, the reproducible-builds convention), else from git and the clock. A build
//! outside a git checkout (a crates.io package) says `unknown` rather than failing.

use std::path::Path;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

fn main() {
    println!("cargo:rerun-if-env-changed=CLUSTERUP_COMMIT");
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    let commit = std::env::var("CLUSTERUP_COMMIT").ok().filter(|c| !c.is_empty()).or_else(git_commit);
    println!("cargo:rustc-env=CLUSTERUP_COMMIT={}", commit.as_deref().unwrap_or("unknown"));
    let epoch = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or_else(|| SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()));
    println!("cargo:rustc-env=CLUSTERUP_BUILD_DATE={}", date(epoch));
}

/// The checked-out commit, abbreviated; and the files whose change means another commit, so cargo runs
/// this again then (and only then: edits to the working tree do not rebuild for the version's sake).
fn git_commit() -> Option<String> {
    let git = |args: &[&str]| {
        let out = Command::new("git").args(args).output().ok()?;
        out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
    };
    let commit = git(&["rev-parse", "--short=12", "HEAD"])?;
    // HEAD names the branch; the branch's ref file (or packed-refs) names the commit. A worktree keeps
    // HEAD in its own git dir and the refs in the common one.
    if let Some(dir) = git(&["rev-parse", "--git-dir"]) {
        println!("cargo:rerun-if-changed={}", Path::new(&dir).join("HEAD").display());
    }
    if let (Some(common), Some(head_ref)) =
        (git(&["rev-parse", "--git-common-dir"]), git(&["symbolic-ref", "-q", "HEAD"]))
    {
        let common = Path::new(&common);
        for file in [common.join(&head_ref), common.join("packed-refs")] {
            if file.exists() {
                println!("cargo:rerun-if-changed={}", file.display());
            }
        }
    }
    Some(commit)
}

/// `YYYY-MM-DD` of a Unix time, in UTC (Howard Hinnant's civil_from_days).
fn date(epoch: u64) -> String {
    let z = (epoch / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    format!("{:04}-{m:02}-{d:02}", yoe + era * 400 + i64::from(m <= 2))
}
