//! scripts/install.sh, as a user runs it: from a directory of release files (CLUSTERUP_DOWNLOAD_URL), it
//! picks this machine's build, verifies its SHA-256 and installs a binary whose `--version` answers; a
//! download that does not match its checksum installs nothing. shellcheck passes on the script.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/install.sh")
}

fn install(release: &Path, args: &[&str]) -> Output {
    Command::new("sh").arg(script()).args(args).env("CLUSTERUP_DOWNLOAD_URL", release).output().expect("run sh")
}

/// A release directory holding this build as this machine's archive, with its checksum file.
fn release_dir(root: &Path, corrupt: bool) -> PathBuf {
    let target = Command::new("sh").arg(script()).arg("--print-target").output().expect("print target");
    assert!(target.status.success(), "{}", String::from_utf8_lossy(&target.stderr));
    let target = String::from_utf8_lossy(&target.stdout).trim().to_owned();
    let staging = root.join("staging");
    let release = root.join("release");
    std::fs::create_dir_all(&staging).expect("staging dir");
    std::fs::create_dir_all(&release).expect("release dir");
    std::fs::copy(env!("CARGO_BIN_EXE_clusterup"), staging.join("clusterup")).expect("copy binary");
    let archive = format!("clusterup-{target}.tar.gz");
    let tar = Command::new("tar")
        .args(["-czf", &release.join(&archive).to_string_lossy(), "-C", &staging.to_string_lossy(), "clusterup"])
        .status()
        .expect("tar");
    assert!(tar.success());
    let sum = Command::new("sha256sum").arg(&archive).current_dir(&release).output().expect("sha256sum");
    let mut line = String::from_utf8_lossy(&sum.stdout).into_owned();
    if corrupt {
        // The first hex digit changed: a download that is not what the release published.
        let first = if line.starts_with('0') { "1" } else { "0" };
        line.replace_range(0..1, first);
    }
    std::fs::write(release.join(format!("{archive}.sha256")), line).expect("write checksum");
    release
}

#[test]
fn install_script_installs_this_platforms_build_after_checking_its_checksum() {
    let dir = tempfile::tempdir().expect("temp dir");
    let release = release_dir(dir.path(), false);
    let bin = dir.path().join("bin");
    let out = install(&release, &["--to", &bin.to_string_lossy()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let installed = Command::new(bin.join("clusterup")).arg("--version").output().expect("run installed");
    let version = String::from_utf8_lossy(&installed.stdout);
    assert!(version.starts_with(&format!("clusterup {} (", env!("CARGO_PKG_VERSION"))), "{version}");
    assert!(err.contains("installed clusterup"), "{err}");
}

#[test]
fn install_script_refuses_a_download_that_does_not_match_its_checksum() {
    let dir = tempfile::tempdir().expect("temp dir");
    let release = release_dir(dir.path(), true);
    let bin = dir.path().join("bin");
    let out = install(&release, &["--to", &bin.to_string_lossy()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("checksum mismatch"), "{err}");
    assert!(!bin.join("clusterup").exists(), "a corrupt download was installed");
}

#[test]
fn install_script_passes_shellcheck() {
    let shellcheck = std::env::var("SHELLCHECK").unwrap_or_else(|_| "shellcheck".into());
    let out = Command::new(shellcheck)
        .args(["--shell=sh", "--severity=style"])
        .arg(script())
        .output()
        .expect("shellcheck is installed by scripts/contract/install.sh (run by scripts/test.sh)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
}
